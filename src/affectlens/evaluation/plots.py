"""Calibration and VAD plots written by ``affectlens eval --plots DIR`` (needs matplotlib)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from affectlens.errors import MissingDependencyError

__all__ = ["conversation_plot", "reliability_plot", "require_matplotlib", "vad_plot"]

_BINS = 15


def _save(plt, fig, title: str, path: Path) -> Path:  # type: ignore[no-untyped-def]
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def require_matplotlib() -> None:
    """Fail early, before a long evaluation, when plots were asked for and cannot be drawn."""
    _pyplot()


def _pyplot():  # type: ignore[no-untyped-def]
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise MissingDependencyError("matplotlib", "plots", "eval --plots") from exc
    return plt


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


def conversation_plot(analysis, path: Path) -> Path:  # type: ignore[no-untyped-def]
    """Each speaker's valence and arousal over the turns; shifts marked, cause links drawn."""
    plt = _pyplot()
    fig, axes = plt.subplots(2, 1, figsize=(max(6.0, min(24.0, 0.25 * len(analysis.turns) + 4)), 6), sharex=True)
    d = analysis.dynamics
    values = {t.index: (t.analysis.vad.valence, t.analysis.vad.arousal) for t in analysis.turns}
    for ax, k, name in ((axes[0], 0, "valence"), (axes[1], 1, "arousal")):
        for trajectory in d.trajectories:
            ys = trajectory.valence if k == 0 else trajectory.arousal
            ax.plot(trajectory.turns, ys, marker="o", markersize=3, linewidth=1.2, label=trajectory.speaker)
        shifts = [s.turn for s in d.shifts]
        ax.scatter(shifts, [values[i][k] for i in shifts], s=80, facecolors="none", edgecolors="black", zorder=3, label="shift")
        for e in d.escalations:
            ax.axvspan(e.start_turn - 0.5, e.end_turn + 0.5, color="red", alpha=0.12)
        ax.axhline(0.0, color="grey", linewidth=0.6)
        ax.set_ylim(-1.05, 1.05)
        ax.set_ylabel(name)
    for c in analysis.causes:
        if c.cause_turn != c.effect_turn:
            axes[0].annotate(
                "",
                xy=(c.effect_turn, values[c.effect_turn][0]),
                xytext=(c.cause_turn, values[c.cause_turn][0]),
                arrowprops={
                    "arrowstyle": "->",
                    "color": "tab:purple",
                    "alpha": min(1.0, 0.3 + c.score),
                    "connectionstyle": "arc3,rad=0.3",
                },
            )
    axes[0].legend(loc="upper right", fontsize=7, ncol=4)
    axes[1].set_xlabel("turn (arrows: cause → effect; shaded: escalation)")
    return _save(plt, fig, f"conversation {analysis.conversation_id}", path)
