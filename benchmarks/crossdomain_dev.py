"""The cross-domain development suite (affectlens.evaluation.crossdomain): each corpus's dev
figures for the embedded model, as a table and JSON.

    python benchmarks/crossdomain_dev.py --data-dir ../shared/data [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from affectlens.api import get_analyzer
from affectlens.evaluation.crossdomain import CORPORA, crossdomain_dev


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--corpus", action="append", choices=CORPORA, help="only these corpora (repeat)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    analyzer = get_analyzer("embedded")
    started = time.perf_counter()
    results = crossdomain_dev(analyzer, args.data_dir, args.corpus or CORPORA)
    out = {
        "backend": analyzer.backend_id,
        "date": time.strftime("%Y-%m-%d"),
        "seconds": round(time.perf_counter() - started, 1),
        "corpora": results,
    }
    text = json.dumps(out, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
