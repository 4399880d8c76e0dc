"""100,000 replies through the offline polarization path: speed beside `corpus analyze` on the same
texts, and kill -9 with resume.

    python benchmarks/polarization_scale.py --data-dir ../shared/data [--posts 100000] [--kills 3] [--out FILE.json]

Builds reply threads from GoEmotions comments (Apache-2.0; each post is two comments joined, so
texts are nearly all distinct and neither run gains from repeated texts): threads of 5 to 60
posts, each reply answering a random earlier post of its thread, authors drawn from a pool,
one post in 500 an orphan (its parent id is not in the file), a few duplicate ids and non-UTF-8
rows. Then, each in a fresh process:

1. ``affectlens corpus analyze`` on the same texts (the corpus engine's speed: emotions only);
2. ``affectlens polarization analyze`` once, uninterrupted;
3. the same command killed with SIGKILL ``--kills`` times at random moments, each time run
   again, then finished; the annotations must equal run 2's, every post once.

Prints one JSON object (also written to ``--out``): the machine, both throughputs, the kill
points, and whether the killed run's annotations and scores are identical to the clean one's.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def comments(data_dir: Path) -> list[str]:
    texts: list[str] = []
    for split in ("train", "dev", "test"):
        with open(data_dir / "goemotions" / f"{split}.tsv", encoding="utf-8") as f:
            texts += [row[0] for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)]
    return texts


def make_threads(texts: list[str], posts: int, path: Path, seed: int = 7) -> dict[str, int]:
    rng = random.Random(seed)
    made = {"posts": 0, "threads": 0, "orphans": 0, "duplicates": 0, "bad_rows": 0}
    with open(path, "wb") as out:
        while made["posts"] < posts:
            t = made["threads"]
            made["threads"] += 1
            ids: list[str] = []
            for k in range(min(rng.randint(5, 60), posts - made["posts"])):
                post = f"t{t}p{k}"
                parent = "" if k == 0 else rng.choice(ids)
                if k and made["posts"] % 500 == 250:
                    parent, made["orphans"] = f"deleted-{t}-{k}", made["orphans"] + 1
                text = f"{rng.choice(texts)} {rng.choice(texts)}"
                day = 1 + t % 28
                row = {"id": post, "parent_id": parent, "author": f"u{rng.randrange(5000)}", "text": text,
                       "created_at": f"2022-05-{day:02d}T{k % 24:02d}:00:00Z"}  # fmt: skip
                out.write((json.dumps(row) + "\n").encode("utf-8"))
                ids.append(post)
                made["posts"] += 1
                if made["posts"] % 20000 == 10000:  # a duplicate id and a row that is not UTF-8
                    out.write((json.dumps({**row, "text": "again"}) + "\n").encode("utf-8"))
                    out.write(b'{"id": "latin-%d", "parent_id": "%s", "author": "z", "text": "caf\xe9"}\n' % (t, post.encode()))
                    made["duplicates"] += 1
                    made["bad_rows"] += 1
    return made


def cpu() -> dict[str, object]:
    from affectlens.benchmark import cpu_info

    return cpu_info()


def run(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "affectlens", *args, "-q"], check=True, env=env)
    return time.perf_counter() - started


def annotations(run_dir: Path) -> tuple[list[tuple], list[tuple]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    parts = sorted((run_dir / "parts").glob("part-*.parquet"))
    table = pa.concat_tables([pq.read_table(p) for p in parts]).sort_by("post")
    columns = ["post", "stance", "stance_status", "affect", "affect_status", "hostility", "targets"]
    rows = [tuple(json.dumps(r[c]) for c in columns) for r in table.to_pylist()]
    scores = pq.read_table(run_dir / "scores" / "asonam2025@1" / "interactions.parquet", columns=["id", "score"]).to_pylist()
    return rows, sorted((r["id"], r["score"]) for r in scores)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    with tempfile.TemporaryDirectory(prefix="polarization-scale-") as tmp:
        folder = Path(tmp)
        src = folder / "threads.jsonl"
        made = make_threads(comments(args.data_dir), args.posts, src)
        corpus_s = run(["corpus", "analyze", str(src), "-o", str(folder / "corpus"), "--id-column", "id"], env)
        clean_s = run(["polarization", "analyze", str(src), "-o", str(folder / "clean")], env)
        manifest = json.loads((folder / "clean" / "manifest.json").read_text())["details"]
        kills, pol = [], ["polarization", "analyze", str(src), "-o", str(folder / "killed")]
        started = time.perf_counter()
        for _ in range(args.kills):
            process = subprocess.Popen([sys.executable, "-m", "affectlens", *pol, "-q"], env=env)
            at = rng.uniform(0.1, 0.9) * clean_s
            time.sleep(at)
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
            process.wait()
            kills.append(round(at, 1))
        run(pol, env)
        killed_s = time.perf_counter() - started
        clean, killed = annotations(folder / "clean"), annotations(folder / "killed")
        corpus = json.loads((folder / "corpus" / "manifest.json").read_text())
        result = {
            "date": time.strftime("%Y-%m-%d"),
            "machine": {"cpu": cpu(), "cores": os.cpu_count(), "python": platform.python_version()},
            "input": made,
            "posts_annotated": manifest["posts"],
            "problems": manifest["problems"],
            "corpus_analyze": {"seconds": round(corpus_s, 1), "rows_per_s": round(corpus["progress"]["analysed"] / corpus_s, 1)},
            "polarization_analyze": {"seconds": round(clean_s, 1), "posts_per_s": round(manifest["posts"] / clean_s, 1)},
            "speed_ratio": round(corpus_s / clean_s, 3),
            "killed_at_s": kills,
            "killed_run_seconds_total": round(killed_s, 1),
            "identical_annotations": clean[0] == killed[0],
            "identical_scores": clean[1] == killed[1],
            "every_post_once": len(killed[0]) == len({r[0] for r in killed[0]}) == manifest["posts"],
            "scores": manifest["scores"],
        }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
