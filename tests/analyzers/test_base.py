import pytest

from affectlens.analyzers.base import EMPTY_WARNING, AnalyzeOptions
from affectlens.errors import ConfigError, InputError, UnknownNameError


def test_empty_and_whitespace_texts_get_a_warning_not_a_crash(fake):
    out = fake.analyze_batch(["", "  \n\t", "so happy"], ids=["a", "b", "c"])
    assert [a.id for a in out] == ["a", "b", "c"]
    for a in out[:2]:
        assert a.labels == [] and a.dominant is None and a.warnings == [EMPTY_WARNING]
        assert a.taxonomy == "goemotions@1" and a.backend == fake.backend_id
    assert out[2].labels == ["joy"]


def test_order_ids_and_taxonomy(fake):
    out = fake.analyze_batch(["wow", "sad", "angry"], taxonomy="ekman")
    assert [a.dominant for a in out] == ["surprise", "sadness", "anger"]
    assert all(set(a.labels) <= set(a.scores) for a in out)


def test_bad_inputs(fake):
    with pytest.raises(InputError, match="not a string"):
        fake.analyze_batch(["ok", 3])
    with pytest.raises(InputError, match="not one string"):
        fake.analyze_batch("one text")
    with pytest.raises(InputError, match="2 ids for 1 texts"):
        fake.analyze_batch(["x"], ids=["a", "b"])
    with pytest.raises(InputError, match="over the limit of 10"):
        fake.analyze("x" * 11, max_chars=10)


def test_options_are_validated(fake):
    with pytest.raises(ConfigError, match=r"unknown option .colour."):
        fake.analyze("hi", colour="red")
    with pytest.raises(ConfigError, match="max_chars"):
        fake.analyze("hi", max_chars=0)
    with pytest.raises(UnknownNameError):
        fake.analyze("hi", taxonomy="nope")
    base = AnalyzeOptions(taxonomy="ekman")
    assert fake.analyze("sad", options=base).taxonomy == "ekman@1"
    assert fake.analyze("sad", options=base, taxonomy="plutchik").taxonomy == "plutchik@1"


def test_unpaired_surrogates_are_replaced_with_a_warning_so_output_can_be_written(fake):
    a = fake.analyze("so happy \ud800 today", id="s")
    assert a.text == "so happy \ufffd today"
    assert a.warnings[0].startswith("replaced 1 unpaired surrogate")
    assert '"so happy \ufffd today"' in a.model_dump_json()
