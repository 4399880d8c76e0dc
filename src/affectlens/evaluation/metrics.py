"""Evaluation metrics (numpy only; checked against scikit-learn in the tests).

Every metric has a version and a direction; results files record both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "METRICS",
    "MetricInfo",
    "brier",
    "calibration_error",
    "dominant_ece",
    "f1_per_label",
    "macro_f1",
    "mae",
    "micro_f1",
    "pearson",
    "weighted_f1",
]


@dataclass(frozen=True)
class MetricInfo:
    name: str
    version: int
    higher_is_better: bool
    description: str


METRICS: dict[str, MetricInfo] = {
    m.name: m
    for m in (
        MetricInfo("macro_f1", 1, True, "unweighted mean of per-label F1 (labels with no gold and no prediction count as 0)"),
        MetricInfo("micro_f1", 1, True, "F1 over all (text, label) decisions pooled"),
        MetricInfo("weighted_f1", 1, True, "per-label F1 averaged with gold counts as weights"),
        MetricInfo("accuracy", 1, True, "share of turns whose dominant label is the gold label"),
        MetricInfo("pos_f1", 1, True, "causal emotion entailment: F1 of the cause class over (effect, candidate) pairs"),
        MetricInfo("neg_f1", 1, True, "causal emotion entailment: F1 of the non-cause class"),
        MetricInfo("per_label_f1", 1, True, "F1 of each label"),
        MetricInfo(
            "ece",
            1,
            False,
            "15-bin expected calibration error of the dominant label's score against whether it is in the gold set",
        ),
        MetricInfo("brier", 1, False, "mean squared error of every label score against the 0/1 gold, over texts and labels"),
        MetricInfo("exact_match", 1, True, "share of texts whose predicted label set equals the gold set"),
        MetricInfo("confidence_ece", 1, False, "15-bin calibration error of `confidence` against exact set match"),
        MetricInfo("vad_coverage", 1, True, "share of gold ratings inside the VAD interval (should equal the stated coverage)"),
        MetricInfo("comprehensiveness", 1, True, "ERASER: mean fall of a label's score when its evidence is deleted"),
        MetricInfo("sufficiency", 1, False, "ERASER: mean fall of a label's score when only its evidence is kept"),
        MetricInfo("random_comprehensiveness", 1, False, "comprehensiveness of random word runs as long as the evidence"),
        MetricInfo("pass_rate", 1, True, "share of minimal pairs whose expectations all hold"),
        MetricInfo("pearson", 1, True, "Pearson correlation of predicted and gold ratings"),
        MetricInfo("mae", 1, False, "mean absolute error on the [-1, 1] scale (EmoBank 1-5 mapped by (x-3)/2)"),
    )
}


def _counts(gold: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    gold, pred = gold.astype(bool), pred.astype(bool)
    tp = (gold & pred).sum(axis=0)
    fp = (~gold & pred).sum(axis=0)
    fn = (gold & ~pred).sum(axis=0)
    return tp, fp, fn


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    denom = 2 * tp + fp + fn
    return np.divide(2 * tp, denom, out=np.zeros(np.shape(tp), dtype=float), where=denom > 0)


def f1_per_label(gold: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """F1 of each column of 0/1 matrices ``[n, L]``."""
    return _f1(*_counts(gold, pred))


def macro_f1(gold: np.ndarray, pred: np.ndarray) -> float:
    return float(f1_per_label(gold, pred).mean())


def weighted_f1(gold: np.ndarray, pred: np.ndarray) -> float:
    """Per-label F1 averaged with each label's gold count as its weight."""
    support = gold.sum(axis=0)
    return float((f1_per_label(gold, pred) * support).sum() / max(support.sum(), 1.0))


def micro_f1(gold: np.ndarray, pred: np.ndarray) -> float:
    tp, fp, fn = (c.sum() for c in _counts(gold, pred))
    return float(_f1(np.asarray(tp), np.asarray(fp), np.asarray(fn)))


def dominant_ece(scores: np.ndarray, gold: np.ndarray, *, bins: int = 15) -> float:
    """ECE of the top-scoring label: its score is the confidence, "it is in the gold set"
    the outcome; equal-width bins on [0, 1]."""
    top = scores.argmax(axis=1)
    confidence = scores[np.arange(len(scores)), top]
    correct = gold[np.arange(len(gold)), top].astype(float)
    return calibration_error(confidence, correct, bins=bins)


def calibration_error(confidence: np.ndarray, correct: np.ndarray, *, bins: int = 15) -> float:
    """Expected calibration error of probabilities ``confidence`` for 0/1 ``correct``."""
    if len(confidence) == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(total)


def brier(scores: np.ndarray, gold: np.ndarray) -> float:
    return float(np.mean((scores - gold) ** 2))


def pearson(pred: np.ndarray, gold: np.ndarray) -> float:
    if np.std(pred) == 0 or np.std(gold) == 0:
        return 0.0
    return float(np.corrcoef(pred, gold)[0, 1])


def mae(pred: np.ndarray, gold: np.ndarray) -> float:
    return float(np.mean(np.abs(pred - gold)))
