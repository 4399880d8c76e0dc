"""Seconds per training step of the embedded model's recipe, for each base model, side by side
on this machine: is a teacher (all-mpnet-base-v2) within reach on the CPU?

Each model trains ``--steps`` steps of the real recipe (batches of 32 GoEmotions texts and 16
EmoBank sentences, ``--length-buckets 50``, the generated texts when ``--augment`` is given)
through ``finetune(stop_after=...)``; the first ``--warmup`` steps are a separate sitting and
not timed. Writes ``benchmarks/results/train_step.json``.

    python -m affectlens.training teacher-base --out runs/mpnet
    python benchmarks/train_step.py --data-dir ../shared/data --model minilm=DEFAULT \\
        --model mpnet=runs/mpnet/all-mpnet-base-v2 [--augment runs/augment.jsonl]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import tempfile
import time
from pathlib import Path

from affectlens.training.__main__ import _base_model_path
from affectlens.training.finetune import FinetuneConfig, finetune


def _cpu() -> str:
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor()
    name = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "?")
    flags = next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), [])
    wanted = [f for f in ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16") if f in flags]
    return f"{name} ({', '.join(wanted)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--model", action="append", required=True, help="NAME=DIR (DEFAULT: the shipped MiniLM's base)")
    parser.add_argument("--augment", type=Path)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/train_step.json"))
    args = parser.parse_args()
    results = {}
    for spec in args.model:
        name, path = spec.split("=", 1)
        base = _base_model_path() if path == "DEFAULT" else Path(path)
        with tempfile.TemporaryDirectory() as tmp:
            cfg = FinetuneConfig(
                data_dir=args.data_dir,
                base_model=base,
                out_dir=Path(tmp),
                epochs=4,
                vad_weight=0.5,
                augment=args.augment,
                length_buckets=50,
                checkpoint_every=0,
            )
            finetune(cfg, stop_after=args.warmup, log=lambda line: None)
            started = time.perf_counter()
            timed = finetune(cfg, resume=True, stop_after=args.warmup + args.steps, log=lambda line: None)
            wall = time.perf_counter() - started
        texts = 43_410 + (sum(1 for _ in args.augment.open()) if args.augment else 0)
        steps_per_epoch = math.ceil(texts / cfg.batch_size)
        per_step = timed["seconds_per_step"]
        results[name] = {
            "base_model": str(base),
            "seconds_per_step": round(per_step, 3),
            "sitting_seconds_with_loading": round(wall, 1),
            "steps_per_epoch": steps_per_epoch,
            "hours_for_4_epochs": round(4 * steps_per_epoch * per_step / 3600, 2),
        }
        print(name, json.dumps(results[name]), flush=True)
    out = {"date": time.strftime("%Y-%m-%d"), "cpu": _cpu(), "steps": args.steps, "models": results}
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
