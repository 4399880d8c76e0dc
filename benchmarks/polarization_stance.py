"""The offline stance classifier on P-Stance (Li et al., Findings of ACL 2021), against the
dataset's published baseline (BERTweet, in-target macro-F1 80.53, averaged over targets).

    python benchmarks/polarization_stance.py --data-dir ../shared/data [--out FILE.json]

Per target (Trump, Biden, Sanders), favour vs against:

- **few-shot**: k labelled tweets per stance drawn from train (k = 8, 32, 128; 5 draws each),
  the classifier trained as ``polarization analyze --stance-examples`` trains it (its C chosen by
  cross-validation on those examples alone), scored on test;
- **full train**: every train tweet; C chosen on P-Stance val; scored on test.

Macro-F1 over favour and against, in percent, as the paper reports it; the cross-validated
accuracy the run would have printed for the few-shot models is given beside the test score, to
show how far the number a user sees is from the one on held-out data. P-Stance is for
evaluation only: nothing trained here ships.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import time
from pathlib import Path

import numpy as np

TARGETS = {"trump": "Donald Trump", "biden": "Joe Biden", "bernie": "Bernie Sanders"}
BASELINE = 80.53


def read(path: Path) -> list[tuple[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return [(row["Tweet"], row["Stance"].strip().lower()) for row in csv.DictReader(f)]


def topic(target: str):  # type: ignore[no-untyped-def]
    from affectlens.polarization.topics import Topic

    return Topic.model_validate(
        {
            "name": f"pstance-{target}",
            "version": 1,
            "title": TARGETS[target],
            "question": f"Do you favour {TARGETS[target]}?",
            "stances": [
                {"label": "favor", "position": 1, "definition": "in favour"},
                {"label": "against", "position": -1, "definition": "against"},
            ],
            "unknown": {"label": "none", "definition": "neither"},
        }
    )


def macro_f1(gold: list[str], predicted: list[str]) -> float:
    from affectlens.evaluation.metrics import macro_f1 as f1

    labels = ["favor", "against"]
    g = np.stack([np.asarray(gold) == k for k in labels], 1)
    p = np.stack([np.asarray(predicted) == k for k in labels], 1)
    return round(100 * f1(g, p), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--shots", type=int, nargs="+", default=[8, 32, 128])
    parser.add_argument("--draws", type=int, default=5)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from affectlens.api import get_analyzer
    from affectlens.benchmark import cpu_info
    from affectlens.polarization.stance import train_stance

    analyzer = get_analyzer("embedded")
    started = time.perf_counter()
    cache: dict[str, np.ndarray] = {}

    def embed(texts: list[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in cache]
        if todo:
            for t, v in zip(todo, analyzer.analyze_with_vectors(todo)[1]):  # type: ignore[attr-defined]
                cache[t] = v
        return np.stack([cache[t] for t in texts])

    results: dict[str, dict[str, object]] = {}
    for target in TARGETS:
        folder = args.data_dir / "pstance"
        train, val, test = (read(folder / f"raw_{s}_{target}.csv") for s in ("train", "val", "test"))
        gold = [label for _, label in test]
        x_test = embed([t for t, _ in test])
        row: dict[str, object] = {"test_tweets": len(test)}
        for k in args.shots:
            scores, cvs = [], []
            for draw in range(args.draws):
                rng = random.Random(1000 * k + draw)
                examples = [e for label in ("favor", "against") for e in rng.sample([e for e in train if e[1] == label], k)]
                model = train_stance(topic(target), examples, embed, source="P-Stance train", min_confidence=0.0, seed=draw)
                predicted = [label for label, _ in model.predict(x_test, "none")]
                scores.append(macro_f1(gold, predicted))
                cvs.append(100 * (model.cv_macro_f1 or 0))
            row[f"{k}_shot"] = {"macro_f1": round(float(np.mean(scores)), 2), "sd": round(float(np.std(scores)), 2),
                                "cv_macro_f1_shown": round(float(np.mean(cvs)), 2)}  # fmt: skip
        x_train, y_train = embed([t for t, _ in train]), [label for _, label in train]
        x_val, y_val = embed([t for t, _ in val]), [label for _, label in val]
        scaler = StandardScaler().fit(x_train)
        best = max(
            (0.001, 0.01, 0.1, 1.0),
            key=lambda c: macro_f1(
                y_val,
                list(
                    LogisticRegression(C=c, class_weight="balanced", max_iter=5000)
                    .fit(scaler.transform(x_train), y_train)
                    .predict(scaler.transform(x_val))
                ),
            ),
        )
        full = LogisticRegression(C=best, class_weight="balanced", max_iter=5000).fit(scaler.transform(x_train), y_train)
        row["full_train"] = {
            "macro_f1": macro_f1(gold, list(full.predict(scaler.transform(x_test)))),
            "C": best,
            "train_tweets": len(train),
        }
        results[target] = row
        print(target, json.dumps(row), flush=True)
    average = {
        key: round(float(np.mean([r[key]["macro_f1"] for r in results.values()])), 2)  # type: ignore[index]
        for key in [f"{k}_shot" for k in args.shots] + ["full_train"]
    }
    out = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": {"cpu": cpu_info(), "cores": os.cpu_count()},
        "dataset": "P-Stance (raw_{train,val,test}_{trump,biden,bernie}.csv), favour vs against, in-target",
        "published_baseline_macro_f1": BASELINE,
        "targets": results,
        "average_macro_f1": average,
        "seconds": round(time.perf_counter() - started, 1),
    }
    text = json.dumps(out, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
