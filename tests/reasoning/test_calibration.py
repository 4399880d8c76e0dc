import numpy as np
import pytest

from affectlens.reasoning.calibration import (
    TaxonomyCalibration,
    fit_confidence,
    fit_platt,
    fit_thresholds,
    set_likelihood,
    sigmoid,
)

RNG = np.random.default_rng(3)


def test_platt_recovers_a_known_miscalibration():
    z = RNG.normal(0, 2, size=(20000, 1))
    y = (RNG.random((20000, 1)) < sigmoid(0.5 * z - 1.0)).astype(float)
    a, b = fit_platt(z, y)
    assert a[0] == pytest.approx(0.5, abs=0.05) and b[0] == pytest.approx(-1.0, abs=0.08)


def test_platt_leaves_constant_labels_alone():
    a, b = fit_platt(RNG.normal(size=(50, 1)), np.zeros((50, 1)))
    assert (a[0], b[0]) == (1.0, 0.0)


def test_thresholds_maximise_each_labels_f1():
    probs = np.array([[0.9], [0.6], [0.35], [0.3], [0.1]])
    gold = np.array([[1], [1], [1], [0], [0]])
    # Threshold 0.31..0.35 catches all three positives and no negative: F1 = 1.
    t = fit_thresholds(probs, gold)
    assert 0.3 < t[0] <= 0.35
    assert fit_thresholds(probs, np.zeros_like(gold))[0] == 0.5  # no positives: stays at 0.5


def test_decide_with_and_without_fallback():
    cal = TaxonomyCalibration.identity("t", ["a", "b"], threshold=0.5)
    probs = np.array([[0.2, 0.4], [0.7, 0.1]])
    assert cal.decide(probs).tolist() == [[False, False], [True, False]]
    fallback = TaxonomyCalibration(**{**cal.__dict__, "empty_fallback": True})
    assert fallback.decide(probs).tolist() == [[False, True], [True, False]]


def test_confidence_is_monotone_and_calibrated_in_sample():
    probs = RNG.random((3000, 3))
    decided = probs >= 0.5
    gold = RNG.random((3000, 3)) < probs
    x, y = fit_confidence(probs, decided, gold)
    assert np.all(np.diff(y) >= 0)
    exact = (decided == gold).all(axis=1)
    conf = np.interp(set_likelihood(probs, decided), x, y)
    assert conf.mean() == pytest.approx(exact.mean(), abs=0.01)


def test_json_round_trip():
    cal = TaxonomyCalibration(
        "t",
        ["a", "b"],
        np.array([1.5, 0.5]),
        np.array([0.1, -0.2]),
        np.array([0.3, 0.6]),
        True,
        np.array([0.0, 0.5, 1.0]),
        np.array([0.0, 0.4, 0.9]),
        "dev",
        {"macro_f1": 0.5},
    )
    again = TaxonomyCalibration.from_json(cal.to_json())
    logits = RNG.normal(size=(4, 2))
    np.testing.assert_allclose(again.probabilities(logits), cal.probabilities(logits), atol=1e-6)
    assert again.empty_fallback and again.dev_scores == {"macro_f1": 0.5}
