"""Confidence intervals and tests for corpus aggregates.

**Bootstrap over texts**, ``RESAMPLES`` = 2,000 resamples, 95% percentile intervals, a fixed
seed per cell (so a table is the same every time it is computed):

- a *share* (the fraction of texts carrying a label): resampling n texts of which k carry the
  label gives a share distributed Binomial(n, k/n)/n — that *is* the bootstrap distribution,
  so it is drawn directly, exactly, at any n;
- a *mean* (of a score, valence…): the texts are resampled when there are at most
  ``EXACT_MAX_N`` = 1,000 of them; beyond that the bootstrap distribution of a mean is
  normal to within the resampling noise, and the interval is mean ± z·sd/√n (sd of the
  texts, as the bootstrap uses). ``tests/corpus/test_stats.py`` checks both against
  ``scipy.stats.bootstrap``.

**Comparisons** of two windows or two groups: a share by the two-proportion z-test, with
Cohen's h as the effect size; a mean by Welch's t-test, with Cohen's d. The p-values of one
comparison are adjusted together for the number of measures (Benjamini–Hochberg, q-values).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "CONFIDENCE",
    "EXACT_MAX_N",
    "RESAMPLES",
    "Moments",
    "benjamini_hochberg",
    "mean_ci",
    "mean_test",
    "rng_for",
    "share_ci",
    "share_test",
]

RESAMPLES = 2000
EXACT_MAX_N = 1000
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Moments:
    """n, Σx and Σx² of a set of values (enough for means, their spread and Welch's test)."""

    n: int
    total: float
    squares: float

    @property
    def mean(self) -> float:
        return self.total / self.n if self.n else math.nan

    def sd(self, ddof: int = 0) -> float:
        if self.n - ddof <= 0:
            return math.nan
        variance = max(self.squares - self.total**2 / self.n, 0.0) / (self.n - ddof)
        return math.sqrt(variance)


def rng_for(*key: object, seed: int = 0) -> np.random.Generator:
    """A generator seeded by ``seed`` and ``key`` (a cell and a measure): the same numbers for
    the same cell whatever order cells are computed in."""
    return np.random.default_rng([seed, zlib.crc32(repr(key).encode("utf-8"))])


def _percentiles(draws: np.ndarray, confidence: float) -> tuple[float, float]:
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return float(low), float(high)


def share_ci(
    k: int, n: int, rng: np.random.Generator, *, resamples: int = RESAMPLES, confidence: float = CONFIDENCE
) -> tuple[float, float]:
    """The bootstrap interval of a share ``k / n``, drawn from its exact bootstrap distribution."""
    if n == 0:
        return math.nan, math.nan
    return _percentiles(rng.binomial(n, k / n, size=resamples) / n, confidence)


def mean_ci(
    values: np.ndarray | None,
    moments: Moments,
    rng: np.random.Generator,
    *,
    resamples: int = RESAMPLES,
    confidence: float = CONFIDENCE,
) -> tuple[float, float]:
    """The bootstrap interval of a mean: by resampling ``values`` (given when n is at most
    :data:`EXACT_MAX_N`), else from the normal form of the bootstrap distribution."""
    if moments.n == 0:
        return math.nan, math.nan
    if values is not None:
        values = np.asarray(values, dtype=np.float64)
        means = np.empty(resamples)
        for start in range(0, resamples, 250):  # in blocks: at most 250 x n numbers at once
            stop = min(start + 250, resamples)
            means[start:stop] = values[rng.integers(0, len(values), size=(stop - start, len(values)))].mean(axis=1)
        return _percentiles(means, confidence)
    from scipy.stats import norm

    half = norm.ppf(0.5 + confidence / 2) * moments.sd() / math.sqrt(moments.n)
    return moments.mean - half, moments.mean + half


@dataclass(frozen=True)
class Test:
    difference: float  # b - a
    ci: tuple[float, float]
    effect: float
    effect_name: str
    p: float


def share_test(
    k_a: int, n_a: int, k_b: int, n_b: int, rng: np.random.Generator, *, confidence: float = CONFIDENCE
) -> Test:
    """Share in b minus share in a: bootstrap interval, Cohen's h, two-proportion z-test."""
    from scipy.stats import norm

    if not n_a or not n_b:
        return Test(math.nan, (math.nan, math.nan), math.nan, "cohen_h", math.nan)
    p_a, p_b = k_a / n_a, k_b / n_b
    draws = rng.binomial(n_b, p_b, RESAMPLES) / n_b - rng.binomial(n_a, p_a, RESAMPLES) / n_a
    pooled = (k_a + k_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    p = 1.0 if se == 0 else float(2 * norm.sf(abs(p_b - p_a) / se))
    h = 2 * math.asin(math.sqrt(p_b)) - 2 * math.asin(math.sqrt(p_a))
    return Test(p_b - p_a, _percentiles(draws, confidence), h, "cohen_h", p)


def mean_test(a: Moments, b: Moments, *, confidence: float = CONFIDENCE) -> Test:
    """Mean in b minus mean in a: Welch interval and t-test, Cohen's d (pooled sd)."""
    from scipy.stats import t as student

    if a.n < 2 or b.n < 2:
        return Test(math.nan, (math.nan, math.nan), math.nan, "cohen_d", math.nan)
    va, vb = a.sd(1) ** 2 / a.n, b.sd(1) ** 2 / b.n
    diff, se = b.mean - a.mean, math.sqrt(va + vb)
    pooled = math.sqrt(((a.n - 1) * a.sd(1) ** 2 + (b.n - 1) * b.sd(1) ** 2) / (a.n + b.n - 2))
    d = diff / pooled if pooled else math.nan
    if se == 0:
        return Test(diff, (diff, diff), d, "cohen_d", 1.0 if diff == 0 else 0.0)
    df = (va + vb) ** 2 / ((va**2 / (a.n - 1)) + (vb**2 / (b.n - 1)))
    half = student.ppf(0.5 + confidence / 2, df) * se
    return Test(diff, (diff - half, diff + half), d, "cohen_d", float(2 * student.sf(abs(diff) / se, df)))


def benjamini_hochberg(p: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg q-values (NaN stays NaN)."""
    from scipy.stats import false_discovery_control

    values = np.asarray(p, dtype=float)
    out = np.full(len(values), np.nan)
    ok = ~np.isnan(values)
    if ok.any():
        out[ok] = false_discovery_control(values[ok], method="bh")
    return out.tolist()
