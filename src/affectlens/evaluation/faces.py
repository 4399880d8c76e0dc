"""Scoring the face model on a face-crop dataset (FER-2013): what ``affectlens eval fer2013`` reports.

The crops are given (no detection): each image is the face, resized to the model's 64×64.
Metrics: accuracy, macro-F1, per-class F1, the expected calibration error of the top
class's probability (15 bins; that probability is also each face's ``confidence``), and a
reliability diagram with ``--plots``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from affectlens.evaluation import metrics as m
from affectlens.evaluation.datasets import EvalData

__all__ = ["face_crops", "score_faces"]

_CHUNK = 512


def face_crops(paths: list[str], on_progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """The 64×64 grey crops ``[n, 64, 64]`` of whole-face images."""
    from affectlens.media.faces import crop_face
    from affectlens.media.images import load_image

    crops = np.zeros((len(paths), 64, 64), dtype=np.float32)
    for n, path in enumerate(paths):
        grey = load_image(path).grey
        crops[n] = crop_face(grey, (0, 0, grey.shape[1], grey.shape[0]))
        if on_progress and (n + 1) % _CHUNK == 0:
            on_progress(n + 1, len(paths) * 2)
    return crops


def score_faces(
    analyzer: Any,
    data: EvalData,
    *,
    plots_dir: Path | None = None,
    title: str = "",
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """The metrics of ``analyzer`` (an :class:`~affectlens.media.ImageAnalyzer`) on ``data``, and any plots written."""
    assert data.gold is not None and data.label_names is not None
    crops = face_crops(data.texts, on_progress)
    probs = np.concatenate([analyzer.probabilities(crops[i : i + _CHUNK]) for i in range(0, len(crops), _CHUNK)])
    if on_progress:
        on_progress(len(crops) * 2, len(crops) * 2)
    gold = data.gold
    truth = gold.argmax(axis=1)
    pred = np.zeros_like(gold)
    pred[np.arange(len(pred)), probs.argmax(axis=1)] = True
    per_label = m.f1_per_label(gold, pred)
    top = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == truth).astype(float)
    metrics: dict[str, Any] = {
        "accuracy": round(float(correct.mean()), 4),
        "macro_f1": round(m.macro_f1(gold, pred), 4),
        "weighted_f1": round(m.weighted_f1(gold, pred), 4),
        "ece": round(m.calibration_error(top, correct), 4),
        "brier": round(float(np.mean(np.sum((probs - gold) ** 2, axis=1))), 4),
        "mean_confidence": round(float(top.mean()), 4),
        "per_label_f1": {name: round(float(v), 4) for name, v in zip(data.label_names, per_label)},
    }
    plots: list[str] = []
    if plots_dir is not None:
        from affectlens.evaluation.plots import reliability_plot

        plots.append(
            str(
                reliability_plot(probs, gold, top, correct.astype(bool), plots_dir / f"{title or 'faces'}-reliability.png", title)
            )
        )
    return metrics, plots
