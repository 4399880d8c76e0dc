"""Compare embedded model builds on development data only, side by side, and apply the
selection rule of docs/training.md ("Choosing between builds").

Reads: each build's GoEmotions dev macro-F1 (from its calibration, fitted on dev), the
cross-domain development suite (``evaluation.crossdomain``), and the development minimal-pair
suites (``minimal_pairs``, ``robustness``). Never a test split, never a holdout suite.

    python benchmarks/select_model.py --data-dir ../shared/data \\
        --model current=src/affectlens/assets/minilm-goemotions-v1 --model candidate=runs/asset-v2 [--out FILE.json]

The first ``--model`` is the incumbent; every other one is judged against it.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from affectlens.analyzers.embedded import EmbeddedAnalyzer
from affectlens.evaluation.crossdomain import CORPORA, crossdomain_dev
from affectlens.evaluation.pairs import run_suite

DEV_SUITES = ("minimal_pairs", "robustness")
# (corpus, figure) pairs the rule reads; every one is "higher is better"
CROSS_FIGURES = (
    ("brighter", "macro_f1"),
    ("emolit", "macro_f1"),
    ("covid-worry", "mean_rating_r"),
    ("fb-va", "valence_r"),
    ("emobank", "valence_r"),
)


def dev_figures(model_dir: Path, data_dir: Path) -> dict[str, Any]:
    analyzer = EmbeddedAnalyzer(model_dir=model_dir)
    calibration = json.loads((model_dir / "calibration.json").read_text(encoding="utf-8"))
    cross = crossdomain_dev(analyzer, data_dir, CORPORA)
    return {
        "goemotions_dev_macro_f1": calibration["taxonomies"]["goemotions"]["dev_scores"]["macro_f1"],
        "ekman_dev_macro_f1": calibration["taxonomies"]["ekman"]["dev_scores"]["macro_f1"],
        "suites": {name: run_suite(analyzer, name=name, explain=True)["pass_rate"] for name in DEV_SUITES},
        "crossdomain": {
            corpus: {k: v for k, v in figures.items() if isinstance(v, int | float)} for corpus, figures in cross.items()
        },
    }


def verdict(incumbent: dict[str, Any], candidate: dict[str, Any]) -> tuple[bool, list[str]]:
    """The rule of docs/training.md: GoEmotions dev within 0.005 and its Ekman grouping within
    0.01; both development suites no lower; the cross-domain figures better on average and
    none lower by more than 0.02."""
    reasons = []
    go = candidate["goemotions_dev_macro_f1"] - incumbent["goemotions_dev_macro_f1"]
    if go < -0.005:
        reasons.append(f"GoEmotions dev macro-F1 {go:+.4f} (allowed -0.005)")
    ekman = candidate["ekman_dev_macro_f1"] - incumbent["ekman_dev_macro_f1"]
    if ekman < -0.01:
        reasons.append(f"Ekman-grouped dev macro-F1 {ekman:+.4f} (allowed -0.01)")
    for suite in DEV_SUITES:
        delta = candidate["suites"][suite] - incumbent["suites"][suite]
        if delta < 0:
            reasons.append(f"{suite} suite {delta:+.4f}")
    deltas = [candidate["crossdomain"][c][f] - incumbent["crossdomain"][c][f] for c, f in CROSS_FIGURES]
    for (c, f), d in zip(CROSS_FIGURES, deltas, strict=True):
        if d < -0.02:
            reasons.append(f"{c} {f} {d:+.4f} (allowed -0.02)")
    if sum(deltas) / len(deltas) <= 0:
        reasons.append(f"cross-domain mean change {sum(deltas) / len(deltas):+.4f} (must be > 0)")
    return not reasons, reasons


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--model", action="append", required=True, help="NAME=DIR (repeat; the first is the incumbent)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    models = dict(m.split("=", 1) for m in args.model)
    started = time.perf_counter()
    figures = {name: dev_figures(Path(path), args.data_dir) for name, path in models.items()}
    names = list(figures)
    rows = [("GoEmotions dev macro-F1", lambda f: f["goemotions_dev_macro_f1"])]
    rows += [("Ekman-grouped dev macro-F1", lambda f: f["ekman_dev_macro_f1"])]
    rows += [(f"suite {s}", lambda f, s=s: f["suites"][s]) for s in DEV_SUITES]
    rows += [(f"{c} {k}", lambda f, c=c, k=k: f["crossdomain"][c][k]) for c, k in CROSS_FIGURES]
    rows += [
        (f"{c} labels per text", lambda f, c=c: f["crossdomain"][c].get("labels_per_text", float("nan")))
        for c in ("goemotions", "brighter", "emolit")
    ]
    print("| figure (dev) | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for label, get in rows:
        print(f"| {label} | " + " | ".join(f"{get(figures[n]):.4f}" for n in names) + " |")
    verdicts = {}
    for name in names[1:]:
        chosen, reasons = verdict(figures[names[0]], figures[name])
        verdicts[name] = {"replaces_incumbent": chosen, "reasons": reasons}
        print(f"{name}: {'replaces' if chosen else 'does not replace'} {names[0]}" + "".join(f"\n  - {r}" for r in reasons))
    if args.out:
        out = {"date": time.strftime("%Y-%m-%d"), "seconds": round(time.perf_counter() - started, 1), "models": models}
        args.out.write_text(json.dumps({**out, "figures": figures, "verdicts": verdicts}, indent=2) + "\n")


if __name__ == "__main__":
    main()
