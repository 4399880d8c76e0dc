"""Wall time of `affectlens analyze "some text"` from a cold process (model load included).

    .venv/bin/python benchmarks/cold_start.py [--runs 10]

Prints the median and the maximum over the runs, in seconds, after one warm-up run (which
writes the modules' cached bytecode, ``__pycache__``, as installing a package does: the first
command after an install or upgrade compiles them, and took about 0.3 s longer here).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def walls(exe: str, runs: int) -> list[float]:
    command = [exe, "analyze", "some text", "--format", "json"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(command, check=True, capture_output=True, env=env)  # warm-up: bytecode caches, the OS page cache
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    exe = shutil.which("affectlens") or str(Path(sys.executable).parent / "affectlens")
    measured = walls(exe, args.runs)
    result = {
        "command": 'affectlens analyze "some text"',
        "runs": args.runs,
        "median_s": round(statistics.median(measured), 3),
        "max_s": round(max(measured), 3),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
