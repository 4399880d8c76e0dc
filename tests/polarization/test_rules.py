"""Rule sets: the paper's table, unknowns kept unknown by default, and the paper's code reproduced
by the -compat rule set on every combination of answers (unknown and failed ones included)."""

from __future__ import annotations

import itertools

import pytest

from affectlens.errors import ConfigError, UnknownNameError
from affectlens.polarization.rules import Facts, list_rules, load_rules

TABLE = {  # (same stance, either affect yes, agreement yes) -> score, as the issue and the paper state it
    (True, True, True): 10,
    (True, True, False): 8,
    (True, False, True): 6,
    (True, False, False): 2,
    (False, True, False): 8,
    (False, True, True): 6,
    (False, False, False): 4,
    (False, False, True): 0,
}


def paper(stance_tweet, stance_parent, affect_tweet, affect_parent, agreement):
    """The reference code's classify_interaction, as its logic reads (the oracle for -compat): a
    stance that failed or was unclear is the label "don't know"; anything but "yes" is the no branch."""
    same = stance_tweet == stance_parent
    affect = affect_tweet == "yes" or affect_parent == "yes"
    return TABLE[(same, affect, agreement == "yes")]


STANCES = ["pro", "anti", None]  # None: unclear, or an answer that failed
YES_NO = ["yes", "no", None]


def test_every_known_combination_scores_as_the_table():
    rules = load_rules()
    for a, b, x, y, agree in itertools.product(["pro", "anti"], ["pro", "anti"], ["yes", "no"], ["yes", "no"], ["yes", "no"]):
        scored = rules.score(Facts(a, b, x, y, agree))
        assert scored.score == TABLE[(a == b, "yes" in (x, y), agree == "yes")] and scored.unscored is None


def test_unknowns_are_not_scored_and_say_which_fact_is_missing():
    rules = load_rules("asonam2025@1")
    assert rules.score(Facts(None, "pro", "no", "no", "yes")).unscored == "stance unknown"
    assert rules.score(Facts(None, None, "no", "no", "yes")).score is None  # two unclear stances are not "the same"
    assert rules.score(Facts("pro", "anti", None, "no", None)).unscored == "affect and agreement unknown"
    # one "yes" settles "either post's affect" even when the other is unknown
    assert rules.score(Facts("pro", "anti", None, "yes", "no")).score == 8


def test_compat_reproduces_the_papers_code_on_every_combination():
    compat = load_rules("asonam2025-compat")
    for facts in itertools.product(STANCES, STANCES, YES_NO, YES_NO, YES_NO):
        as_paper = [("don't know" if v is None else v) if k < 2 else ("" if v is None else v) for k, v in enumerate(facts)]
        assert compat.score(Facts(*facts)).score == paper(*as_paper), facts


def test_levels_overlap_only_in_compat():
    rules, compat = load_rules(), load_rules("asonam2025-compat")
    assert [rules.levels_of(x) for x in (0, 2.4999, 2.5, 7.5, 7.5001, 10)] == [
        ["low"],
        ["low"],
        ["moderate"],
        ["moderate"],
        ["high"],
        ["high"],
    ]
    assert compat.levels_of(2.5) == ["low", "moderate"] and compat.levels_of(7.5) == ["moderate", "high"]


def test_shipped_rules_are_listed_and_versioned():
    assert [r.id for r in list_rules()] == ["asonam2025@1", "asonam2025-compat@1"]
    with pytest.raises(ConfigError, match="version 1, not 2"):
        load_rules("asonam2025@2")
    with pytest.raises(UnknownNameError):
        load_rules("nope")


def test_users_write_their_own_rule_file(tmp_path):
    rows = "\n".join(
        f"  - {{stance: {s}, affect: '{a}', agreement: '{g}', score: {1 if a == 'yes' else 0}}}"
        for s, a, g in itertools.product(("same", "opposite"), ("yes", "no"), ("yes", "no"))
    )
    path = tmp_path / "hostile-only.yaml"
    path.write_text(f"name: hostile-only\nversion: 3\ntitle: hostility alone\naffect_of: reply\ntable:\n{rows}\n")
    mine = load_rules(str(path))
    assert mine.id == "hostile-only@3"
    assert mine.score(Facts("pro", "pro", "yes", "no", "yes")).score == 1
    assert mine.score(Facts("pro", "pro", "no", "yes", "yes")).score == 0  # only the reply's affect counts
    path.write_text(f"name: broken\nversion: 1\ntitle: x\ntable:\n{rows.splitlines()[0]}\n")
    with pytest.raises(ConfigError, match="no score for"):
        load_rules(str(path))
