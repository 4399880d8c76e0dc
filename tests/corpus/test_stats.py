"""Corpus statistics against scipy and hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

scipy_stats = pytest.importorskip("scipy.stats")

from affectlens.corpus.stats import (  # noqa: E402
    Moments,
    benjamini_hochberg,
    mean_ci,
    mean_test,
    rng_for,
    share_ci,
    share_test,
)


def scipy_interval(values, seed=1):
    result = scipy_stats.bootstrap(
        (values,), np.mean, n_resamples=4000, method="percentile", confidence_level=0.95, random_state=seed
    )
    return result.confidence_interval.low, result.confidence_interval.high


@pytest.mark.parametrize(("k", "n"), [(3, 20), (50, 200), (900, 4000)])
def test_share_interval_is_the_bootstrap_interval(k, n):
    """A resampled share is Binomial(n, k/n)/n: drawn directly, it matches resampling texts."""
    ours = share_ci(k, n, rng_for("t"))
    theirs = scipy_interval(np.r_[np.ones(k), np.zeros(n - k)])
    width = theirs[1] - theirs[0]
    assert ours == pytest.approx(theirs, abs=0.12 * width + 1 / n)


@pytest.mark.parametrize("n", [40, 800, 5000])
def test_mean_interval_is_the_bootstrap_interval(n):
    values = np.random.default_rng(n).gamma(2.0, 0.2, size=n)  # skewed, like scores
    moments = Moments(n, values.sum(), (values**2).sum())
    ours = mean_ci(values if n <= 1000 else None, moments, rng_for("m"))  # resampled up to 1,000; normal beyond
    theirs = scipy_interval(values)
    width = theirs[1] - theirs[0]
    assert ours == pytest.approx(theirs, abs=0.1 * width)
    assert ours[0] < values.mean() < ours[1]


def test_intervals_are_reproducible_and_empty_cells_are_nan():
    assert share_ci(10, 50, rng_for("cell", "share", "joy")) == share_ci(10, 50, rng_for("cell", "share", "joy"))
    assert all(math.isnan(x) for x in share_ci(0, 0, rng_for("x")))


def test_share_test_by_hand():
    # 30/100 vs 45/100: pooled p = 0.375, se = sqrt(0.375 * 0.625 * 0.02) = 0.068465, z = 2.1909
    test = share_test(30, 100, 45, 100, rng_for("s"))
    assert test.difference == pytest.approx(0.15)
    assert test.p == pytest.approx(2 * scipy_stats.norm.sf(0.15 / math.sqrt(0.375 * 0.625 * 0.02)))
    assert test.effect == pytest.approx(2 * math.asin(math.sqrt(0.45)) - 2 * math.asin(math.sqrt(0.30)))
    assert test.ci[0] < 0.15 < test.ci[1]


def test_mean_test_is_welch():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0.1, 0.3, 60), rng.normal(0.3, 0.5, 90)
    test = mean_test(*(Moments(len(x), x.sum(), (x**2).sum()) for x in (a, b)))
    welch = scipy_stats.ttest_ind(b, a, equal_var=False)
    assert test.p == pytest.approx(welch.pvalue) and test.difference == pytest.approx(b.mean() - a.mean())
    pooled = math.sqrt((59 * a.var(ddof=1) + 89 * b.var(ddof=1)) / 148)
    assert test.effect == pytest.approx((b.mean() - a.mean()) / pooled)


def test_benjamini_hochberg_by_hand():
    # sorted p: 0.01, 0.02, 0.03, 0.5 (m = 4): q = min over later of p * m / rank = 0.04, 0.04, 0.04, 0.5
    assert benjamini_hochberg([0.5, 0.01, 0.03, 0.02]) == pytest.approx([0.5, 0.04, 0.04, 0.04])
    assert math.isnan(benjamini_hochberg([float("nan"), 0.01])[0])
