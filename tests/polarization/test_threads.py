"""Reading reply threads: posts in any order and across files are linked; every post that cannot
take part is reported with its file, line and reason, and the other threads are untouched."""

from __future__ import annotations

import json

import pytest

from affectlens.errors import InputError
from affectlens.polarization.threads import ThreadColumns, read_threads
from affectlens.runs.sources import resolve_sources


def write(path, rows, tail=b""):
    path.write_bytes(("\n".join(json.dumps(r) for r in rows) + "\n").encode() + tail)
    return path


def row(id, parent="", text=None, **extra):
    return {"id": id, "parent_id": parent, "author": f"u-{id}", "text": text or f"post {id}", "created_at": "2022-05-24", **extra}


def test_replies_before_their_parents_and_across_files_are_linked(tmp_path):
    write(tmp_path / "a.jsonl", [row("r2", "r1"), row("root"), row("x1", "other-root")])
    write(tmp_path / "b.jsonl", [row("r1", "root"), row("other-root"), row("r3", "root")])
    threads = read_threads(resolve_sources(tmp_path), max_chars=1000)
    ids = [p.id for p in threads.posts]
    # thread order: by first root in the input; parents before replies, siblings in input order
    assert ids == ["root", "r1", "r2", "r3", "other-root", "x1"]
    assert [threads.parent[k] for k in range(len(ids))] == [None, 0, 1, 0, None, 4]
    assert threads.thread == ["root"] * 4 + ["other-root"] * 2 and not threads.problems
    conversation = threads.conversations()[0]
    assert conversation.parents == [None, 0, 1, 0] and conversation.speakers == ["u-root", "u-r1", "u-r2", "u-r3"]


def test_every_problem_is_reported_with_its_line_and_the_rest_is_kept(tmp_path):
    rows = [
        row("t1"),
        row("t1a", "t1"),
        row("o1", "missing"),
        row("o1a", "o1"),
        row("t1a", "t1", "again"),
        row("c1", "c2"),
        row("c2", "c1"),
        row("c3", "c2"),
        {"parent_id": "t1", "text": "no id"},
        row("long", "t1", "x" * 50),
        row("g1", "t1", topic="guns"),
    ]
    path = write(tmp_path / "t.jsonl", rows, tail=b'{"id": "bad", "parent_id": "t1", "text": "caf\xe9"}\n')
    threads = read_threads(resolve_sources(path), max_chars=40, topics=["climate"], default_topic="climate")
    found = [(p.kind, p.line, p.id) for p in threads.problems]
    assert found == [
        ("orphan", 3, "o1"),
        ("duplicate", 5, "t1a"),
        ("cycle", 6, "c1"),
        ("cycle", 7, "c2"),
        ("under-cycle", 8, "c3"),
        ("bad-row", 9, None),
        ("bad-row", 10, "long"),
        ("unknown-topic", 11, "g1"),
        ("bad-row", 12, None),
    ]
    messages = {p.kind: p.message for p in threads.problems}
    assert "answers 'missing', which is not in the input" in messages["orphan"]
    assert "repeats the id 't1a' of line 2" in messages["duplicate"]
    assert "not valid UTF-8" in threads.problems[-1].message
    assert [p.id for p in threads.posts] == ["t1", "t1a", "o1", "o1a"]
    assert threads.thread == ["t1", "t1", "o1", "o1"] and threads.parent == [None, 0, None, 2]  # the orphan heads its own
    assert threads.counts() == {"orphan": 1, "duplicate": 1, "cycle": 2, "under-cycle": 1, "bad-row": 3, "unknown-topic": 1}


def test_a_thread_column_and_configurable_columns(tmp_path):
    rows = [
        {"pid": "1", "reply_to": None, "who": "a", "body": "root", "ts": 1653350400, "conv": "T"},
        {"pid": "2", "reply_to": "1", "who": "b", "body": "reply", "ts": "2022-05-24T01:00:00", "conv": "T"},
    ]
    path = write(tmp_path / "t.jsonl", rows)
    columns = ThreadColumns(id="pid", parent="reply_to", author="who", text="body", time="ts", thread="conv")
    threads = read_threads(resolve_sources(path), columns, max_chars=100)
    assert threads.thread == ["T", "T"] and [p.author for p in threads.posts] == ["a", "b"]
    assert [p.time for p in threads.posts] == ["2022-05-24T00:00:00+00:00", "2022-05-24T01:00:00+00:00"]


def test_a_csv_without_the_parent_column_is_refused(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,text\n1,hello\n")
    with pytest.raises(InputError, match="no column 'parent_id'"):
        read_threads(resolve_sources(path), max_chars=100)
