import pytest
from pydantic import ValidationError

from affectlens.schema import VAD, Analysis, Evidence


def make(**kw):
    base = {"text": "I am so happy today", "taxonomy": "goemotions@1", "backend": "test@1"}
    return Analysis(**{**base, **kw})


def test_round_trips_through_json():
    a = make(
        id="x1",
        scores={"joy": 0.9, "neutral": 0.1},
        labels=["joy"],
        dominant="joy",
        vad=VAD(valence=0.7, arousal=0.4, dominance=0.1),
        sentiment="positive",
        evidence=[Evidence(label="joy", start=8, end=13, text="happy", weight=0.8)],
        rationale="Reads as joy (0.90) - 'happy'",
        confidence=0.8,
        warnings=["w"],
    )
    again = Analysis.model_validate_json(a.model_dump_json())
    assert again == a
    assert again.evidence[0].text == a.text[8:13]


def test_evidence_must_quote_the_text():
    with pytest.raises(ValidationError, match="not text"):
        make(scores={"joy": 0.9}, evidence=[Evidence(label="joy", start=0, end=5, text="happy", weight=1.0)])


def test_scores_must_be_probabilities():
    with pytest.raises(ValidationError, match="outside"):
        make(scores={"joy": 1.5})


def test_labels_and_dominant_need_scores():
    with pytest.raises(ValidationError, match="no score"):
        make(scores={"joy": 0.9}, labels=["anger"])
    with pytest.raises(ValidationError, match="no score"):
        make(scores={"joy": 0.9}, dominant="anger")


def test_vad_is_bounded_and_unknown_fields_are_refused():
    with pytest.raises(ValidationError):
        VAD(valence=1.2)
    with pytest.raises(ValidationError):
        make(colour="blue")


def test_evidence_end_not_before_start():
    with pytest.raises(ValidationError, match="before start"):
        Evidence(label="joy", start=5, end=2, text="", weight=1.0)
