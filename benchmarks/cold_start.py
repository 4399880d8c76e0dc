"""Wall time of `affectlens analyze "some text"` from a cold process (model load included).

    .venv/bin/python benchmarks/cold_start.py [--runs 10]

Prints the median and the maximum over the runs, in seconds.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    exe = shutil.which("affectlens") or str(Path(sys.executable).parent / "affectlens")
    walls = []
    for _ in range(args.runs):
        start = time.perf_counter()
        subprocess.run([exe, "analyze", "some text", "--format", "json"], check=True, capture_output=True)
        walls.append(time.perf_counter() - start)
    print(
        json.dumps(
            {
                "command": 'affectlens analyze "some text"',
                "runs": args.runs,
                "median_s": round(statistics.median(walls), 3),
                "max_s": round(max(walls), 3),
            }
        )
    )


if __name__ == "__main__":
    main()
