"""The rows of an emotion run's parts: one flat Parquet row per analysed input row.

Columns: ``source`` (index of the input file in the manifest) and ``line`` (where the row
starts in it) identify the row; then ``id``, ``time`` (UTC, or null when the time column
could not be read), one column per group (as given, as text), ``text``, ``taxonomy``,
``labels`` (a list), ``dominant``, ``score_<label>`` for every label of the taxonomy,
``valence``, ``arousal``, ``dominance``, ``sentiment``, ``confidence``, ``warnings`` (a list)
and ``non_english``; with ``--explain``, ``evidence`` (a list of ``{label, start, end, text,
weight}``). A row is the same whether its text was analysed or its result reused from an
identical text, and whether the run was interrupted or not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from affectlens.errors import ConfigError
from affectlens.reasoning.language import WARNING_PREFIX
from affectlens.schema import Analysis

__all__ = ["RESERVED", "Row", "parse_time", "part_schema", "part_table"]

RESERVED = {
    "source", "line", "id", "time", "text", "taxonomy", "labels", "dominant", "valence", "arousal", "dominance",
    "sentiment", "confidence", "warnings", "non_english", "evidence",
}  # fmt: skip


@dataclass(frozen=True)
class Row:
    source: int
    line: int
    analysis: Analysis
    time: dt.datetime | None
    groups: dict[str, str | None]


def check_group_names(groups: Sequence[str]) -> None:
    clash = [g for g in groups if g in RESERVED or g.startswith("score_")]
    if clash:
        raise ConfigError(
            f"group column(s) {', '.join(map(repr, clash))} would clash with the run's own columns",
            hint="rename the column in the input",
        )


def parse_time(value: Any) -> dt.datetime | None:
    """A UTC time from an ISO-8601 string (a date alone is midnight), epoch seconds (or
    milliseconds, when the number is too large for seconds) or a date/datetime; else None."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if abs(value) > 1e11 else value
        try:
            return dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str):
        text = value.strip()
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            try:
                return parse_time(float(text))
            except ValueError:
                return None
    else:
        return None
    return moment.replace(tzinfo=dt.timezone.utc) if moment.tzinfo is None else moment.astimezone(dt.timezone.utc)


def part_schema(labels: Sequence[str], groups: Sequence[str], explain: bool) -> Any:
    import pyarrow as pa

    number, text = pa.float32(), pa.string()
    fields = [
        ("source", pa.int32()),
        ("line", pa.int64()),
        ("id", text),
        ("time", pa.timestamp("us", tz="UTC")),
        *((g, text) for g in groups),
        ("text", text),
        ("taxonomy", text),
        ("labels", pa.list_(text)),
        ("dominant", text),
        *((f"score_{label}", number) for label in labels),
        ("valence", number),
        ("arousal", number),
        ("dominance", number),
        ("sentiment", text),
        ("confidence", number),
        ("warnings", pa.list_(text)),
        ("non_english", pa.bool_()),
    ]
    if explain:
        evidence = pa.struct([("label", text), ("start", pa.int32()), ("end", pa.int32()), ("text", text), ("weight", number)])
        fields.append(("evidence", pa.list_(evidence)))
    return pa.schema(fields)


def part_table(rows: Sequence[Row], labels: Sequence[str], groups: Sequence[str], explain: bool) -> Any:
    """A Parquet-ready table of ``rows`` (see the module docstring)."""
    import pyarrow as pa

    columns: dict[str, list[Any]] = {name: [] for name in part_schema(labels, groups, explain).names}
    for row in rows:
        a = row.analysis
        columns["source"].append(row.source)
        columns["line"].append(row.line)
        columns["id"].append(a.id)
        columns["time"].append(row.time)
        for g in groups:
            columns[g].append(row.groups.get(g))
        columns["text"].append(a.text)
        columns["taxonomy"].append(a.taxonomy)
        columns["labels"].append(a.labels)
        columns["dominant"].append(a.dominant)
        for label in labels:
            columns[f"score_{label}"].append(a.scores.get(label))
        columns["valence"].append(a.vad.valence)
        columns["arousal"].append(a.vad.arousal)
        columns["dominance"].append(a.vad.dominance)
        columns["sentiment"].append(a.sentiment)
        columns["confidence"].append(a.confidence)
        columns["warnings"].append(a.warnings)
        columns["non_english"].append(any(w.startswith(WARNING_PREFIX) for w in a.warnings))
        if explain:
            columns["evidence"].append([e.model_dump() for e in a.evidence])
    return pa.table(columns, schema=part_schema(labels, groups, explain))
