"""Layer-wise linear probes for emotion, and difference-of-means emotion directions.

``affectlens probe MODEL`` reads GoEmotions **dev** (its texts with exactly one label after the
authors' Ekman grouping: anger, disgust, fear, joy, sadness, surprise, neutral), takes each
text's mean hidden state at every layer (0 = the embeddings), and per layer:

- fits a logistic-regression probe (standardised features) with stratified 5-fold
  cross-validation: accuracy and macro-F1, mean and spread over the folds;
- fits the same probe on shuffled labels — the **chance line**, measured rather than assumed
  (it also absorbs what a probe can fit from nothing: a probe above it reads something real);
- derives, for every emotion, the difference between the mean hidden state of its texts and
  that of the others: the direction ``affectlens steer`` adds.

Outputs in the folder: ``probe.json`` (figures per layer, class counts, model and data
identity, versions), ``probe.png`` (macro-F1 and accuracy per layer with the chance line) and
``directions.npz`` (``directions[layer, emotion, hidden]``, the per-layer token norm, the labels).
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from affectlens import __version__
from affectlens.errors import DatasetError

__all__ = ["directions", "emotion_texts", "fit_probes", "labelled_texts", "run_probe"]

Progress = Callable[[str], None]


def emotion_texts(data_dir: Path, *, split: str = "dev", limit: int | None = None, seed: int = 0) -> tuple[list[str], list[str]]:
    """GoEmotions texts with exactly one Ekman label (after grouping), and that label; ``limit``
    keeps a stratified sample of that many (the same for the same seed)."""
    from affectlens.evaluation.datasets import datasets

    data = datasets.get("goemotions-ekman").load(data_dir, split)
    assert data.gold is not None and data.label_names is not None
    single = np.flatnonzero(data.gold.sum(axis=1) == 1)
    labels = [data.label_names[int(data.gold[i].argmax())] for i in single]
    texts = [data.texts[i] for i in single]
    if limit and limit < len(texts):
        rng = np.random.default_rng(seed)
        keep: list[int] = []
        names = sorted(set(labels))
        for name in names:  # each class in proportion, at least a handful
            members = [i for i, label in enumerate(labels) if label == name]
            take = max(10, round(limit * len(members) / len(labels)))
            keep += list(rng.choice(members, size=min(take, len(members)), replace=False))
        keep.sort()
        texts, labels = [texts[i] for i in keep], [labels[i] for i in keep]
    if len(set(labels)) < 2:
        raise DatasetError("fewer than two emotions among the probe's texts")
    return texts, labels


def labelled_texts(path: str | Path, *, label_column: str = "label") -> tuple[list[str], list[str]]:
    """Texts and their one label each from a CSV, JSONL or Parquet file (``text`` and ``label``
    columns); rows without either are left out."""
    from affectlens.io.readers import read_records

    texts, labels = [], []
    for record in read_records(str(path), extra=(label_column,), required={label_column: "--label-column"}):
        label = (record.extra or {}).get(label_column)
        if record.error is None and record.text and label not in (None, ""):
            texts.append(record.text)
            labels.append(str(label))
    if len(set(labels)) < 2:
        raise DatasetError(f"{Path(path).name}: fewer than two labels among its texts", hint="a 'text' and a 'label' column")
    return texts, labels


def fit_probes(features: np.ndarray, labels: list[str], *, folds: int = 5, seed: int = 0) -> list[dict[str, Any]]:
    """Per layer: cross-validated accuracy and macro-F1 of a linear probe, and of the same probe
    on shuffled labels (chance)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    y = np.asarray(labels)
    shuffled = np.random.default_rng(seed).permutation(y)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    out = []
    for layer in range(features.shape[1]):
        x = features[:, layer, :]
        row: dict[str, Any] = {"layer": layer}
        for name, target in (("probe", y), ("chance", shuffled)):
            acc, f1 = [], []
            for train, test in splitter.split(x, target):
                probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.5))
                probe.fit(x[train], target[train])
                predicted = probe.predict(x[test])
                acc.append(accuracy_score(target[test], predicted))
                f1.append(f1_score(target[test], predicted, average="macro"))
            row[name] = {"accuracy": round(float(np.mean(acc)), 4), "accuracy_sd": round(float(np.std(acc)), 4),
                         "macro_f1": round(float(np.mean(f1)), 4), "macro_f1_sd": round(float(np.std(f1)), 4)}  # fmt: skip
        out.append(row)
    return out


