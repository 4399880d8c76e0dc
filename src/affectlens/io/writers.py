"""Writers for the output formats: ``table``, ``json``, ``jsonl``, ``csv``, ``parquet``.

JSON and JSONL carry the full :class:`~affectlens.schema.Analysis` (docs/schema.md). CSV and
Parquet are flat: one row per text, one ``score_<label>`` column per label of the taxonomy.
Every writer streams: rows are written as they come, so a long run can be followed and an
interrupted one keeps what was done.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import IO, Any, Protocol

from affectlens.errors import InputError, MissingDependencyError
from affectlens.schema import Analysis

__all__ = ["OUTPUT_FORMATS", "Writer", "flatten", "format_for", "open_writer"]

OUTPUT_FORMATS = ("table", "json", "jsonl", "csv", "parquet")
_SUFFIXES = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet", ".txt": "table"}


class Writer(Protocol):
    def write(self, analyses: list[Analysis]) -> None: ...
    def close(self) -> None: ...


def format_for(path: str | None, explicit: str | None) -> str:
    """The output format: ``explicit``, else from ``path``'s suffix, else ``table``."""
    if explicit is not None:
        if explicit not in OUTPUT_FORMATS:
            raise InputError(f"unknown output format {explicit!r}; use one of {', '.join(OUTPUT_FORMATS)}")
        return explicit
    if path is None or path == "-":
        return "table"
    suffix = Path(path).suffix.lower()
    if suffix not in _SUFFIXES:
        raise InputError(f"cannot tell the output format from {path!r}", hint=f"pass --format ({', '.join(OUTPUT_FORMATS)})")
    return _SUFFIXES[suffix]


def flatten(analysis: Analysis, labels: list[str]) -> dict[str, Any]:
    """One flat row (CSV, Parquet) for ``analysis``; ``labels`` fixes the score columns."""
    row: dict[str, Any] = {
        "id": analysis.id,
        "text": analysis.text,
        "taxonomy": analysis.taxonomy,
        "dominant": analysis.dominant,
        "labels": ";".join(analysis.labels),
        "sentiment": analysis.sentiment,
        "valence": analysis.vad.valence,
        "arousal": analysis.vad.arousal,
        "dominance": analysis.vad.dominance,
        "confidence": analysis.confidence,
    }
    for label in labels:
        row[f"score_{label}"] = analysis.scores.get(label)
    row["evidence"] = json.dumps([e.model_dump() for e in analysis.evidence], ensure_ascii=False) if analysis.evidence else ""
    row["rationale"] = analysis.rationale or ""
    row["warnings"] = " | ".join(analysis.warnings)
    row["backend"] = analysis.backend
    return row


def open_writer(fmt: str, path: str | None, *, labels: list[str], console: Any = None) -> Writer:
    """A writer of ``fmt`` to ``path`` (None or ``-``: standard output)."""
    if fmt == "parquet":
        if path is None or path == "-":
            raise InputError("Parquet output needs a file", hint="pass -o FILE.parquet")
        return _ParquetWriter(path, labels)
    if fmt == "table":
        return _TableWriter(path, console)
    stream = _open_out(path)
    if fmt == "jsonl":
        return _JsonlWriter(stream)
    if fmt == "json":
        return _JsonWriter(stream)
    return _CsvWriter(stream, labels)


def _open_out(path: str | None) -> IO[str]:
    if path is None or path == "-":
        return sys.stdout
    try:
        _make_parent(path)
        return open(path, "w", encoding="utf-8", newline="")
    except OSError as exc:
        raise InputError(f"cannot write output file {path!r}: {exc.strerror}") from exc


def _make_parent(path: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)


class _StreamWriter:
    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def close(self) -> None:
        self.stream.flush()
        if self.stream is not sys.stdout:
            self.stream.close()


class _JsonlWriter(_StreamWriter):
    def write(self, analyses: list[Analysis]) -> None:
        for a in analyses:
            self.stream.write(a.model_dump_json() + "\n")
        self.stream.flush()


class _JsonWriter(_StreamWriter):
    def __init__(self, stream: IO[str]) -> None:
        super().__init__(stream)
        self.first = True
        self.stream.write("[")

    def write(self, analyses: list[Analysis]) -> None:
        for a in analyses:
            self.stream.write(("\n" if self.first else ",\n") + a.model_dump_json(indent=2))
            self.first = False
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n]\n" if not self.first else "]\n")
        super().close()


class _CsvWriter(_StreamWriter):
    def __init__(self, stream: IO[str], labels: list[str]) -> None:
        super().__init__(stream)
        self.labels = labels
        self.writer: csv.DictWriter[str] | None = None

    def write(self, analyses: list[Analysis]) -> None:
        for a in analyses:
            row = flatten(a, self.labels)
            if self.writer is None:
                self.writer = csv.DictWriter(self.stream, fieldnames=list(row))
                self.writer.writeheader()
            self.writer.writerow(row)
        self.stream.flush()


class _ParquetWriter:
    def __init__(self, path: str, labels: list[str]) -> None:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError as exc:
            raise MissingDependencyError("pyarrow", "parquet", "writing Parquet files") from exc
        self.pa, self.labels = pa, labels
        fields = [
            ("id", pa.string()),
            ("text", pa.string()),
            ("taxonomy", pa.string()),
            ("dominant", pa.string()),
            ("labels", pa.string()),
            ("sentiment", pa.string()),
            ("valence", pa.float64()),
            ("arousal", pa.float64()),
            ("dominance", pa.float64()),
            ("confidence", pa.float64()),
            *((f"score_{label}", pa.float64()) for label in labels),
            ("evidence", pa.string()),
            ("rationale", pa.string()),
            ("warnings", pa.string()),
            ("backend", pa.string()),
        ]
        self.schema = pa.schema(fields)
        try:
            _make_parent(path)
            self.writer = pq.ParquetWriter(path, self.schema)
        except (OSError, pa.ArrowException) as exc:
            raise InputError(f"cannot write output file {path!r}: {exc}") from exc

    def write(self, analyses: list[Analysis]) -> None:
        if analyses:
            rows = [flatten(a, self.labels) for a in analyses]
            self.writer.write_table(self.pa.Table.from_pylist(rows, schema=self.schema))

    def close(self) -> None:
        self.writer.close()


class _TableWriter:
    """A table for people; rows are collected and printed on close."""

    def __init__(self, path: str | None, console: Any) -> None:
        from rich.console import Console

        self.path = path
        self.file = _open_out(path) if path not in (None, "-") else None
        self.console = Console(file=self.file, width=140) if self.file else (console or Console())
        self.rows: list[Analysis] = []

    def write(self, analyses: list[Analysis]) -> None:
        self.rows.extend(analyses)

    def close(self) -> None:
        from affectlens.io.table import analyses_table
        from affectlens.io.terminal import safe

        if self.rows:
            self.console.print(analyses_table(self.rows))
        for n, a in enumerate(self.rows, start=1):
            for warning in a.warnings:
                self.console.print(f"[yellow]warning[/] ({safe(a.id or str(n))}): {safe(warning)}")
        if self.file is not None:
            self.file.close()
