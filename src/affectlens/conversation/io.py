"""Reading conversations: JSONL, CSV or Parquet rows of turns, grouped by conversation.

Every row is one turn with a conversation id, a speaker and a text, and optionally an
``index``, a ``timestamp``, the turn's own ``id`` and the ``parent_id`` of the turn it
answers (column names configurable). Turns of a conversation are taken in file order and
may be interleaved with other conversations' turns.

A conversation is a line — each turn answers the one before — unless one of its rows names
a parent: then it is a reply tree (:mod:`affectlens.conversation.tree`), where a row without
a parent answers nobody, and a parent must be an earlier turn of the same conversation (a
turn whose parent is not is kept, answering nobody, and reported).

No turn is renumbered: a turn keeps its place in its conversation even when something is
wrong with it, and the problem is reported.

- a row without a speaker is kept, with no speaker: it is analysed and read as context, but
  left out of per-speaker trajectories, shifts, inertia and contagion;
- a turn longer than ``max_chars`` is kept but not analysed (like an empty turn, it is left
  out of dynamics and causes);
- an ``index`` that is not a whole number is ignored for that turn.

A row that cannot be placed at all (not readable, or without a conversation id) is
reported and skipped. A conversation whose ``index`` values do not strictly increase (or
whose ISO timestamps go back in time) is reported and skipped as a whole — analysing it in
the wrong order would give wrong dynamics.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from affectlens.conversation.analyzer import Conversation
from affectlens.conversation.tree import linear_parents
from affectlens.io.readers import read_records
from affectlens.io.text import DEFAULT_MAX_CHARS, length_problem

__all__ = ["Columns", "Problem", "ReadResult", "read_conversations"]


@dataclass(frozen=True)
class Columns:
    conversation: str = "conversation_id"
    speaker: str = "speaker"
    text: str = "text"
    index: str = "index"
    timestamp: str = "timestamp"
    turn_id: str = "id"
    parent: str = "parent_id"


@dataclass(frozen=True)
class Problem:
    line: int | None
    conversation: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else f"conversation {self.conversation!r}"
        return f"{where} {self.message}"


@dataclass
class ReadResult:
    conversations: list[Conversation]
    problems: list[Problem] = field(default_factory=list)
    turns: int = 0


@dataclass
class _Building:
    conversation: Conversation
    lines: list[int] = field(default_factory=list)
    indices: list[int | None] = field(default_factory=list)
    broken: str | None = None
    turn_of: dict[str, int] = field(default_factory=dict)  # turn id -> first turn with it
    named_parents: bool = False


def _text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def _iso(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def read_conversations(
    path: str, *, columns: Columns = Columns(), input_format: str | None = None, max_chars: int = DEFAULT_MAX_CHARS
) -> ReadResult:
    """All conversations of ``path``, in order of first appearance, and the problems met.
    A turn longer than ``max_chars`` is a bad row (never cut silently)."""
    result = ReadResult([])
    building: dict[str, _Building] = {}
    records = read_records(
        path,
        input_format=input_format,
        text_column=columns.text,
        extra=(columns.conversation, columns.speaker, columns.index, columns.timestamp, columns.turn_id, columns.parent),
        required={columns.conversation: "--conversation-column", columns.speaker: "--speaker-column"},
        max_chars=max_chars,
    )
    for record in records:
        if record.error:
            result.problems.append(Problem(record.line, None, f"{record.error}: skipped"))
            continue
        extra = record.extra or {}
        conversation_id, speaker = extra.get(columns.conversation), extra.get(columns.speaker)
        if conversation_id in (None, ""):
            result.problems.append(Problem(record.line, None, f"has no {columns.conversation!r}: it cannot be placed, skipped"))
            continue
        key = str(conversation_id)
        b = building.setdefault(key, _Building(Conversation(key, [], [], [])))
        turn = len(b.conversation.texts)
        if speaker in (None, ""):
            speaker = None
            result.problems.append(
                Problem(record.line, None, f"has no {columns.speaker!r}: kept as turn {turn}, left out of per-speaker dynamics")
            )
        too_long = length_problem(record.text or "", max_chars)
        if too_long is not None:
            b.conversation.held[turn] = f"not analysed: it {too_long}"
            result.problems.append(Problem(record.line, None, f"{too_long}: kept as turn {turn}, not analysed"))
        raw_index, timestamp = extra.get(columns.index), extra.get(columns.timestamp)
        index = None
        if raw_index not in (None, ""):
            try:
                index = int(str(raw_index))
            except ValueError:
                result.problems.append(
                    Problem(record.line, key, f"has {columns.index} {raw_index!r}, not a whole number: ignored for that turn")
                )
        last = next((x for x in reversed(b.indices) if x is not None), None)
        if b.broken is None and index is not None and last is not None and index <= last:
            b.broken = f"turn {columns.index} {index} (line {record.line}) comes after {last}; turns must be in order"
        previous_time = _iso(b.conversation.timestamps[-1]) if b.conversation.timestamps else None
        current_time = _iso(None if timestamp is None else str(timestamp))
        if b.broken is None and previous_time and current_time and current_time < previous_time:
            b.broken = f"turn at line {record.line} has a timestamp earlier than the turn before it; turns must be in order"
        turn_id, parent_id = _text(extra.get(columns.turn_id)), _text(extra.get(columns.parent))
        parent = None
        if parent_id is not None:
            b.named_parents = True
            parent = b.turn_of.get(parent_id)
            if parent is None:
                result.problems.append(
                    Problem(
                        record.line,
                        key,
                        f"answers {parent_id!r}, which is not an earlier turn of this conversation: "
                        f"kept as turn {turn}, answering nobody",
                    )
                )
        if turn_id is not None:
            if turn_id in b.turn_of:
                result.problems.append(
                    Problem(record.line, key, f"repeats the turn id {turn_id!r}: replies to it answer its first turn")
                )
            b.turn_of.setdefault(turn_id, turn)
        b.conversation.speakers.append(None if speaker is None else str(speaker))
        b.conversation.texts.append(record.text or "")
        b.conversation.timestamps.append(None if timestamp in (None, "") else str(timestamp))
        b.conversation.ids.append(turn_id)
        b.conversation.parents.append(parent)
        b.indices.append(index)
        b.lines.append(record.line)
    for key, b in building.items():
        if b.broken:
            result.problems.append(Problem(None, key, f"was skipped: {b.broken}"))
            continue
        if not b.named_parents:  # a line: each turn answers the one before
            b.conversation.parents = linear_parents(len(b.conversation.texts))
        result.conversations.append(b.conversation)
        result.turns += len(b.conversation.texts)
    return result
