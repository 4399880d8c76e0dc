"""Compare embedded model builds side by side and apply the selection rule of docs/training.md
("Choosing between builds"), fixed on 2026-12-03 before build v2h was scored.

Reads, on development data: GoEmotions dev macro-F1 and its Ekman grouping (from each build's
calibration, fitted on dev), the cross-domain development suite (``evaluation.crossdomain``),
the informal-text suites (``robustness``, ``everyday``) and, as a diagnostic only, the
development minimal pairs (``minimal_pairs``). The held-out minimal-pair suites are read only
as a floor that can refuse a build, never to rank builds. Never a test split.

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

#: where users' text comes from: the gain the rule weighs is the mean of three equal parts
INFORMAL_SUITES = ("robustness", "everyday")
DIAGNOSTIC_SUITES = ("minimal_pairs",)  # reported, never a veto
HOLDOUT_SUITES = ("minimal_pairs_holdout", "robustness_holdout")  # a floor: >= 0.85 (or no lower, below it)
HOLDOUT_FLOOR = 0.85
MAX_FALL = 0.01  # no corpus figure may fall by more than this
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
    suites = INFORMAL_SUITES + DIAGNOSTIC_SUITES + HOLDOUT_SUITES
    return {
        "goemotions_dev_macro_f1": calibration["taxonomies"]["goemotions"]["dev_scores"]["macro_f1"],
        "ekman_dev_macro_f1": calibration["taxonomies"]["ekman"]["dev_scores"]["macro_f1"],
        "suites": {name: run_suite(analyzer, name=name, explain=True)["pass_rate"] for name in suites},
        "crossdomain": {
            corpus: {k: v for k, v in figures.items() if isinstance(v, int | float)} for corpus, figures in cross.items()
        },
    }


def verdict(incumbent: dict[str, Any], candidate: dict[str, Any]) -> tuple[bool, list[str], dict[str, float]]:
    """The rule of docs/training.md (2026-12-03):

    - gain = mean of three equal parts: the change of GoEmotions dev macro-F1, the mean change
      of the cross-domain figures, the mean change of the informal-text suites' pass rates;
      it must be > 0;
    - no corpus figure (GoEmotions dev, its Ekman grouping, each cross-domain figure) falls by
      more than 0.01;
    - each held-out minimal-pair suite is >= 0.85, or no lower than the incumbent's where the
      incumbent is below 0.85;
    - the development minimal pairs are reported, never a veto.
    Returns (replaces, reasons it does not, the parts of the gain)."""
    reasons = []
    falls = {
        "GoEmotions dev macro-F1": candidate["goemotions_dev_macro_f1"] - incumbent["goemotions_dev_macro_f1"],
        "Ekman-grouped dev macro-F1": candidate["ekman_dev_macro_f1"] - incumbent["ekman_dev_macro_f1"],
    }
    cross = [candidate["crossdomain"][c][f] - incumbent["crossdomain"][c][f] for c, f in CROSS_FIGURES]
    falls |= {f"{c} {f}": d for (c, f), d in zip(CROSS_FIGURES, cross, strict=True)}
    for name, delta in falls.items():
        if delta < -MAX_FALL:
            reasons.append(f"{name} {delta:+.4f} (allowed -{MAX_FALL})")
    informal = [candidate["suites"][s] - incumbent["suites"][s] for s in INFORMAL_SUITES]
    parts = {
        "goemotions_dev": falls["GoEmotions dev macro-F1"],
        "crossdomain_mean": sum(cross) / len(cross),
        "informal_suites_mean": sum(informal) / len(informal),
    }
    gain = sum(parts.values()) / len(parts)
    parts["gain"] = gain
    if gain <= 0:
        reasons.append(f"gain {gain:+.4f} (must be > 0)")
    for suite in HOLDOUT_SUITES:
        value, before = candidate["suites"][suite], incumbent["suites"][suite]
        if value < HOLDOUT_FLOOR and (before >= HOLDOUT_FLOOR or value < before):
            reasons.append(f"{suite} {value:.4f} (floor {HOLDOUT_FLOOR}, or no lower than the incumbent's {before:.4f} below it)")
    return not reasons, reasons, parts


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
    rows += [(f"suite {s}", lambda f, s=s: f["suites"][s]) for s in INFORMAL_SUITES + DIAGNOSTIC_SUITES + HOLDOUT_SUITES]
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
        chosen, reasons, parts = verdict(figures[names[0]], figures[name])
        verdicts[name] = {"replaces_incumbent": chosen, "reasons": reasons, "gain": parts}
        gain = ", ".join(f"{k} {v:+.4f}" for k, v in parts.items())
        decision = "replaces" if chosen else "does not replace"
        print(f"{name}: {decision} {names[0]} ({gain})" + "".join(f"\n  - {r}" for r in reasons))
    if args.out:
        out = {"date": time.strftime("%Y-%m-%d"), "seconds": round(time.perf_counter() - started, 1), "models": models}
        args.out.write_text(json.dumps({**out, "figures": figures, "verdicts": verdicts}, indent=2) + "\n")


if __name__ == "__main__":
    main()
