"""Change points in each label's share over time, per group (``ruptures``).

Each series is the share of texts carrying a label in each time bucket (``aggregate``'s
``share`` rows), seen as counts: ``k`` of the bucket's ``n`` texts. Buckets flagged ``low_n``
(fewer than 30 texts) are left out. The series is segmented by PELT (``ruptures.Pelt``, at
least ``min_size`` buckets per segment) under a **weighted least-squares cost**: each bucket
weighs the inverse of its share's variance, ``p(1−p)/n`` (binomial sampling: a bucket weighs
as much as the texts it holds) plus ``τ²``, the week-to-week variation beyond sampling that
real series have (the mix of topics changes). So a one-day first bucket, a half-empty last one
or a quiet week cannot make a change on their own — under least squares on the shares every
bucket had one vote — and a busy forum's natural drift is not read as a change either.

τ² is estimated from the series itself, robustly to a step (:func:`extra_variance`: the τ² at
which the neighbouring buckets' squared differences, each over its expected variance, have a
chi-square's mean once the largest tenth is set aside). A change is accepted when it lowers
the cost by more than ``PENALTY_FACTOR · log T``.

The factor 4 was chosen by simulation (``benchmarks/changepoints.py``, 7,200 flat and 7,200
stepped series of 12, 26 and 52 buckets; docs/benchmarks.md): on flat series — a constant
share of 3%, 10% or 30%, bucket sizes varying tenfold around 100 or 1,000, a partial first and
last bucket, binomial and three times binomial variation — a change was found in 1.5% of
series (0.3% binomial, 2.8% overdispersed, 7.5% in the worst cell: 12 buckets,
overdispersed), against 4.5% for the least-squares rule it replaced; a step of four standard
errors was found (within one bucket) in 83% of series, against 76%. A change smaller than
``min_change`` (0.005: half a percentage point of texts) is not reported — in a rare
emotion, a step from 0.007% to 0.1% can be real and still mean nothing.

Each change point is reported with its date (the first bucket of the new segment), the pooled
share before and after (over the neighbouring segments), the change, and how many texts
each side holds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from affectlens.corpus.aggregate import _polars, aggregate, load_run
from affectlens.errors import MissingDependencyError

__all__ = ["PENALTY_FACTOR", "change_points", "extra_variance", "segment"]

MIN_SIZE = 2
MIN_CHANGE = 0.005
PENALTY_FACTOR = 4.0
# the mean of a chi-square with one degree of freedom below its 90th percentile c = 2.7055:
# E[X | X < c] = P(chi-square with 3 degrees < c) / 0.9 (x times the 1-degree density is the 3-degree one)
_TRIMMED_MEAN = 0.62302


def extra_variance(k: Sequence[float], n: Sequence[float]) -> float:
    """The variance of the share from bucket to bucket beyond binomial sampling (τ², 0 when there
    is none), robust to a step: the τ² at which the neighbouring buckets' squared differences,
    each over its expected variance (both buckets' binomial variance plus 2τ²), have the mean of a
    chi-square with one degree of freedom — once the largest tenth (a step's) is set aside, the
    mean of the chi-square below its 90th percentile."""
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    pooled = k.sum() / n.sum()
    squared = np.diff(k / n) ** 2
    if not len(squared) or pooled in (0.0, 1.0):
        return 0.0
    binomial = pooled * (1 - pooled) / n
    pairs = binomial[1:] + binomial[:-1]
    kept = len(squared) - max(1, len(squared) // 10) if len(squared) > 2 else len(squared)

    def excess(tau2: float) -> float:
        standard = np.sort(squared / (pairs + 2 * tau2))[:kept]
        return float(standard.mean()) - _TRIMMED_MEAN

    if excess(0.0) <= 0:
        return 0.0
    low, high = 0.0, float(squared.max())
    for _ in range(60):  # bisection: the trimmed mean falls as τ² grows
        middle = (low + high) / 2
        low, high = (middle, high) if excess(middle) > 0 else (low, middle)
    return high


def segment(
    k: Sequence[float], n: Sequence[float], *, min_size: int = MIN_SIZE, penalty_factor: float = PENALTY_FACTOR
) -> list[int]:
    """Indices where a new segment starts (not 0) in a share seen as ``k[t]`` of ``n[t]`` texts per bucket."""
    try:
        import ruptures
    except ImportError as exc:
        raise MissingDependencyError("ruptures", "corpus", "change points") from exc
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    if len(k) < 2 * min_size or (n <= 0).any() or not 0 < k.sum() < n.sum():
        return []
    pooled = k.sum() / n.sum()
    weights = 1.0 / (pooled * (1 - pooled) / n + extra_variance(k, n))
    cost = _weighted_cost_class()()
    penalty = penalty_factor * math.log(len(k))
    ends = ruptures.Pelt(custom_cost=cost, min_size=min_size, jump=1).fit(np.c_[k / n, weights]).predict(pen=penalty)
    return [end for end in ends if end < len(k)]


def _weighted_cost_class() -> Any:
    from ruptures.base import BaseCost

    class WeightedCost(BaseCost):  # type: ignore[misc]
        """A segment's weighted squared deviations from its weighted mean (signal: share, weight)."""

        model = "weighted-l2"
        min_size = 1

        def fit(self, signal: np.ndarray) -> WeightedCost:
            self.signal = signal
            value, weight = signal[:, 0], signal[:, 1]
            self.w = np.r_[0.0, np.cumsum(weight)]
            self.wx = np.r_[0.0, np.cumsum(weight * value)]
            self.wxx = np.r_[0.0, np.cumsum(weight * value * value)]
            return self

        def error(self, start: int, end: int) -> float:
            w, wx, wxx = (c[end] - c[start] for c in (self.w, self.wx, self.wxx))
            return float(max(wxx - wx * wx / w, 0.0)) if w > 0 else 0.0

    return WeightedCost


def change_points(
    run_dir: str | Path | None = None,
    *,
    table: Any = None,
    every: str = "week",
    by: Sequence[str] = (),
    labels: Sequence[str] | None = None,
    min_size: int = MIN_SIZE,
    penalty_factor: float = PENALTY_FACTOR,
    min_change: float = MIN_CHANGE,
) -> Any:
    """Change points of every label's share (or of ``labels``) per group, from ``run_dir``
    or an aggregate ``table``; a polars DataFrame: groups…, label, date, before, after, change,
    n_before, n_after, run_complete."""
    pl = _polars()
    complete = True
    if table is None:
        manifest = load_run(run_dir)  # type: ignore[arg-type]
        table = aggregate(run_dir, every=every, by=by, quiet=True)  # type: ignore[arg-type]
        complete = manifest.complete
    elif "run_complete" in table.columns:
        complete = bool(table["run_complete"].all())
    shares = table.filter((pl.col("measure") == "share") & ~pl.col("low_n"))
    if labels is not None:
        shares = shares.filter(pl.col("label").is_in(list(labels)))
    rows = []
    for key, series in shares.sort("bucket").group_by([*by, "label"], maintain_order=True):
        sizes = np.asarray(series["n"].to_list(), dtype=float)
        counts = np.rint(np.asarray(series["value"].to_list(), dtype=float) * sizes)
        dates = series["bucket"].to_list()
        cuts = segment(counts, sizes, min_size=min_size, penalty_factor=penalty_factor)
        bounds = [0, *cuts, len(sizes)]
        for i, cut in enumerate(cuts):
            before = slice(bounds[i], cut)
            after = slice(cut, bounds[i + 2])
            share_before = float(counts[before].sum() / sizes[before].sum())
            share_after = float(counts[after].sum() / sizes[after].sum())
            if abs(share_after - share_before) >= min_change:
                rows.append(
                    (
                        *key,
                        dates[cut],
                        share_before,
                        share_after,
                        share_after - share_before,
                        int(sizes[before].sum()),
                        int(sizes[after].sum()),
                    )
                )
    schema = {**{g: pl.String for g in by}, "label": pl.String, "date": pl.Datetime("us", "UTC")}
    schema |= {"before": pl.Float64, "after": pl.Float64, "change": pl.Float64, "n_before": pl.Int64, "n_after": pl.Int64}
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    return frame.with_columns(pl.lit(complete).alias("run_complete"))
