"""Corpus runs at scale on this machine: speed, memory, kill -9 and resume, the Ray engine.

    .venv/bin/python benchmarks/corpus_scale.py --data-dir ../shared/data [--rows 100000] [--kills 5] [--ray]

The input is ``--rows`` *distinct* texts (GoEmotions, MELD, EmoBank, EmpatheticDialogues
situations, in that order — distinct so that reusing identical texts cannot flatter the
speed), with a time (one row a minute from 2024-01-01) and a group (the source corpus).

1. ``affectlens bench -i`` on all of these texts, before and after step 2: the analyzer's
   batch speed for them (twice, because shared machines drift over minutes).
2. ``affectlens corpus analyze`` on all rows and on every tenth row (10,000: the same mix of
   texts, so only the number of rows differs), each in its own process: rows/s over the
   whole command (planning and start-up included) and its peak RSS (GNU ``/usr/bin/time``).
3. The same run killed with SIGKILL at ``--kills`` random moments, continued each time with
   the same command, then finished: its rows and weekly aggregates against the first run's.
4. With ``--ray``, the same input with ``--engine ray`` on a local Ray: time and rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ANALYZE = [sys.executable, "-m", "affectlens", "corpus", "analyze"]


def distinct_texts(data_dir: Path, rows: int) -> list[tuple[str, str]]:
    from affectlens.evaluation.datasets import datasets
    from affectlens.evaluation.datasets.dialogues import read_meld

    seen: dict[str, str] = {}
    sources = [("goemotions", s) for s in ("train", "dev", "test")] + [("meld", s) for s in ("train", "dev", "test")]
    sources += [("emobank", s) for s in ("train", "dev", "test")]
    for name, split in sources:
        if name == "meld":
            texts = [t for d in read_meld(data_dir / "meld", split) for t in d.texts]
        else:
            texts = datasets.get(name).load(data_dir, split).texts
        for text in texts:
            seen.setdefault(text, name)
    import csv

    for split in ("train", "dev", "test"):
        with open(data_dir / "empatheticdialogues_situations" / f"{split}.tsv", encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                if row.get("text"):
                    seen.setdefault(row["text"].strip(), "empatheticdialogues")
    items = [(t, s) for t, s in seen.items() if t.strip()][:rows]
    if len(items) < rows:
        raise SystemExit(f"only {len(items):,} distinct texts in {data_dir}")
    return items


def write_input(items: list[tuple[str, str]], path: Path) -> None:
    start = dt.datetime(2024, 1, 1)
    with open(path, "w", encoding="utf-8") as f:
        for i, (text, source) in enumerate(items):
            when = (start + dt.timedelta(minutes=i)).isoformat()
            f.write(json.dumps({"id": f"r{i}", "text": text, "time": when, "corpus": source}) + "\n")


def timed(command: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (MB) of one command, measured by GNU time for that command alone."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as report:
        started = time.monotonic()
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report.name, *command], check=True)
        seconds = time.monotonic() - started
        return seconds, int(report.read().strip().splitlines()[-1]) // 1024


def rows_of(run: Path) -> object:
    import pyarrow.dataset as ds

    return ds.dataset(run / "parts").to_table().sort_by([("source", "ascending"), ("line", "ascending")])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--ray", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from affectlens.benchmark import cpu_info
    from affectlens.corpus.aggregate import aggregate

    out: dict[str, object] = {"rows": args.rows, "cpu": cpu_info(), "date": dt.date.today().isoformat()}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        items = distinct_texts(args.data_dir, args.rows)
        write_input(items, folder / "in.jsonl")
        tenth = items[::10]
        write_input(tenth, folder / "in10k.jsonl")
        (folder / "all.txt").write_text("\n".join(t.replace("\n", " ") for t, _ in items) + "\n")
        bench = [sys.executable, "-m", "affectlens", "bench", "-i", str(folder / "all.txt"), "--texts", str(args.rows)]
        bench += ["--single", "20", "--json"]
        speeds = [json.loads(subprocess.run(bench, check=True, capture_output=True).stdout)["batch_texts_per_s"]]
        flags = ["--time-column", "time", "--group-column", "corpus", "-q"]
        seconds, peak = timed([*ANALYZE, str(folder / "in.jsonl"), "-o", str(folder / "run"), *flags])
        out["rows_all"] = {"seconds": round(seconds, 1), "rows_per_s": round(args.rows / seconds, 1), "peak_rss_mb": peak}
        speeds.append(json.loads(subprocess.run(bench, check=True, capture_output=True).stdout)["batch_texts_per_s"])
        out["bench_texts_per_s"] = speeds
        out["corpus_vs_bench"] = round(args.rows / seconds / (sum(speeds) / 2), 3)
        ten_s, ten_peak = timed([*ANALYZE, str(folder / "in10k.jsonl"), "-o", str(folder / "run10k"), *flags])
        out["rows_tenth"] = {"rows": len(tenth), "seconds": round(ten_s, 1), "peak_rss_mb": ten_peak}

        rng = random.Random(args.seed)
        kills = []
        for _ in range(args.kills):
            process = subprocess.Popen([*ANALYZE, str(folder / "in.jsonl"), "-o", str(folder / "killed"), *flags])
            wait = rng.uniform(2.0, seconds / args.kills)
            time.sleep(wait)
            process.kill()
            process.wait()
            kills.append({"after_s": round(wait, 1), "exit": process.returncode})
        subprocess.run([*ANALYZE, str(folder / "in.jsonl"), "-o", str(folder / "killed"), *flags], check=True)
        killed, whole = rows_of(folder / "killed"), rows_of(folder / "run")
        weekly = [aggregate(folder / r, every="week", by=["corpus"]) for r in ("run", "killed")]
        out["kill_resume"] = {
            "kills": kills,
            "rows_identical": killed.equals(whole),
            "ids_once": len(set(killed.column("id").to_pylist())) == killed.num_rows == args.rows,
            "weekly_aggregates_equal": weekly[0].equals(weekly[1]),
        }
        if args.ray:
            ray_command = [*ANALYZE, str(folder / "in.jsonl"), "-o", str(folder / "ray"), *flags, "--engine", "ray"]
            seconds_ray, peak_ray = timed(ray_command)
            out["ray_local"] = {
                "seconds": round(seconds_ray, 1),
                "rows_per_s": round(args.rows / seconds_ray, 1),
                "overhead_vs_local": round(seconds_ray / seconds - 1, 3),
                "rows_identical": rows_of(folder / "ray").equals(whole),
                "driver_peak_rss_mb": peak_ray,
            }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
