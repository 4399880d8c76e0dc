"""Streaming readers for the input formats: ``.txt``, ``.csv``, ``.jsonl``, ``.parquet``.

Readers yield :class:`Record` objects one at a time. A row that cannot be used (malformed
JSON, no text field, a text that is not a string) becomes a record with ``error`` set, so
the caller can report it and carry on. Problems with the whole file (not found, not UTF-8,
binary content, a missing column) raise :class:`~affectlens.errors.InputError`.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from affectlens.errors import InputError, MissingDependencyError

__all__ = ["INPUT_FORMATS", "Record", "count_records", "detect_format", "read_records"]

INPUT_FORMATS = ("txt", "csv", "jsonl", "parquet")
_SUFFIXES = {".txt": "txt", ".text": "txt", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
_PARQUET_BATCH = 1024
csv.field_size_limit(2**31 - 1)  # long texts are refused by the analyzer's limit, with a clear message


@dataclass(frozen=True)
class Record:
    """One input row: where it came from, its id and text, or why it cannot be used."""

    line: int  # 1-based line (txt, jsonl), data row (csv, parquet)
    text: str | None
    id: str | None = None
    error: str | None = None
    extra: dict[str, Any] | None = None  # the ``extra`` columns asked for (None where a row lacks one)


def detect_format(path: str, explicit: str | None = None) -> str:
    """The input format: ``explicit``, else from the suffix; stdin (``-``) defaults to txt."""
    if explicit is not None:
        if explicit not in INPUT_FORMATS:
            raise InputError(f"unknown input format {explicit!r}; use one of {', '.join(INPUT_FORMATS)}")
        return explicit
    if path == "-":
        return "txt"
    suffix = Path(path).suffix.lower()
    if suffix not in _SUFFIXES:
        raise InputError(
            f"cannot tell the format of {path!r} from its suffix {suffix or '(none)'!r}",
            hint=f"use a {', '.join(sorted(_SUFFIXES))} file, or pass --input-format",
        )
    return _SUFFIXES[suffix]


def read_records(
    path: str,
    *,
    input_format: str | None = None,
    text_column: str | None = None,
    id_column: str | None = None,
    extra: Sequence[str] = (),
    required: Sequence[str] = (),
) -> Iterator[Record]:
    """Records of ``path`` (``"-"`` for stdin). ``text_column`` defaults to ``text``;
    ``id_column`` defaults to ``id`` when such a column or field exists. ``extra`` columns
    are carried in :attr:`Record.extra`; a CSV or Parquet file without one of the
    ``required`` ones is refused as a whole."""
    fmt = detect_format(path, input_format)
    if fmt == "txt" and extra:
        raise InputError(
            f"{_name(path)} is plain text, but this input needs the fields {', '.join(map(repr, extra))}",
            hint="give a CSV, JSONL or Parquet file (or --input-format)",
        )
    if fmt == "txt" and (text_column or id_column):
        raise InputError("--text-column and --id-column do not apply to .txt input (one text per line)")
    if fmt == "parquet":
        yield from _read_parquet(path, text_column or "text", id_column, extra, required)
    else:
        yield from _read_lines(path, fmt, text_column or "text", id_column, extra, required)


def _read_lines(
    path: str, fmt: str, text_column: str, id_column: str | None, extra: Sequence[str], required: Sequence[str]
) -> Iterator[Record]:
    stream = _open_binary(path)
    try:
        lines = _decoded_lines(stream, path)
        if fmt == "txt":
            for n, line in lines:
                yield Record(n, line.rstrip("\r\n"))
        elif fmt == "jsonl":
            yield from _read_jsonl(lines, text_column, id_column, extra)
        else:
            yield from _read_csv(lines, path, text_column, id_column, extra, required)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def count_records(path: str, *, input_format: str | None = None) -> int | None:
    """How many rows ``path`` holds, cheaply (for a progress bar); None if unknown."""
    if path == "-":
        return None
    fmt = detect_format(path, input_format)
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            return int(pq.ParquetFile(path).metadata.num_rows)
        with open(path, "rb") as f:
            newlines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
        return max(newlines - (1 if fmt == "csv" else 0), 0)
    except (OSError, ImportError, ValueError):
        return None


def _open_binary(path: str) -> IO[bytes]:
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")
    except FileNotFoundError as exc:
        raise InputError(f"input file {path!r} not found") from exc
    except IsADirectoryError as exc:
        raise InputError(f"input {path!r} is a directory, not a file") from exc
    except OSError as exc:
        raise InputError(f"cannot read input file {path!r}: {exc.strerror}") from exc


def _decoded_lines(stream: IO[bytes], path: str) -> Iterator[tuple[int, str]]:
    """Lines with their numbers, decoded one by one so an error names the exact line;
    invalid UTF-8 or NUL bytes stop the file with a clear error."""
    n = 0
    try:
        for n, raw in enumerate(stream, start=1):
            if b"\x00" in raw:
                raise InputError(
                    f"{_name(path)} line {n} contains NUL bytes: this looks like a binary file, not text",
                    hint="give a UTF-8 text, CSV, JSONL or Parquet file",
                )
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{_name(path)} is not valid UTF-8: line {n}, byte {exc.start + 1} is {raw[exc.start : exc.start + 1]!r}",
                    hint="convert it, e.g. `iconv -f latin1 -t utf-8 in.txt > out.txt`",
                ) from exc
            yield n, line.removeprefix("\ufeff") if n == 1 else line
    except OSError as exc:
        raise InputError(f"cannot read {_name(path)}: {exc}") from exc


def _read_jsonl(lines: Iterator[tuple[int, str]], text_key: str, id_key: str | None, extra: Sequence[str]) -> Iterator[Record]:
    for n, line in lines:
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Record(n, None, error=f"not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        if isinstance(value, str):
            yield Record(n, value)
            continue
        if not isinstance(value, dict):
            yield Record(n, None, error=f"expected a JSON object or string, got {type(value).__name__}")
            continue
        yield _record(n, value, text_key, id_key, "field", extra)


def _read_csv(
    lines: Iterator[tuple[int, str]],
    path: str,
    text_column: str,
    id_column: str | None,
    extra: Sequence[str] = (),
    required: Sequence[str] = (),
) -> Iterator[Record]:
    reader = csv.reader(line for _, line in lines)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise InputError(f"{_name(path)} is not valid CSV: {exc}") from exc
    for column in (text_column, *([id_column] if id_column else []), *required):
        _require_column(column, header, path)
    n = 0
    while True:
        n += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Record(n, None, error=f"is not valid CSV ({exc})")
            continue
        if not row:
            continue
        if len(row) != len(header):
            yield Record(n, None, error=f"has {len(row)} fields, the header has {len(header)}")
            continue
        yield _record(n, dict(zip(header, row)), text_column, id_column, "column", extra)


def _read_parquet(
    path: str, text_column: str, id_column: str | None, extra: Sequence[str] = (), required: Sequence[str] = ()
) -> Iterator[Record]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise MissingDependencyError("pyarrow", "parquet", "reading Parquet files") from exc
    if path == "-":
        raise InputError("Parquet cannot be read from stdin", hint="pass the file path with -i")
    try:
        file = pq.ParquetFile(path)
    except FileNotFoundError as exc:
        raise InputError(f"input file {path!r} not found") from exc
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{_name(path)} is not a readable Parquet file: {exc}") from exc
    names = file.schema_arrow.names
    for column in (text_column, *([id_column] if id_column else []), *required):
        _require_column(column, names, path)
    wanted_id = id_column or ("id" if "id" in names else None)
    columns = [text_column] + ([wanted_id] if wanted_id and wanted_id != text_column else [])
    columns += [c for c in extra if c in names and c not in columns]
    n = 0
    for batch in file.iter_batches(batch_size=_PARQUET_BATCH, columns=columns):
        for row in batch.to_pylist():
            n += 1
            yield _record(n, row, text_column, wanted_id, "column", extra)


def _record(n: int, row: dict[str, Any], text_key: str, id_key: str | None, kind: str, extra: Sequence[str] = ()) -> Record:
    if text_key not in row:
        return Record(n, None, error=f"has no {text_key!r} {kind}")
    text = row[text_key]
    if text is None:
        text = ""
    if not isinstance(text, str):
        return Record(n, None, error=f"{kind} {text_key!r} holds {type(text).__name__}, not a string")
    key = id_key or ("id" if "id" in row else None)
    raw_id = row.get(key) if key else None
    kept = {k: row.get(k) for k in extra} if extra else None
    return Record(n, text, None if raw_id is None else str(raw_id), extra=kept)


def _require_column(column: str, header: list[str], path: str) -> None:
    if column not in header:
        raise InputError(
            f"{_name(path)} has no column {column!r}; columns: {', '.join(header) or '(none)'}",
            hint="choose one with --text-column / --id-column",
        )


def _name(path: str) -> str:
    return "standard input" if path == "-" else repr(path)
