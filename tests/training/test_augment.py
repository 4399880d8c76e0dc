import collections

from affectlens.evaluation.pairs import load_suite
from affectlens.taxonomy import load_taxonomy
from affectlens.training.augment import generate


def test_generated_texts_are_labelled_unique_and_never_from_a_suite():
    rows = generate()
    texts = [r["text"].lower() for r in rows]
    assert len(texts) == len(set(texts)) > 3000
    held_out = {
        t.lower()
        for name in ("minimal_pairs", "minimal_pairs_holdout", "robustness", "robustness_holdout")
        for p in load_suite(name).pairs
        for t in (p.a, p.b)
    }
    assert not held_out & set(texts)
    names = set(load_taxonomy("goemotions").names)
    for row in rows:
        assert row["labels"] and set(row["labels"]) <= names
        assert all(-1.0 <= v <= 1.0 for v in row["vad"])
    counts = collections.Counter(r["category"] for r in rows)
    assert set(counts) >= {"negated_negative", "sarcasm", "sincere", "intensifier", "diminisher", "contrast"}
    assert set(counts) >= {"emoji", "slang", "literal"}


def test_informal_devices_come_with_their_literal_counterparts():
    rows = generate()
    by_text = {r["text"]: r["labels"] for r in rows}
    laughing = [labels for text, labels in by_text.items() if "😂" in text or "🤣" in text]
    assert laughing and all(labels == ["amusement"] for labels in laughing)
    # the slang word is praise in one row and literal in another: the word alone is not the label
    sick = {tuple(labels) for text, labels in by_text.items() if " sick" in text}
    assert any("admiration" in s for s in sick) and any("sadness" in s for s in sick)


def test_generation_is_deterministic():
    assert generate(seed=3) == generate(seed=3)
    assert generate(seed=3) != generate(seed=4)


def test_intensity_reaches_the_weak_arousal_targets():
    rows = generate()

    def mean_arousal(category):
        values = [r["vad"][1] for r in rows if r["category"] == category]
        return sum(values) / len(values)

    assert mean_arousal("intensifier") > mean_arousal("diminisher")
