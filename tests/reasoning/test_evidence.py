import numpy as np
import pytest

from affectlens.reasoning.evidence import Candidate, delete_spans, keep_spans, phrase_candidates, verify, word_spans


def token_scores(text, scores_by_word):
    """One token per word, scored by a dict (default 0)."""
    spans = word_spans(text)
    return spans, np.array([scores_by_word.get(text[a:b].strip(".,!"), 0.0) for a, b in spans])


def texts_of(text, candidates):
    return [text[c.start : c.end] for c in candidates]


def test_negation_and_degree_words_join_the_phrase():
    text = "I'm not happy with how the renovation turned out."
    offsets, scores = token_scores(text, {"happy": 1.0, "not": 0.9, "how": 0.3, "the": 0.5})
    assert texts_of(text, phrase_candidates(text, offsets, scores)) == ["not happy"]
    text = "Honestly I'm a bit annoyed today"
    offsets, scores = token_scores(text, {"annoyed": 1.0, "I'm": 0.9})
    assert texts_of(text, phrase_candidates(text, offsets, scores))[0] == "a bit annoyed"


def test_function_words_never_seed_and_are_trimmed():
    text = "It is what it is, the cake was delicious."
    offsets, scores = token_scores(text, {"It": 5.0, "is": 4.0, "delicious": 1.0, "was": 0.8})
    assert texts_of(text, phrase_candidates(text, offsets, scores)) == ["delicious"]


def test_punctuation_hashtags_and_pictographs():
    text = 'So "amazing"!!! #blessed 😍'
    offsets, scores = token_scores(text, {'"amazing"': 1.0, "#blessed": 0.9, "😍": 0.8})
    (phrase,) = texts_of(text, phrase_candidates(text, offsets, scores))
    assert phrase == 'So "amazing"!!! #blessed 😍'  # the intensifier joins; '#' and the emoji are kept
    text = 'Well, "amazing" indeed.'
    offsets, scores = token_scores(text, {'"amazing"': 1.0})
    assert texts_of(text, phrase_candidates(text, offsets, scores)) == ["amazing"]  # quotes trimmed


def test_no_positive_words_no_candidates():
    text = "nothing to see here"
    offsets, _ = token_scores(text, {})
    assert phrase_candidates(text, offsets, -np.ones(len(offsets))) == []
    assert phrase_candidates("", [], np.array([])) == []


def test_delete_and_keep_spans():
    text = "I am not happy at all"
    assert delete_spans(text, [(5, 14)]) == "I am at all"
    assert delete_spans(text, [(0, 1), (15, 21)]) == "am not happy"
    assert keep_spans(text, [(15, 21), (5, 14)]) == "not happy at all"


def test_verify_keeps_only_spans_whose_removal_lowers_the_score():
    texts = ["I am furious and tired"]
    base = np.array([[0.9]])

    def score(occluded):  # the label lives in "furious"
        return np.array([[0.9 if "furious" in t else 0.2] for t in occluded])

    requests = [(0, 0, Candidate(5, 12, 1.0)), (0, 0, Candidate(17, 22, 0.5))]
    assert verify(texts, requests, base, score) == [pytest.approx(0.7), None]
    assert verify(texts, [], base, score) == []