def directions(features: np.ndarray, labels: list[str]) -> tuple[np.ndarray, list[str]]:
    """``[layer, emotion, hidden]``: mean state of the emotion's texts minus that of the others."""
    y = np.asarray(labels)
    names = sorted(set(labels))
    out = np.stack([features[y == name].mean(axis=0) - features[y != name].mean(axis=0) for name in names], axis=1)
    return out.astype(np.float32), names


def run_probe(
    model_path: str | Path,
    output: str | Path,
    *,
    data_dir: Path | None = None,
    labelled: str | Path | None = None,
    limit: int | None = 1000,
    folds: int = 5,
    threads: int | None = None,
    log: Progress | None = None,
) -> dict[str, Any]:
    from affectlens.interp.model import load_model

    say = log or (lambda message: None)
    folder = Path(output)
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if labelled is not None:
        texts, labels = labelled_texts(labelled)
        data = {"file": Path(labelled).name, "texts": len(texts)}
    else:
        from affectlens.evaluation.datasets.readers import resolve_data_dir

        texts, labels = emotion_texts(resolve_data_dir(data_dir), limit=limit)
        data = {"dataset": "goemotions-ekman@1", "split": "dev", "texts": len(texts),
                "selection": "texts with exactly one Ekman label; a stratified sample of --limit"}  # fmt: skip
    small = [name for name in set(labels) if labels.count(name) < folds]
    if small:
        raise DatasetError(f"fewer texts than folds ({folds}) for {', '.join(sorted(small))}", hint="more texts, or --folds")
    say(f"{len(texts)} texts, {len(set(labels))} emotions; loading the model")
    local = load_model(model_path, threads=threads)
    say("hidden states, layer by layer")
    features, token_norms = local.hidden_states(texts)
    say(f"probes on {features.shape[1]} layers ({folds}-fold)")
    layers = fit_probes(features, labels, folds=folds)
    vectors, names = directions(features, labels)
    np.savez_compressed(folder / "directions.npz", directions=vectors, token_norm=token_norms, labels=np.asarray(names))
    best = max(layers, key=lambda row: row["probe"]["macro_f1"])
    counts = {name: labels.count(name) for name in names}
    result = {
        "model": local.id,
        "data": {**data, "classes": counts},
        "method": {"pooling": "mean over the text's tokens", "probe": "standardised logistic regression, C=0.5",
                   "folds": folds, "chance": "the same probe on shuffled labels"},
        "layers": layers,
        "best_layer": best["layer"],
        "majority_share": round(max(counts.values()) / len(labels), 4),
        "versions": {"affectlens": __version__, "python": platform.python_version()},
        "seconds": round(time.perf_counter() - started, 1),
    }  # fmt: skip
    (folder / "probe.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    _plot(result, folder / "probe.png")
    return result


def _plot(result: dict[str, Any], path: Path) -> None:
    from affectlens.plots import pyplot, save

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.6))
    layers = [row["layer"] for row in result["layers"]]
    for metric, colour in (("macro_f1", "tab:blue"), ("accuracy", "tab:orange")):
        mean = np.array([row["probe"][metric] for row in result["layers"]])
        sd = np.array([row["probe"][f"{metric}_sd"] for row in result["layers"]])
        chance = [row["chance"][metric] for row in result["layers"]]
        ax.plot(layers, mean, color=colour, marker="o", markersize=3, label=f"probe {metric.replace('_', '-')}")
        ax.fill_between(layers, mean - sd, mean + sd, color=colour, alpha=0.2)
        ax.plot(
            layers,
            chance,
            color=colour,
            linestyle="--",
            linewidth=1,
            label=f"chance (shuffled labels) {metric.replace('_', '-')}",
        )
    ax.set(xlabel="layer (0 = embeddings)", ylabel="cross-validated score", ylim=(0, 1))
    ax.set_xticks(layers)
    ax.legend(fontsize=7, loc="upper center", ncol=2)
    source = result["data"].get("file") or "GoEmotions dev (Ekman)"
    save(plt, fig, f"Emotion probes per layer, {source} (n={result['data']['texts']})\n{result['model']}", path)
