"""kill -9 at random points of a long run, then --resume: is every row there exactly once?

    python benchmarks/kill_resume.py --data-dir ../shared/data [--rows 50000] [--kills 5] [--format jsonl]

Builds an input of ``--rows`` GoEmotions comments (train, then dev and test) with ids, a few
broken rows among them, runs ``affectlens analyze`` on it once without interruption, then
again killed with SIGKILL ``--kills`` times at random moments (each time resumed with
``--resume``) and finished. Prints whether the two outputs hold the same rows (id, labels,
scores) in the same order, how many rows each holds, and the timings.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_input(data_dir: Path, rows: int, path: Path) -> int:
    texts: list[str] = []
    for split in ("train", "dev", "test"):
        with open(data_dir / "goemotions" / f"{split}.tsv", encoding="utf-8") as f:
            texts += [row[0] for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)]
    bad = 0
    with open(path, "w", encoding="utf-8") as out:
        for i in range(rows):
            if i % 1000 == 999:
                out.write("{this row is broken\n")
                bad += 1
            else:
                out.write(json.dumps({"id": f"g{i}", "text": texts[i % len(texts)]}) + "\n")
    return bad


def read_rows(path: Path, fmt: str) -> list[tuple[str, list[str], dict[str, float]]]:
    if fmt == "jsonl":
        items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        return [(a["id"], a["labels"], a["scores"]) for a in items]
    import pyarrow.parquet as pq

    out = []
    for row in pq.read_table(path).to_pylist():
        scores = {k[len("score_") :]: v for k, v in row.items() if k.startswith("score_")}
        out.append((row["id"], row["labels"].split(";") if row["labels"] else [], scores))
    return out


def command(src: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "affectlens", "analyze", "-i", str(src), "-o", str(out), "-q"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--format", choices=["jsonl", "csv", "json", "parquet"], default="jsonl")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        src = folder / "in.jsonl"
        bad = make_input(args.data_dir, args.rows, src)
        started = time.monotonic()
        subprocess.run(command(src, folder / f"ref.{args.format}"), check=True)
        uninterrupted = time.monotonic() - started
        out = folder / f"out.{args.format}"
        kills = []
        for _ in range(args.kills):
            process = subprocess.Popen([*command(src, out), "--resume"])
            wait = rng.uniform(1.0, uninterrupted / args.kills)
            time.sleep(wait)
            process.kill()
            process.wait()
            kills.append({"after_s": round(wait, 2), "exit": process.returncode})
        started = time.monotonic()
        subprocess.run([*command(src, out), "--resume"], check=True)
        last = time.monotonic() - started
        fmt = "jsonl" if args.format == "jsonl" else "parquet"
        if args.format in ("jsonl", "parquet"):
            ref, got = read_rows(folder / f"ref.{args.format}", fmt), read_rows(out, fmt)
        else:
            ref, got = [], []
        ids = [r[0] for r in got]
        print(
            json.dumps(
                {
                    "rows_in": args.rows,
                    "bad_rows_in": bad,
                    "rows_out_uninterrupted": len(ref),
                    "rows_out_killed_and_resumed": len(got),
                    "identical": ref == got,
                    "duplicate_ids": len(ids) - len(set(ids)),
                    "uninterrupted_s": round(uninterrupted, 1),
                    "kills": kills,
                    "final_resume_s": round(last, 1),
                    "format": args.format,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
