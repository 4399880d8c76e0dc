"""Do two CPUs give the same answers? Dump the embedded model's analyses here, compare two dumps.

    python benchmarks/cpu_agreement.py dump --data-dir ../shared/data --out vnni.jsonl
    qemu-x86_64 -cpu Haswell .venv/bin/python benchmarks/cpu_agreement.py dump --data-dir ../shared/data --out avx2.jsonl
    python benchmarks/cpu_agreement.py compare vnni.jsonl avx2.jsonl

``qemu-x86_64 -cpu Haswell`` (Debian's qemu-user) runs the same binaries on an emulated CPU
with AVX2 and no AVX-512 or VNNI, so onnxruntime picks the kernels such a CPU gets — the
integer results are the emulated CPU's; the speed is not. ``--unsafe`` opens the sessions
without affectlens's settings, to show what they prevent. The texts are the first ``--n``
of GoEmotions test; ``--model-dir`` dumps a built model other than the shipped one.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np


def dump(args: argparse.Namespace) -> None:
    from affectlens.analyzers import session
    from affectlens.analyzers.embedded import EmbeddedAnalyzer
    from affectlens.evaluation.datasets import datasets

    if args.unsafe:
        session.SESSION_CONFIG.clear()
    texts = datasets.get("goemotions").load(Path(args.data_dir), "test").texts[: args.n]
    analyses = EmbeddedAnalyzer(model_dir=args.model_dir).analyze_batch(texts)
    with open(args.out, "w", encoding="utf-8") as f:
        for a in analyses:
            f.write(a.model_dump_json() + "\n")
    print(f"{len(analyses)} analyses -> {args.out}", file=sys.stderr)


def compare(args: argparse.Namespace) -> None:
    a, b = ([json.loads(line) for line in Path(p).read_text(encoding="utf-8").splitlines()] for p in (args.a, args.b))
    assert len(a) == len(b), "dumps of different lengths"
    score_diff = max(abs(x["scores"][k] - y["scores"][k]) for x, y in zip(a, b) for k in x["scores"])
    vad_diff = max(abs(x["vad"][k] - y["vad"][k]) for x, y in zip(a, b) for k in ("valence", "arousal", "dominance"))
    conf_diff = max(abs(x["confidence"] - y["confidence"]) for x, y in zip(a, b))
    report = {
        "texts": len(a),
        "identical": float(np.mean([x == y for x, y in zip(a, b)])),  # every field, to the printed digit
        "label_sets_differ": float(np.mean([x["labels"] != y["labels"] for x, y in zip(a, b)])),
        "dominant_differs": float(np.mean([x["dominant"] != y["dominant"] for x, y in zip(a, b)])),
        "max_score_diff": round(score_diff, 6),
        "max_vad_diff": round(vad_diff, 6),
        "max_confidence_diff": round(conf_diff, 6),
    }
    print(json.dumps(report, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--data-dir", required=True)
    d.add_argument("--out", required=True)
    d.add_argument("--n", type=int, default=1000)
    d.add_argument("--unsafe", action="store_true", help="without affectlens's session settings")
    d.add_argument("--model-dir", help="a built model folder (default: the shipped model)")
    c = sub.add_parser("compare")
    c.add_argument("a")
    c.add_argument("b")
    args = parser.parse_args()
    dump(args) if args.command == "dump" else compare(args)


if __name__ == "__main__":
    main()
