import numpy as np
import pytest
from sklearn.metrics import f1_score

from affectlens.evaluation import metrics as m

RNG = np.random.default_rng(7)


@pytest.mark.parametrize("seed", range(5))
def test_f1_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    gold = rng.random((200, 6)) < 0.2
    pred = rng.random((200, 6)) < 0.25
    gold[:, 5] = False  # a label with no gold: both count it as 0
    pred[:, 5] = False
    assert m.macro_f1(gold, pred) == pytest.approx(f1_score(gold, pred, average="macro", zero_division=0))
    assert m.micro_f1(gold, pred) == pytest.approx(f1_score(gold, pred, average="micro", zero_division=0))
    np.testing.assert_allclose(m.f1_per_label(gold, pred), f1_score(gold, pred, average=None, zero_division=0))


def test_dominant_ece_by_hand():
    # Two texts, dominant scores 0.9 (right) and 0.9 (wrong): same bin, accuracy 0.5 -> ECE 0.4.
    scores = np.array([[0.9, 0.1], [0.2, 0.9]])
    gold = np.array([[1, 0], [1, 0]])
    assert m.dominant_ece(scores, gold) == pytest.approx(0.4)
    # Perfectly calibrated bins give zero.
    conf = np.array([0.25] * 4 + [0.75] * 4)
    correct = np.array([1, 0, 0, 0, 1, 1, 1, 0], dtype=float)
    assert m.calibration_error(conf, correct) == pytest.approx(0.0)


def test_ece_bins_are_fifteen_equal_width():
    # 0.5 and 0.52 share bin [0.4667, 0.5333); 0.54 is in the next one.
    conf = np.array([0.5, 0.52, 0.54])
    correct = np.array([1.0, 0.0, 1.0])
    expected = (2 / 3) * abs(0.5 - 0.51) + (1 / 3) * abs(1.0 - 0.54)
    assert m.calibration_error(conf, correct) == pytest.approx(expected)


def test_brier_pearson_mae():
    scores = np.array([[1.0, 0.0], [0.5, 0.5]])
    gold = np.array([[1, 0], [0, 1]])
    assert m.brier(scores, gold) == pytest.approx((0 + 0 + 0.25 + 0.25) / 4)
    x, y = RNG.normal(size=100), RNG.normal(size=100)
    assert m.pearson(x, y) == pytest.approx(np.corrcoef(x, y)[0, 1])
    assert m.pearson(np.ones(5), y[:5]) == 0.0
    assert m.mae(np.array([0.0, 1.0]), np.array([0.5, 0.0])) == pytest.approx(0.75)


def test_every_metric_has_version_and_direction():
    for info in m.METRICS.values():
        assert info.version >= 1 and isinstance(info.higher_is_better, bool) and info.description
