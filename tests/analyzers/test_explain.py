"""Explanations of the embedded backend: evidence, rationale, abstention, VAD intervals."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def test_negation_is_part_of_the_evidence(embedded):
    a = embedded.analyze("I'm not happy with how the renovation turned out.", explain=True)
    assert a.evidence and any("not" in e.text for e in a.evidence)
    assert set(e.label for e in a.evidence) <= set(a.labels)
    assert a.rationale.startswith("Reads") and f"'{a.evidence[0].text}'" in a.rationale


def test_evidence_is_measured_and_in_the_requested_taxonomy(embedded):
    a = embedded.analyze("I'm absolutely furious that they lied to me again!", explain=True, taxonomy="ekman")
    assert "anger" in a.labels
    for e in a.evidence:
        assert e.label in a.labels and e.weight >= 0.05 and a.text[e.start : e.end] == e.text


def test_no_explanations_unless_asked(embedded):
    a = embedded.analyze("I am so happy today")
    assert a.evidence == [] and a.rationale is None


def test_abstention(embedded):
    a = embedded.analyze("I'm so proud of you!", explain=True, min_confidence=1.0)
    assert a.labels == [] and a.evidence == [] and a.dominant is not None
    assert any("abstained" in w for w in a.warnings) and a.rationale.startswith("No answer")


def test_vad_intervals_follow_the_requested_coverage(embedded):
    narrow = embedded.analyze("What a lovely morning", vad_coverage=0.5).vad
    wide = embedded.analyze("What a lovely morning", vad_coverage=0.95).vad
    assert narrow.coverage == 0.5 and wide.coverage == 0.95
    for dim in ("valence", "arousal", "dominance"):
        lo, hi = narrow.intervals[dim]
        assert lo <= getattr(narrow, dim) <= hi
        assert wide.intervals[dim][1] - wide.intervals[dim][0] > hi - lo


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.text(max_size=80),
    st.sampled_from(["I am furious", "so sooo happy 😍😍", "#grateful thanks!!", '"terrified"']),
    st.text(max_size=80),
)
def test_evidence_always_quotes_the_text(embedded, before, middle, after):
    text = before + " " + middle + " " + after
    a = embedded.analyze(text, explain=True)
    for e in a.evidence:
        assert text[e.start : e.end] == e.text and e.start < e.end
