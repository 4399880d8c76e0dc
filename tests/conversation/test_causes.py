"""Cause candidates, the positional rule, the trained scorer and the RECCON metrics."""

from __future__ import annotations

import json

import numpy as np
import pytest

from affectlens.conversation.causes import (
    CAUSE_MODEL_FILE,
    FEATURES,
    PositionalCauses,
    TrainedCauses,
    cause_features,
    cee_scores,
    load_cause_model,
    train_causes,
)
from affectlens.errors import ModelAssetError


def _features():
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    return cause_features(
        [1, 2], ["anger", "joy"], ["A", "B", "A"], vectors, np.array([0.9, 0.8, 0.1]), np.array([0.5, -0.5, 0.0])
    )


def test_every_turn_up_to_the_effect_is_a_candidate():
    f = _features()
    assert f.pairs == [(1, 0), (1, 1), (2, 0), (2, 1), (2, 2)]
    x = dict(zip(FEATURES, f.x[2]))  # effect 2 (A, joy), candidate 0 (A)
    assert x["back_2"] == 1 and x["self"] == 0 and x["same_speaker"] == 1 and x["first_turn"] == 1
    assert x["cosine"] == pytest.approx(1 / np.sqrt(2)) and x["valence_gap"] == pytest.approx(0.5)
    assert x["effect_joy"] == 1 and x["effect_anger"] == 0 and x["candidate_emotional"] == pytest.approx(0.9)


def test_positional_rule_marks_the_turn_and_the_one_before():
    rule = PositionalCauses()
    causes = [pair for pair, s in zip(_features().pairs, rule.scores(_features())) if s >= rule.threshold]
    assert causes == [(1, 0), (1, 1), (2, 1), (2, 2)]


def test_cee_metrics_by_hand():
    gold = np.array([1, 1, 0, 0, 0], dtype=bool)
    pred = np.array([1, 0, 1, 0, 0], dtype=bool)
    # causes: tp 1, fp 1, fn 1 -> F1 0.5; non-causes: tp 2, fp 1, fn 1 -> F1 4/6
    assert cee_scores(gold, pred) == {"pos_f1": 0.5, "neg_f1": 0.6667, "macro_f1": 0.5833}


def test_trained_scorer_round_trips_through_json(tmp_path):
    rng = np.random.default_rng(0)
    f = _features()
    x = rng.normal(size=(400, len(FEATURES)))
    y = x[:, 0] + 0.2 * rng.normal(size=400) > 0  # "self" decides
    train = type(f)([(0, 0)] * 300, x[:300])
    valid = type(f)([(0, 0)] * 100, x[300:])
    spec = train_causes(train, y[:300], valid, y[300:])
    assert spec["valid_macro_f1"] > 0.85 and spec["weights"][0] == max(spec["weights"], key=abs)
    (tmp_path / CAUSE_MODEL_FILE).write_text(json.dumps(spec))
    model = load_cause_model(tmp_path)
    assert isinstance(model, TrainedCauses) and model.id == "reccon-causes@1"
    assert np.allclose(model.scores(valid), TrainedCauses(spec).scores(valid))


def test_missing_model_falls_back_to_the_rule_and_a_broken_one_is_an_error(tmp_path):
    assert isinstance(load_cause_model(tmp_path), PositionalCauses)
    (tmp_path / CAUSE_MODEL_FILE).write_text("{broken")
    with pytest.raises(ModelAssetError, match="cannot read the cause model"):
        load_cause_model(tmp_path)


def test_the_window_limits_how_far_back_candidates_go():
    n = 6
    f = cause_features([5], ["fear"], ["A", "B"] * 3, np.eye(n), np.ones(n), np.zeros(n), max_back=2)
    assert f.pairs == [(5, 3), (5, 4), (5, 5)] and f.x.shape == (3, len(FEATURES))
    assert cause_features([], [], [], np.zeros((0, 2)), np.zeros(0), np.zeros(0)).x.shape == (0, len(FEATURES))
