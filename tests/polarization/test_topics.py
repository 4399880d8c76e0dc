"""Topics as data: the shipped ones, a user's own, and clear errors for a broken file."""

from __future__ import annotations

import pytest

from affectlens.errors import ConfigError
from affectlens.polarization.topics import list_topics, load_topic


def test_shipped_topics_have_two_sides_an_unknown_label_and_examples():
    topics = {t.id: t for t in list_topics()}
    assert set(topics) == {"climate@1", "guns@1"}
    climate = topics["climate@1"]
    assert climate.labels == ["believes", "disbelieves", "unclear"]
    assert climate.position("believes") == 1 and climate.position("disbelieves") == -1 and climate.position("unclear") is None
    for topic in topics.values():
        assert all(len(s.examples) >= 8 and s.people for s in topic.stances) and topic.unknown.examples
    words = climate.people_patterns["disbelieves"].findall("you Climate Deniers and flat-earthers, denialism")
    assert words == ["Climate Deniers", "flat-earthers"]  # whole words only


def test_a_users_topic_file_and_its_errors(tmp_path):
    path = tmp_path / "vaccines.yaml"
    body = """name: vaccines
version: 2
title: Vaccines
question: Are vaccines safe and worth taking?
stances:
  - {label: pro, position: 1, definition: for them}
  - {label: anti, position: -1, definition: against them, people: [antivaxxers]}
unknown: {label: unclear, definition: neither}
"""
    path.write_text(body)
    topic = load_topic(str(path))
    assert topic.id == "vaccines@2" and topic.labels == ["pro", "anti", "unclear"]
    path.write_text(body.replace("position: -1", "position: 1"))
    with pytest.raises(ConfigError, match="positions"):
        load_topic(str(path))
    path.write_text(body.replace("label: anti", "label: Anti Vax"))
    with pytest.raises(ConfigError, match="lower-case"):
        load_topic(str(path))
    with pytest.raises(ConfigError, match="not found"):
        load_topic(str(tmp_path / "missing.yaml"))
