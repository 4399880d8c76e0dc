"""Split-conformal intervals for valence, arousal and dominance.

Fitted on a held-out split (EmoBank dev): the absolute residuals ``|y - ŷ|`` of each
dimension are kept sorted. For a coverage ``c`` the interval is ``ŷ ± r_(k)`` with
``k = ⌈(n + 1) c⌉`` — under exchangeability it contains the true rating with probability at
least ``c`` (Vovk et al. 2005; Lei et al. 2018). Intervals are clipped to [-1, 1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["DIMENSIONS", "ConformalVAD", "fit_conformal"]

DIMENSIONS = ("valence", "arousal", "dominance")


@dataclass(frozen=True)
class ConformalVAD:
    residuals: dict[str, np.ndarray]  # sorted absolute residuals per dimension
    fitted_on: str

    def radius(self, dimension: str, coverage: float) -> float:
        """Half-width of the interval for ``coverage`` (2.0, i.e. everything, when too few residuals)."""
        r = self.residuals[dimension]
        k = math.ceil((len(r) + 1) * coverage)
        return float(r[k - 1]) if k <= len(r) else 2.0

    def intervals(self, vad: np.ndarray, coverage: float) -> list[dict[str, tuple[float, float]]]:
        """Per row of ``vad`` ``[n, 3]``: ``{dimension: (low, high)}``."""
        radii = [self.radius(d, coverage) for d in DIMENSIONS]
        return [
            {d: (round(max(-1.0, float(v) - q), 4), round(min(1.0, float(v) + q), 4)) for d, v, q in zip(DIMENSIONS, row, radii)}
            for row in vad
        ]

    def to_json(self) -> dict[str, Any]:
        return {"fitted_on": self.fitted_on, "residuals": {d: self.residuals[d].round(5).tolist() for d in DIMENSIONS}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ConformalVAD:
        return cls({d: np.sort(np.asarray(data["residuals"][d], dtype=float)) for d in DIMENSIONS}, data["fitted_on"])


def fit_conformal(pred: np.ndarray, gold: np.ndarray, fitted_on: str) -> ConformalVAD:
    """Residuals of predictions ``[n, 3]`` against gold ``[n, 3]`` on a calibration split."""
    residuals = np.abs(np.asarray(pred, dtype=float) - np.asarray(gold, dtype=float))
    return ConformalVAD({d: np.sort(residuals[:, k]) for k, d in enumerate(DIMENSIONS)}, fitted_on)
