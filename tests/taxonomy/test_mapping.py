import numpy as np
import pytest

from affectlens.taxonomy import load_taxonomy, map_label, map_label_sets, mapping_matrix, noisy_or

G = load_taxonomy("goemotions")


@pytest.mark.parametrize(
    ("word", "target", "source", "labels", "method"),
    [
        ("joy", "goemotions", "goemotions", ["joy"], "identity"),
        ("annoyance", "ekman", "goemotions", ["anger"], "group"),
        ("curiosity", "sentiment", "goemotions", ["ambiguous"], "group"),
        ("adoration", "parrott", "parrott-tertiary", ["love"], "hierarchy"),
        ("adoration", "parrott-secondary", "parrott-tertiary", ["affection"], "hierarchy"),
        ("annoyance", "plutchik", "goemotions", ["anger"], "name"),  # Plutchik puts annoyance under anger
        ("admiration", "plutchik", "goemotions", ["trust"], "name"),
        ("caring", "parrott", "goemotions", ["love"], "name"),  # tertiary 'caring' lifted to primary
        ("love", "plutchik", "goemotions", ["joy", "trust"], "dyad"),
        ("gratitude", "plutchik", "goemotions", ["joy"], "via"),  # GoEmotions->Ekman joy->Plutchik joy
        ("neutral", "ekman", "goemotions", ["neutral"], "group"),
        ("neutral", "ekman", None, ["neutral"], "name"),
        ("neutral", "plutchik", "goemotions", [], "unmapped"),
    ],
)
def test_rules(word, target, source, labels, method):
    m = map_label(word, load_taxonomy(target), source=load_taxonomy(source) if source else None)
    assert (m.labels, m.method) == (labels, method)


def test_word_forms_and_vad_fallback():
    ekman = load_taxonomy("ekman")
    assert map_label("angry", ekman).labels == ["anger"]
    assert map_label("zorbly", ekman).method == "unmapped"
    trust = map_label("trust", G, source=load_taxonomy("plutchik"))
    assert trust.method == "vad" and len(trust.labels) == 1 and "distance" in trust.detail


def test_mapping_matrix_is_read_only_and_complete():
    m = mapping_matrix("goemotions@1", "ekman@1")
    assert m.shape == (28, 7) and not m.flags.writeable
    assert (m.sum(axis=1) == 1).all()  # every GoEmotions label lands in exactly one Ekman group


def test_noisy_or_by_hand():
    matrix = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 0.5]])
    probs = np.array([[0.5, 0.5, 0.4]])
    out = noisy_or(probs, matrix)
    assert out[0, 0] == pytest.approx(1 - 0.5 * 0.5)
    assert out[0, 1] == pytest.approx(1 - (1 - 0.5 * 0.4))


def test_label_sets():
    ekman = load_taxonomy("ekman")
    assert map_label_sets(["annoyance", "joy", "neutral"], G, ekman) == ["anger", "joy", "neutral"]
    assert map_label_sets([], G, ekman) == []


@pytest.mark.parametrize(
    ("word", "target", "labels"),
    [
        ("furious", "ekman", ["anger"]),
        ("Furiously", "ekman", ["anger"]),  # inflection and case
        ("heartbroken", "goemotions", ["grief"]),
        ("thrilled", "sentiment", ["positive"]),
        ("annoyingly", "goemotions", ["annoyance"]),  # a label form, reached through its base form
        ("bored", "ekman", ["neutral"]),
        ("fed up", "plutchik", ["anger"]),
    ],
)
def test_open_vocabulary(word, target, labels):
    assert map_label(word, load_taxonomy(target)).labels == labels


def test_base_forms():
    from affectlens.taxonomy.vocabulary import base_forms, synonym_labels

    assert {"sad", "sadly"} <= set(base_forms("sadly"))
    assert "happy" in base_forms("happiness")
    assert synonym_labels("content") == ("content", ("approval", "joy"))
    assert synonym_labels("qwerty") is None
