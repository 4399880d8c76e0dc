"""The local engine beside Ray on the same corpus, in the same run, rounds alternating.

    .venv/bin/python benchmarks/engines.py [--rows 20000] [--rounds 3] [--load 0] [--json FILE]

The corpus is GoEmotions train texts (``$AFFECTLENS_DATA_DIR`` or ../shared/data; the bundled
benchmark sentences when the data is not there), as JSONL. Each round runs ``corpus analyze``
into a fresh folder with the local engine (its defaults: a worker process per CPU, one
onnxruntime thread each, spinning off) and with ``--engine ray`` (a local Ray, one single-CPU
worker per CPU), in alternating order. Rows/s is rows over the run's wall time, start-up
included (Ray's ``ray.init`` and both engines' model loads). The rows of every run are checked
to be identical. ``--load N`` keeps N other processes spinning on the CPUs meanwhile (a busy
machine, as CI is). Needs ``pip install 'affectlens[ray]'``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

from affectlens.benchmark import benchmark_texts, cpu_info
from affectlens.corpus import analyze
from affectlens.runs import rows_of


def corpus(path: Path, rows: int) -> Path:
    data = Path(os.environ.get("AFFECTLENS_DATA_DIR") or Path(__file__).resolve().parents[2] / "shared" / "data")
    source = data / "goemotions" / "train.tsv"
    texts = [line.split("\t")[0] for line in source.read_text(encoding="utf-8").splitlines()] if source.is_file() else []
    texts = texts or benchmark_texts()
    with path.open("w", encoding="utf-8") as f:
        for n in range(rows):
            f.write(json.dumps({"id": f"r{n}", "text": texts[n % len(texts)]}) + "\n")
    return path


def spin() -> None:
    while True:
        pass


def run(args: argparse.Namespace) -> dict:
    work = Path(tempfile.mkdtemp(prefix="affectlens-engines-"))
    src = corpus(work / "corpus.jsonl", args.rows)
    load = [multiprocessing.Process(target=spin, daemon=True) for _ in range(args.load)]
    for p in load:
        p.start()
    rates: dict[str, list[float]] = {"local": [], "ray": []}
    reference = None
    identical = True
    try:
        for round_ in range(args.rounds):
            for engine in ("local", "ray") if round_ % 2 == 0 else ("ray", "local"):
                folder = work / f"{engine}-{round_}"
                started = time.perf_counter()
                summary = analyze(src, folder, engine=engine, chunk_rows=args.chunk_rows)
                wall = time.perf_counter() - started
                rates[engine].append(summary.progress.rows_done / wall)
                rows = rows_of(folder)
                reference = rows if reference is None else reference
                identical = identical and rows.equals(reference)
                print(
                    f"round {round_ + 1} {engine}: {rates[engine][-1]:,.0f} rows/s ({summary.manifest.engine_settings})",
                    flush=True,
                )
                shutil.rmtree(folder)
    finally:
        for p in load:
            p.terminate()
        shutil.rmtree(work, ignore_errors=True)
    cpu = cpu_info()
    return {
        "command": f"benchmarks/engines.py --rows {args.rows} --rounds {args.rounds} --load {args.load} "
        f"--chunk-rows {args.chunk_rows}",
        "cpu": f"{cpu['model']} ({cpu['int8_class']})",
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "other_processes_spinning": args.load,
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"),
        "rows": args.rows,
        "rows_per_s": {k: [round(v, 1) for v in vs] for k, vs in rates.items()},
        "median_rows_per_s": {k: round(statistics.median(vs), 1) for k, vs in rates.items()},
        "local_over_ray": round(statistics.median(rates["local"]) / statistics.median(rates["ray"]), 3),
        "identical_rows": identical,
    }


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a stopped run still stops its load processes
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--chunk-rows", type=int, default=2000)
    parser.add_argument("--load", type=int, default=0, help="other processes spinning on the CPUs meanwhile")
    parser.add_argument("--json", help="also write the result to FILE")
    args = parser.parse_args()
    result = run(args)
    text = json.dumps(result, indent=1)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
