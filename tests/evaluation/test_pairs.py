import pytest

from affectlens.evaluation.pairs import check_pair, load_suite, run_suite
from affectlens.schema import VAD, Analysis, Evidence


def analysis(text, scores, labels, valence=0.0, arousal=0.0, evidence=()):
    return Analysis(
        text=text,
        taxonomy="goemotions@1",
        backend="t@1",
        scores=scores,
        labels=labels,
        dominant=max(scores, key=scores.get),
        vad=VAD(valence=valence, arousal=arousal),
        evidence=list(evidence),
    )


def test_suites_are_large_and_cover_every_device():
    main, holdout = load_suite(), load_suite("minimal_pairs_holdout")
    assert len(main.pairs) >= 150 and len(holdout.pairs) == 50
    for suite in (main, holdout):
        assert {p.category for p in suite.pairs} == {"negation", "contrast", "intensifier", "diminisher", "sarcasm"}
    assert not {p.b for p in main.pairs} & {p.b for p in holdout.pairs}


def test_check_pair_rules():
    pair = load_suite().pairs[0]  # neg-01: joy lower, valence lower, joy not in b, evidence has "not"
    a = analysis(pair.a, {"joy": 0.9, "disappointment": 0.1}, ["joy"], valence=0.6)
    good_b = analysis(
        pair.b,
        {"joy": 0.1, "disappointment": 0.8},
        ["disappointment"],
        valence=-0.4,
        evidence=[Evidence(label="disappointment", start=4, end=13, text=pair.b[4:13], weight=0.5)],
    )
    assert pair.b[4:13] == "not happy"
    assert check_pair(pair, a, good_b) == []
    bad_b = analysis(pair.b, {"joy": 0.85, "disappointment": 0.2}, ["joy"], valence=0.59)
    failed = check_pair(pair, a, bad_b)
    assert len(failed) == 4 and any("joy not lower" in f for f in failed) and any("valence" in f for f in failed)


def test_group_names_expand():
    pair = next(p for p in load_suite().pairs if "@negative" in p.expect.b_has_any)
    a = analysis(pair.a, {"joy": 0.9}, ["joy"], valence=0.5)
    b = analysis(pair.b, {"annoyance": 0.9, "joy": 0.01}, ["annoyance"], valence=-0.5)
    assert not any("none of" in f for f in check_pair(pair, a, b))


def test_the_shipped_model_passes_the_suites(embedded):
    """The CI gate follows the selection rule (docs/training.md, "Choosing between builds",
    2026-12-03): the held-out minimal-pair suites hold their floors — ``minimal_pairs_holdout``
    at least #3's 0.85; ``robustness_holdout`` at least 0.85, or no lower than the 0.50 of v1,
    the model the rule first judged against — and the development pairs are a diagnostic: every
    category is measured, none is a veto."""
    holdout = run_suite(embedded, name="minimal_pairs_holdout")
    assert holdout["pass_rate"] >= 0.85, holdout["per_category"]
    robust = run_suite(embedded, name="robustness_holdout")
    assert robust["pass_rate"] >= 0.5, robust["per_category"]
    result = run_suite(embedded)
    assert set(result["per_category"]) == {"negation", "contrast", "intensifier", "diminisher", "sarcasm"}
    assert result["pairs"] == 155 and len(result["failures"]) == round(155 * (1 - result["pass_rate"]))


def test_unknown_expectation_is_rejected():
    from pydantic import ValidationError

    from affectlens.evaluation.pairs import Pair

    with pytest.raises(ValidationError):
        Pair(id="x", category="negation", a="a", b="b", expect={"colder": ["joy"]})


def test_higher_and_lower_are_mirror_images():
    """A score near 1 cannot rise by the margin: it counts as higher when what it lacks of 1
    halves, as a score near 0 counts as lower when it halves."""
    pair = next(p for p in load_suite().pairs if p.id == "int-21")  # higher: sadness, b_has_any sadness/grief
    a = analysis(pair.a, {"sadness": 0.87}, ["sadness"])
    assert check_pair(pair, a, analysis(pair.b, {"sadness": 0.95}, ["sadness"])) == []  # lacks 0.13 -> 0.05
    failed = check_pair(pair, a, analysis(pair.b, {"sadness": 0.92}, ["sadness"]))  # lacks 0.13 -> 0.08
    assert failed == ["sadness not higher (0.87 -> 0.92)"]
    low = analysis(pair.a, {"sadness": 0.3}, ["sadness"])
    assert check_pair(pair, low, analysis(pair.b, {"sadness": 0.38}, ["sadness"])) == ["sadness not higher (0.30 -> 0.38)"]
