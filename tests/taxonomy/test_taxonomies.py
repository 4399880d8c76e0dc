import pytest

from affectlens.errors import ConfigError, UnknownNameError
from affectlens.taxonomy import list_taxonomies, load_taxonomy, parse_taxonomy_name


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("goemotions", 28),
        ("ekman", 7),
        ("plutchik", 8),
        ("sentiment", 4),
        ("parrott", 6),
        ("parrott-secondary", 25),
        ("parrott-tertiary", 135),
    ],
)
def test_label_counts(name, count):
    assert len(load_taxonomy(name).labels) == count


def test_every_label_has_a_cited_vad_anchor_in_range():
    for t in list_taxonomies():
        assert "EmoBank" in t.vad_source and t.citation
        for label in t.labels:
            assert all(-1.0 <= x <= 1.0 for x in label.vad), (t.id, label.name)
            if label.name == t.neutral:
                assert label.vad == (0.0, 0.0, 0.0)


def test_anchors_order_the_obvious_cases():
    g = load_taxonomy("goemotions")
    assert g.label("joy").vad[0] > 0.2 > -0.2 > g.label("grief").vad[0]
    assert g.label("excitement").vad[1] > g.label("sadness").vad[1]


def test_parrott_tiers_link_to_their_parents():
    primary, secondary, tertiary = (load_taxonomy(n) for n in ("parrott", "parrott-secondary", "parrott-tertiary"))
    assert tertiary.parent_taxonomy == "parrott-secondary" and secondary.parent_taxonomy == "parrott"
    assert tertiary.label("adoration").parent == "affection"
    assert secondary.label("affection").parent == "love"
    assert all(label.parent in secondary.names for label in tertiary.labels)
    assert all(label.parent in primary.names for label in secondary.labels)


def test_versioned_names():
    assert load_taxonomy("ekman@1").id == "ekman@1"
    assert load_taxonomy(" Ekman ").id == "ekman@1"
    assert parse_taxonomy_name("plutchik@1") == ("plutchik", 1)
    with pytest.raises(ConfigError, match="version 1, not 3"):
        load_taxonomy("ekman@3")
    with pytest.raises(ConfigError, match="must be a number"):
        load_taxonomy("ekman@x")


def test_unknown_taxonomy_suggests():
    with pytest.raises(UnknownNameError, match="did you mean 'plutchik'"):
        load_taxonomy("plutchick")


def test_unknown_label():
    with pytest.raises(UnknownNameError):
        load_taxonomy("ekman").label("happiness")
