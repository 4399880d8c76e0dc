"""Calibration of label scores, decision thresholds and set confidence.

Fitted on dev splits only (by the training recipe); applied at run time with numpy alone.

- Per-label Platt scaling: ``p = sigmoid(a · z + b)`` on the label's logit ``z``.
- Per-label thresholds that maximise the label's F1 on dev.
- ``empty_fallback``: when no label passes its threshold, keep the top label (chosen on dev
  only if it raises macro-F1 there).
- Set confidence: the probability that the predicted label *set* is exactly right, an
  isotonic map from the set's likelihood under the calibrated scores, fitted on dev.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "CONFIDENCE_BOUND",
    "TaxonomyCalibration",
    "bounded_confidence",
    "fit_confidence",
    "fit_platt",
    "fit_thresholds",
    "logit",
    "set_likelihood",
    "sigmoid",
]

_EPS = 1e-6
CONFIDENCE_BOUND = 0.01  # a set confidence is never claimed below 1% or above 99%


def bounded_confidence(value: float) -> float:
    """A set confidence from anywhere (an LLM's own, a vote share) within the same bounds as
    the calibrated ones."""
    return float(np.clip(value, CONFIDENCE_BOUND, 1.0 - CONFIDENCE_BOUND))


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1.0 - _EPS)
    return np.log(p) - np.log1p(-p)


def set_likelihood(probs: np.ndarray, decided: np.ndarray) -> np.ndarray:
    """Probability of exactly the decided set if labels were independent: ``[n]``."""
    p = np.clip(probs, _EPS, 1.0 - _EPS)
    return np.exp(np.where(decided, np.log(p), np.log1p(-p)).sum(axis=1))


@dataclass(frozen=True)
class TaxonomyCalibration:
    """Everything needed to turn one taxonomy's raw logits into scores, labels, confidence."""

    taxonomy: str
    labels: list[str]
    platt_a: np.ndarray
    platt_b: np.ndarray
    thresholds: np.ndarray
    empty_fallback: bool
    confidence_x: np.ndarray
    confidence_y: np.ndarray
    fitted_on: str
    dev_scores: dict[str, float] = field(default_factory=dict)

    @classmethod
    def identity(cls, taxonomy: str, labels: list[str], *, threshold: float = 0.5) -> TaxonomyCalibration:
        """No recalibration: probabilities are ``sigmoid(logit)``, one flat threshold, and the
        set likelihood taken as the confidence (for backends without dev-fitted calibration)."""
        n = len(labels)
        return cls(
            taxonomy=taxonomy,
            labels=list(labels),
            platt_a=np.ones(n),
            platt_b=np.zeros(n),
            thresholds=np.full(n, threshold),
            empty_fallback=False,
            confidence_x=np.array([0.0, 1.0]),
            confidence_y=np.array([0.0, 1.0]),
            fitted_on="nothing (identity)",
        )

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        """Calibrated probabilities ``[n, L]`` from raw logits ``[n, L]``."""
        return sigmoid(logits * self.platt_a + self.platt_b)

    def decide(self, probs: np.ndarray) -> np.ndarray:
        """Which labels are predicted: a boolean ``[n, L]``."""
        decided = probs >= self.thresholds
        if self.empty_fallback:
            empty = ~decided.any(axis=1)
            decided[empty, probs[empty].argmax(axis=1)] = True
        return decided

    def confidence(self, probs: np.ndarray, decided: np.ndarray) -> np.ndarray:
        """Calibrated probability that each decided set is exactly right: ``[n]``, within
        [:data:`CONFIDENCE_BOUND`, 1 − :data:`CONFIDENCE_BOUND`]. The isotonic map reaches 0 or 1
        where no dev set of that likelihood was right (or wrong); a few thousand dev texts do
        not support certainty either way."""
        mapped = np.interp(set_likelihood(probs, decided), self.confidence_x, self.confidence_y)
        return np.clip(mapped, CONFIDENCE_BOUND, 1.0 - CONFIDENCE_BOUND)

    def to_json(self) -> dict[str, Any]:
        return {
            "taxonomy": self.taxonomy,
            "labels": self.labels,
            "platt_a": self.platt_a.round(6).tolist(),
            "platt_b": self.platt_b.round(6).tolist(),
            "thresholds": self.thresholds.round(4).tolist(),
            "empty_fallback": self.empty_fallback,
            "confidence_x": self.confidence_x.round(6).tolist(),
            "confidence_y": self.confidence_y.round(6).tolist(),
            "fitted_on": self.fitted_on,
            "dev_scores": self.dev_scores,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TaxonomyCalibration:
        arrays = {
            key: np.asarray(data[key], dtype=np.float64)
            for key in ("platt_a", "platt_b", "thresholds", "confidence_x", "confidence_y")
        }
        return cls(
            taxonomy=data["taxonomy"],
            labels=list(data["labels"]),
            empty_fallback=bool(data["empty_fallback"]),
            fitted_on=data["fitted_on"],
            dev_scores=dict(data.get("dev_scores", {})),
            **arrays,
        )


def fit_platt(logits: np.ndarray, gold: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-label Platt scaling parameters ``(a, b)`` fitted by logistic regression."""
    from sklearn.linear_model import LogisticRegression

    a = np.ones(logits.shape[1])
    b = np.zeros(logits.shape[1])
    for j in range(logits.shape[1]):
        y = gold[:, j]
        if y.min() == y.max():  # no positives (or no negatives) on dev: leave the logit as is
            continue
        model = LogisticRegression(C=1e4, max_iter=1000).fit(logits[:, j : j + 1], y)
        a[j], b[j] = float(model.coef_[0, 0]), float(model.intercept_[0])
    return a, b


def fit_thresholds(probs: np.ndarray, gold: np.ndarray, *, grid: np.ndarray | None = None) -> np.ndarray:
    """Per-label threshold maximising that label's F1 (ties: the lowest such threshold)."""
    grid = np.round(np.arange(0.02, 0.99, 0.01), 2) if grid is None else grid
    gold = gold.astype(bool)
    out = np.full(probs.shape[1], 0.5)
    for j in range(probs.shape[1]):
        pred = probs[:, j][None, :] >= grid[:, None]  # [grid, n]
        tp = (pred & gold[:, j]).sum(axis=1)
        fp = (pred & ~gold[:, j]).sum(axis=1)
        fn = (~pred & gold[:, j]).sum(axis=1)
        denom = 2 * tp + fp + fn
        f1 = np.divide(2 * tp, denom, out=np.zeros(len(grid)), where=denom > 0)
        if f1.max() > 0:
            out[j] = grid[int(f1.argmax())]
    return out


def fit_confidence(probs: np.ndarray, decided: np.ndarray, gold: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Isotonic map from set likelihood to "the decided set equals the gold set"."""
    from sklearn.isotonic import IsotonicRegression

    exact = (decided == gold.astype(bool)).all(axis=1).astype(float)
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    iso.fit(set_likelihood(probs, decided), exact)
    return np.asarray(iso.X_thresholds_, dtype=float), np.asarray(iso.y_thresholds_, dtype=float)
