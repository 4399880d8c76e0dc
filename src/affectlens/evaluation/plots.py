"""Calibration and VAD plots written by ``affectlens eval --plots DIR`` (needs matplotlib)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from affectlens.plots import pyplot as _pyplot
from affectlens.plots import require_matplotlib
from affectlens.plots import save as _save

__all__ = ["reliability_plot", "require_matplotlib", "vad_plot"]

_BINS = 15


def _reliability(ax, confidence: np.ndarray, outcome: np.ndarray, title: str) -> None:  # type: ignore[no-untyped-def]
    edges = np.linspace(0, 1, _BINS + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, _BINS - 1)
    centers = (edges[:-1] + edges[1:]) / 2
    rates = [outcome[which == b].mean() if (which == b).any() else np.nan for b in range(_BINS)]
    counts = np.bincount(which, minlength=_BINS)
    ax.bar(centers, rates, width=1 / _BINS, edgecolor="black", alpha=0.7, label="observed")
    ax.plot([0, 1], [0, 1], "k--", linewidth=1, label="perfect calibration")
    for x, n in zip(centers, counts):
        if n:
            ax.text(x, 0.02, str(n), ha="center", fontsize=6, rotation=90)
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="predicted probability", ylabel="observed frequency", title=title)
    ax.legend(loc="upper left", fontsize=7)


def reliability_plot(
    scores: np.ndarray, gold: np.ndarray, confidence: np.ndarray, exact: np.ndarray, path: Path, title: str
) -> Path:
    """Three reliability diagrams: dominant label, every label score, set confidence."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8))
    top = scores.argmax(axis=1)
    rows = np.arange(len(scores))
    _reliability(axes[0], scores[rows, top], gold[rows, top].astype(float), "dominant label (the ECE of eval)")
    _reliability(axes[1], scores.ravel(), gold.ravel().astype(float), "every label score")
    _reliability(axes[2], confidence, exact.astype(float), "confidence (label set exactly right)")
    return _save(plt, fig, title, path)


def vad_plot(pred: np.ndarray, gold: np.ndarray, intervals: np.ndarray | None, path: Path, title: str) -> Path:
    """Predicted against gold for each dimension; interval misses in red when intervals are given."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8))
    for k, (ax, dim) in enumerate(zip(axes, ("valence", "arousal", "dominance"))):
        miss = np.zeros(len(pred), dtype=bool)
        if intervals is not None:
            miss = (gold[:, k] < intervals[:, k, 0]) | (gold[:, k] > intervals[:, k, 1])
        ax.scatter(gold[~miss, k], pred[~miss, k], s=6, alpha=0.5, label="inside interval" if intervals is not None else None)
        if miss.any():
            ax.scatter(gold[miss, k], pred[miss, k], s=6, alpha=0.6, color="tab:red", label="outside interval")
        ax.plot([-1, 1], [-1, 1], "k--", linewidth=1)
        r = np.corrcoef(pred[:, k], gold[:, k])[0, 1]
        ax.set(xlim=(-1, 1), ylim=(-1, 1), xlabel=f"gold {dim}", ylabel=f"predicted {dim}", title=f"{dim} (r = {r:.3f})")
        if intervals is not None:
            ax.legend(loc="upper left", fontsize=7)
    return _save(plt, fig, title, path)
