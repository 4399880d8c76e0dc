"""Reading conversations: grouping, configurable columns, and clear reports of bad input."""

from __future__ import annotations

import json

import pytest

from affectlens.conversation.io import Columns, read_conversations
from affectlens.errors import InputError


def _jsonl(tmp_path, rows, name="turns.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return str(path)


def test_groups_interleaved_conversations_in_file_order(tmp_path):
    path = _jsonl(
        tmp_path,
        [
            {"conversation_id": "a", "speaker": "x", "text": "hi", "index": 0},
            {"conversation_id": "b", "speaker": "y", "text": "hello", "timestamp": "2026-01-01T10:00:00"},
            {"conversation_id": "a", "speaker": "z", "text": "hey", "index": 1},
            {"conversation_id": 7, "speaker": "q", "text": "numbers as ids"},
        ],
    )
    read = read_conversations(path)
    assert [(c.id, c.speakers, c.texts) for c in read.conversations] == [
        ("a", ["x", "z"], ["hi", "hey"]),
        ("b", ["y"], ["hello"]),
        ("7", ["q"], ["numbers as ids"]),
    ]
    assert read.conversations[1].timestamps == ["2026-01-01T10:00:00"] and read.turns == 4 and not read.problems


def test_bad_rows_are_reported_and_the_rest_carries_on(tmp_path):
    path = _jsonl(
        tmp_path,
        [
            {"conversation_id": "a", "speaker": "x", "text": "fine"},
            "{not json",
            {"conversation_id": "a", "text": "no speaker"},
            {"conversation_id": "a", "speaker": "x", "text": "bad index", "index": "two"},
            {"conversation_id": "a", "speaker": "y", "text": "also fine"},
            {"conversation_id": "a", "speaker": "y", "text": "x" * 101},
        ],
    )
    read = read_conversations(path, max_chars=100)
    (c,) = read.conversations  # no turn is renumbered: each keeps its place
    assert c.texts == ["fine", "no speaker", "bad index", "also fine", "x" * 101]
    assert c.speakers == ["x", None, "x", "y", "y"]
    assert c.held == {4: "not analysed: it has 101 characters, over the limit of 100"}
    messages = [str(p) for p in read.problems]
    assert messages[0].startswith("line 2 is not valid JSON")
    assert messages[1] == "line 3 has no 'speaker': kept as turn 1, left out of per-speaker dynamics"
    assert messages[2] == "line 4 has index 'two', not a whole number: ignored for that turn"
    assert messages[3] == "line 6 has 101 characters, over the limit of 100: kept as turn 4, not analysed"


def test_out_of_order_turns_skip_that_conversation_only(tmp_path):
    path = _jsonl(
        tmp_path,
        [
            {"conversation_id": "a", "speaker": "x", "text": "one", "index": 1},
            {"conversation_id": "a", "speaker": "y", "text": "zero", "index": 0},
            {"conversation_id": "b", "speaker": "x", "text": "late", "timestamp": "2026-01-01T10:00:00Z"},
            {"conversation_id": "b", "speaker": "y", "text": "early", "timestamp": "2026-01-01T09:00:00Z"},
            {"conversation_id": "c", "speaker": "x", "text": "ok"},
        ],
    )
    read = read_conversations(path)
    assert [c.id for c in read.conversations] == ["c"]
    problems = {p.conversation: p.message for p in read.problems}
    assert "turn index 0 (line 2) comes after 1" in problems["a"]
    assert "timestamp earlier than the turn before it" in problems["b"]


def test_csv_with_custom_column_names(tmp_path):
    path = tmp_path / "chat.csv"
    path.write_text("thread,who,body,n\nt1,Ann,Hello there,0\nt1,Bob,Hi!,1\n", encoding="utf-8")
    read = read_conversations(str(path), columns=Columns(conversation="thread", speaker="who", text="body", index="n"))
    assert [(c.id, c.speakers, c.texts) for c in read.conversations] == [("t1", ["Ann", "Bob"], ["Hello there", "Hi!"])]


def test_a_csv_without_a_required_column_is_refused(tmp_path):
    path = tmp_path / "chat.csv"
    path.write_text("conversation_id,text\nt1,Hello\n", encoding="utf-8")
    with pytest.raises(InputError, match="has no column 'speaker'"):
        read_conversations(str(path))
