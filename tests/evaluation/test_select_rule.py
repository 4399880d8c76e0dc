"""The selection rule between model builds (benchmarks/select_model.py, docs/training.md)."""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

import pytest

_path = Path(__file__).resolve().parents[2] / "benchmarks" / "select_model.py"
_spec = importlib.util.spec_from_file_location("select_model", _path)
select_model = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(select_model)


def figures(**changes):
    """v1's development figures as measured (docs/training.md), with ``changes`` applied."""
    f = {
        "goemotions_dev_macro_f1": 0.522,
        "ekman_dev_macro_f1": 0.632,
        "suites": {
            "robustness": 0.528,
            "everyday": 0.583,
            "minimal_pairs": 0.845,
            "minimal_pairs_holdout": 0.86,
            "robustness_holdout": 0.50,
        },
        "crossdomain": {
            "brighter": {"macro_f1": 0.411},
            "emolit": {"macro_f1": 0.264},
            "covid-worry": {"mean_rating_r": 0.212},
            "fb-va": {"valence_r": 0.664},
            "emobank": {"valence_r": 0.739},
        },
    }
    f = copy.deepcopy(f)
    for key, value in changes.items():
        *path, last = key.split("__")
        target = f
        for part in path:
            target = target[part.replace("_", "-") if part in ("covid_worry", "fb_va") else part]
        target[last] = value
    return f


def test_v2f_like_build_replaces_v1_although_the_development_pairs_fell():
    v2f = figures(
        goemotions_dev_macro_f1=0.524,
        ekman_dev_macro_f1=0.624,
        suites__robustness=0.806,
        suites__minimal_pairs=0.819,  # four pairs fewer: a diagnostic, not a veto
        suites__minimal_pairs_holdout=0.90,
        suites__robustness_holdout=0.80,
        crossdomain__fb_va__valence_r=0.723,
        crossdomain__emobank__valence_r=0.732,
        crossdomain__covid_worry__mean_rating_r=0.210,
        crossdomain__brighter__macro_f1=0.431,
        crossdomain__emolit__macro_f1=0.301,
    )
    replaces, reasons, parts = select_model.verdict(figures(), v2f)
    assert replaces, reasons
    assert parts["informal_suites_mean"] == pytest.approx((0.806 - 0.528) / 2)
    assert parts["gain"] == pytest.approx(
        (parts["goemotions_dev"] + parts["crossdomain_mean"] + parts["informal_suites_mean"]) / 3
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"crossdomain__emobank__valence_r": 0.728}, "emobank valence_r -0.0110"),
        ({"ekman_dev_macro_f1": 0.616}, "Ekman-grouped dev macro-F1 -0.0160"),
        ({"suites__minimal_pairs_holdout": 0.84}, "minimal_pairs_holdout 0.8400 (floor 0.85"),
        ({"suites__robustness_holdout": 0.46}, "robustness_holdout 0.4600 (floor 0.85, or no lower than the incumbent's 0.5000"),
    ],
)
def test_one_corpus_falling_or_a_holdout_floor_refuses_a_build_that_gains(change, reason):
    better = figures(suites__robustness=0.9, suites__everyday=0.8, **change)
    replaces, reasons, _ = select_model.verdict(figures(), better)
    assert not replaces and any(r.startswith(reason) for r in reasons), reasons


def test_no_gain_no_change_and_a_gain_in_one_part_can_pay_for_a_small_fall_in_another():
    replaces, reasons, parts = select_model.verdict(figures(), figures())
    assert not replaces and reasons == ["gain +0.0000 (must be > 0)"] and parts["gain"] == 0
    traded = figures(goemotions_dev_macro_f1=0.515, suites__everyday=0.70)
    assert select_model.verdict(figures(), traded)[0]
