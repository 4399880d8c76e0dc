import numpy as np
import pytest

from affectlens.reasoning.conformal import ConformalVAD, fit_conformal

RNG = np.random.default_rng(5)


def test_radius_is_the_conformal_order_statistic():
    cal = ConformalVAD({d: np.arange(1, 10) / 10 for d in ("valence", "arousal", "dominance")}, "test")
    # n = 9, coverage 0.8: k = ceil(10 * 0.8) = 8 -> the 8th smallest residual
    assert cal.radius("valence", 0.8) == pytest.approx(0.8)
    assert cal.radius("valence", 0.95) == 2.0  # k = 10 > n: the whole range


@pytest.mark.parametrize("coverage", [0.5, 0.8, 0.9])
def test_coverage_holds_on_fresh_data(coverage):
    rng = np.random.default_rng(11)
    gold = rng.uniform(-0.6, 0.6, size=(40000, 3))
    pred = gold + rng.normal(0, 0.1, size=gold.shape)
    cal = fit_conformal(pred[:20000], gold[:20000], "first half")
    intervals = cal.intervals(pred[20000:], coverage)
    for k, dim in enumerate(("valence", "arousal", "dominance")):
        inside = np.mean([lo <= g <= hi for (lo, hi), g in zip((i[dim] for i in intervals), gold[20000:, k])])
        assert inside == pytest.approx(coverage, abs=0.015)  # sampling sd is about 0.0035 here


def test_intervals_are_clipped_and_round_trip():
    cal = fit_conformal(np.zeros((50, 3)), np.full((50, 3), 0.5), "x")
    (interval,) = cal.intervals(np.array([[0.9, -0.9, 0.0]]), 0.8)
    assert interval["valence"][1] == 1.0 and interval["arousal"][0] == -1.0
    again = ConformalVAD.from_json(cal.to_json())
    assert again.radius("dominance", 0.8) == cal.radius("dominance", 0.8)
