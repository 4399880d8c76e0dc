import pytest

from affectlens.evaluation.faithfulness import faithfulness
from affectlens.evaluation.runner import evaluate


def test_keyword_evidence_is_more_comprehensive_than_random(fake):
    texts = [f"well {w} and then some more plain words follow here" for w in ("happy", "sad", "angry", "scared") * 5]
    analyses = fake.analyze_batch(texts, explain=True)
    result = faithfulness(fake, analyses, "goemotions")
    assert result["evidence_items"] == 20 and result["explained_labels"] == 1.0
    assert result["comprehensiveness"] > 0.5 > result["random_comprehensiveness"]
    assert result["sufficiency"] < result["random_sufficiency"]


@pytest.mark.data
def test_shipped_evidence_beats_random_spans(embedded, data_dir):
    """Issue #3: comprehensiveness >= 2 x random on GoEmotions test."""
    metrics = evaluate("goemotions", data_dir=data_dir, analyzer=embedded, explain=True)["metrics"]
    assert metrics["comprehensiveness"] >= 2 * metrics["random_comprehensiveness"]
    assert metrics["ece"] <= 0.05
