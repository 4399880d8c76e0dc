"""Reading conversations: JSONL, CSV or Parquet rows of turns, grouped by conversation.

Every row is one turn with a conversation id, a speaker and a text, and optionally an
``index`` and a ``timestamp`` (column names configurable). Turns of a conversation are
taken in file order and may be interleaved with other conversations' turns. A row that
lacks a field is reported and skipped; a conversation whose ``index`` values do not
strictly increase (or whose ISO timestamps go back in time) is reported and skipped as a
whole — analysing it in the wrong order would give wrong dynamics.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from affectlens.analyzers.base import DEFAULT_MAX_CHARS
from affectlens.conversation.analyzer import Conversation
from affectlens.io.readers import read_records

__all__ = ["Columns", "Problem", "ReadResult", "read_conversations"]


@dataclass(frozen=True)
class Columns:
    conversation: str = "conversation_id"
    speaker: str = "speaker"
    text: str = "text"
    index: str = "index"
    timestamp: str = "timestamp"


@dataclass(frozen=True)
class Problem:
    line: int | None
    conversation: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else f"conversation {self.conversation!r}"
        return f"{where}: {self.message}"


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
        extra=(columns.conversation, columns.speaker, columns.index, columns.timestamp),
        required=(columns.conversation, columns.speaker),
    )
    for record in records:
        if record.error:
            result.problems.append(Problem(record.line, None, record.error))
            continue
        extra = record.extra or {}
        conversation_id, speaker = extra.get(columns.conversation), extra.get(columns.speaker)
        missing = [
            name for name, value in ((columns.conversation, conversation_id), (columns.speaker, speaker)) if value in (None, "")
        ]
        if missing:
            result.problems.append(Problem(record.line, None, f"has no {' or '.join(repr(m) for m in missing)}"))
            continue
        if len(record.text or "") > max_chars:
            result.problems.append(
                Problem(record.line, None, f"text has {len(record.text or ''):,} characters, over {max_chars:,}")
            )
            continue
        key = str(conversation_id)
        b = building.setdefault(key, _Building(Conversation(key, [], [], [])))
        raw_index, timestamp = extra.get(columns.index), extra.get(columns.timestamp)
        index = None
        if raw_index not in (None, ""):
            try:
                index = int(str(raw_index))
            except ValueError:
                result.problems.append(Problem(record.line, key, f"{columns.index!r} is {raw_index!r}, not a whole number"))
                continue
        if b.broken is None and index is not None and b.indices and b.indices[-1] is not None and index <= b.indices[-1]:
            b.broken = f"turn {columns.index} {index} (line {record.line}) comes after {b.indices[-1]}; turns must be in order"
        previous_time = _iso(b.conversation.timestamps[-1]) if b.conversation.timestamps else None
        current_time = _iso(None if timestamp is None else str(timestamp))
        if b.broken is None and previous_time and current_time and current_time < previous_time:
            b.broken = f"turn at line {record.line} has a timestamp earlier than the turn before it; turns must be in order"
        b.conversation.speakers.append(str(speaker))
        b.conversation.texts.append(record.text or "")
        b.conversation.timestamps.append(None if timestamp in (None, "") else str(timestamp))
        b.indices.append(index)
        b.lines.append(record.line)
    for key, b in building.items():
        if b.broken:
            result.problems.append(Problem(None, key, f"skipped: {b.broken}"))
            continue
        result.conversations.append(b.conversation)
        result.turns += len(b.conversation.texts)
    return result
