"""How much do more kinds of text help, and what do they cost in-domain? A cheap probe: keep the
shipped encoder frozen, refit only the linear emotion head on its pooled states, with and
without the extra sources, and score each on the cross-domain development suite.

    python benchmarks/multisource_heads.py --data-dir ../shared/data [--out FILE.json]

Head training data: GoEmotions train and the generated texts of ``training augment`` (as the
shipped model), plus, weighted by ``--extra-weight``, BRIGHTER train (its 5 labels) and the
train part of EmoLit (the 24 labels it shares with GoEmotions; ``split_of``). A label a source
does not annotate is left out of that source's loss for that label (masked), never read as
"absent". One logistic regression per label (scikit-learn, C = 1). Each head is calibrated
on GoEmotions dev exactly as ``build`` does, then scored on the development suite and the
development minimal-pair suites. Test splits and held-out suites are not read.

This is a probe, not the recipe: the shipped model fine-tunes the encoder too.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np


def pooled(analyzer: Any, texts: list[str]) -> np.ndarray:
    out = []
    for start in range(0, len(texts), 2000):
        out.append(np.stack([e.pooled.mean(axis=0) for e in analyzer.encoder.encode(texts[start : start + 2000])]))
    return np.concatenate(out)


def sources(analyzer: Any, data_dir: Path, augment: Path) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """name -> (features, targets [n, 28], annotated [n, 28])."""
    from affectlens.evaluation.datasets.readers import read_goemotions
    from affectlens.training.sources import SOURCES, load_sources

    names = analyzer.native_taxonomy.names
    out = {}
    train = read_goemotions(data_dir, "train")
    y = train.indicator().astype(float)
    out["goemotions"] = (pooled(analyzer, train.texts), y, np.ones_like(y, bool))
    rows = [json.loads(line) for line in augment.read_text(encoding="utf-8").splitlines() if line.strip()]
    y = np.zeros((len(rows), 28))
    for i, row in enumerate(rows):
        y[i, [names.index(label) for label in row["labels"]]] = 1
    out["augment"] = (pooled(analyzer, [r["text"] for r in rows]), y, np.ones_like(y, bool))
    for source in load_sources(data_dir, SOURCES):
        out[source.name] = (pooled(analyzer, source.texts), source.targets, source.annotated)
    return out


def fit_head(data: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]], extra_weight: float) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.linear_model import LogisticRegression

    used = [n for n in data if n in ("goemotions", "augment") or extra_weight > 0]
    x = np.concatenate([data[n][0] for n in used])
    y = np.concatenate([data[n][1] for n in used])
    m = np.concatenate([data[n][2] for n in used])
    w = np.concatenate([np.full(len(data[n][0]), 1.0 if n in ("goemotions", "augment") else extra_weight) for n in used])
    weights, bias = np.zeros((x.shape[1], 28), np.float32), np.zeros(28, np.float32)
    for k in range(28):
        rows = m[:, k]
        model = LogisticRegression(C=1.0, max_iter=300).fit(x[rows], y[rows, k], sample_weight=w[rows])
        weights[:, k], bias[k] = model.coef_[0], model.intercept_[0]
    return weights, bias


def install(analyzer: Any, weights: np.ndarray, bias: np.ndarray, data_dir: Path) -> None:
    """Put the head in the analyzer, calibrated on GoEmotions dev as `build` calibrates."""
    from affectlens.evaluation.datasets import datasets
    from affectlens.evaluation.datasets.readers import read_goemotions
    from affectlens.reasoning.calibration import logit
    from affectlens.reasoning.projection import TaxonomyProjector
    from affectlens.taxonomy import load_taxonomy, mapping_matrix, noisy_or
    from affectlens.training.build import fit_calibration

    analyzer._emotion_w, analyzer._emotion_b = weights, bias
    dev = read_goemotions(data_dir, "dev")
    logits = analyzer.predict_raw(dev.texts).logits
    names = analyzer.native_taxonomy.names
    calibrations = {"goemotions": fit_calibration("goemotions", logits, dev.indicator(), names, "goemotions dev")}
    probs = calibrations["goemotions"].probabilities(logits)
    for name in ("ekman", "sentiment"):
        target = load_taxonomy(name)
        gold = datasets.get(f"goemotions-{name}").load(data_dir, "dev").gold
        mapped = logit(noisy_or(probs, mapping_matrix("goemotions", target.id)))
        calibrations[name] = fit_calibration(name, mapped, gold, target.names, "goemotions dev")
    analyzer.projector = TaxonomyProjector(analyzer.native_taxonomy, calibrations)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--extra-weight", type=float, action="append", help="weights of the extra sources to try [0, 0.5, 1]")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    import tempfile

    from affectlens.analyzers.embedded import EmbeddedAnalyzer
    from affectlens.evaluation.crossdomain import crossdomain_dev
    from affectlens.evaluation.pairs import run_suite
    from affectlens.training.augment import write

    analyzer = EmbeddedAnalyzer()
    with tempfile.TemporaryDirectory() as tmp:
        augment = Path(tmp) / "augment.jsonl"
        write(augment, seed=7)
        data = sources(analyzer, args.data_dir, augment)
    results: dict[str, Any] = {"date": time.strftime("%Y-%m-%d"), "sizes": {k: len(v[0]) for k, v in data.items()}, "heads": {}}
    corpora = ("goemotions", "brighter", "emolit", "covid-worry")
    shipped = {"suite": crossdomain_dev(analyzer, args.data_dir, corpora)}
    shipped["minimal_pairs"] = run_suite(analyzer, name="minimal_pairs")["pass_rate"]
    shipped["robustness"] = run_suite(analyzer, name="robustness")["pass_rate"]
    results["heads"]["shipped (fine-tuned with the encoder)"] = shipped
    for weight in args.extra_weight or [0.0, 0.5, 1.0]:
        install(analyzer, *fit_head(data, weight), args.data_dir)
        figures: dict[str, Any] = {"suite": crossdomain_dev(analyzer, args.data_dir, corpora)}
        figures["minimal_pairs"] = run_suite(analyzer, name="minimal_pairs")["pass_rate"]
        figures["robustness"] = run_suite(analyzer, name="robustness")["pass_rate"]
        results["heads"][f"refit, extra weight {weight}"] = figures
        print(weight, json.dumps(figures)[:400], flush=True)
    text = json.dumps(results, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
