"""Batch throughput and single-text latency of embedded model builds, measured side by side:
the builds take turns, round after round, so machine noise falls on each alike.

    python benchmarks/model_speed.py --model v1=src/affectlens/assets/minilm-goemotions-v1 \\
        --model v2=src/affectlens/assets/minilm-goemotions-v2 [--rounds 3] [--texts 3000]
"""

from __future__ import annotations

import argparse
import json

from affectlens import api
from affectlens.benchmark import benchmark


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", required=True, help="NAME=DIR (repeat)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--texts", type=int, default=3000)
    args = parser.parse_args()
    models = dict(m.split("=", 1) for m in args.model)
    runs: dict[str, list[dict]] = {name: [] for name in models}
    for _ in range(args.rounds):
        for name, path in models.items():
            runs[name].append(benchmark("embedded", n_batch=args.texts, n_single=200, settings={"model_dir": path}))
            api.clear_cache()
    first = next(iter(runs.values()))[0]
    print(f"{first['cpu']['model']} ({first['cpu']['int8_class']}), {first['cores']} cores, {first['date']}")
    for name, results in runs.items():
        rates = " / ".join(f"{r['batch_texts_per_s']:.0f}" for r in results)
        p50 = " / ".join(f"{r['single_p50_ms']:.1f}" for r in results)
        print(f"{name} ({results[0]['backend']}): batch {rates} texts/s; single p50 {p50} ms")
    keys = ("batch_texts_per_s", "single_p50_ms", "single_p95_ms")
    print(json.dumps({name: [{k: r[k] for k in keys} for r in results] for name, results in runs.items()}))


if __name__ == "__main__":
    main()
