"""Streaming readers for the input formats: ``.txt``, ``.csv``, ``.jsonl``, ``.parquet``.

Readers yield :class:`Record` objects one at a time, in file order. **Nothing is lost:** a
row that cannot be used becomes a record with ``error`` set (the caller reports it and
carries on), and one bad row never costs another:

- a line that is not valid UTF-8, or holds a NUL byte, is a bad row of its own;
- a line longer than the limit (from ``max_chars``) is refused while it is read, in
  chunks, so a 2 GB line without a newline never sits in memory;
- in CSV, a record that does not parse (an unterminated quote, text after a closing
  quote, too many or too few fields) is reported at the line where it starts, and reading
  starts again on the line after it — so the rows an unterminated quote would have
  swallowed come back as rows of their own (a stray quote is found when the text after it
  does not parse; when it does — the next quoted text starts with a line break or a comma —
  the bytes are valid CSV and no reader can tell them from what was meant);
- in Parquet, a row group that cannot be read is reported row by row and the next one read.

Only problems with the whole file raise :class:`~affectlens.errors.InputError`: not found,
binary (or UTF-16) content, an unreadable CSV header, a missing column.

``Record.error`` is a predicate about the row ("is not valid JSON (…)", "has 3 fields, the
header has 2"). ``Record.line`` is the 1-based physical line where the row starts (txt, jsonl, csv: the
header is line 1) or the 1-based row (parquet). Strings that JSON can carry but Unicode
cannot (an unpaired surrogate such as ``"\\ud800"``) are kept in texts — the analyzer
replaces them, with a warning — and written as ``\\ud800`` in ids and other fields.
"""

from __future__ import annotations

import csv
import itertools
import json
import sys
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from affectlens.errors import InputError, MissingDependencyError
from affectlens.io.files import open_input

__all__ = [
    "AUDIO_SUFFIXES",
    "IMAGE_SUFFIXES",
    "INPUT_FORMATS",
    "MEDIA_SUFFIXES",
    "VIDEO_SUFFIXES",
    "Record",
    "Span",
    "detect_format",
    "line_limit",
    "plan_spans",
    "read_records",
]

INPUT_FORMATS = ("txt", "csv", "jsonl", "parquet")
#: files read as media (affectlens.media), not as rows of text: images and recordings
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".webp", ".bmp", ".gif"})
AUDIO_SUFFIXES = frozenset({".wav", ".flac", ".mp3", ".ogg", ".oga", ".opus", ".m4a", ".aac"})
VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi"})
MEDIA_SUFFIXES = IMAGE_SUFFIXES | AUDIO_SUFFIXES | VIDEO_SUFFIXES
_SUFFIXES = {".txt": "txt", ".text": "txt", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
_PARQUET_BATCH = 1024
_SNIFF = 8192
_BINARY_MAGIC = {  # first bytes -> (what the file is, what to do)
    b"PAR1": ("a Parquet file", "name it .parquet, or pass --input-format parquet"),
    b"PK\x03\x04": ("a zip archive", "unpack it first"),
    b"\x1f\x8b": ("a gzip file", "unpack it first: gunzip FILE"),
    b"\xff\xfe": ("UTF-16 text", "convert it: iconv -f utf-16 -t utf-8 FILE"),
    b"\xfe\xff": ("UTF-16 text", "convert it: iconv -f utf-16 -t utf-8 FILE"),
}
_JSON_TYPES = {list: "array", int: "number", float: "number", bool: "boolean", type(None): "null"}
_ICONV = "convert the file to UTF-8, e.g. iconv -f latin1 -t utf-8 in.txt > out.txt"


def line_limit(max_chars: int) -> int:
    """The longest line (bytes) read for texts of up to ``max_chars`` characters: room for
    each character as a JSON escape, and 1 MiB for the other fields of a row."""
    return max_chars * 8 + (1 << 20)


@dataclass(frozen=True)
class Record:
    """One input row: where it came from, its id and text, or why it cannot be used."""

    line: int  # 1-based physical line where the row starts (txt, jsonl, csv), row (parquet)
    text: str | None
    id: str | None = None
    error: str | None = None
    extra: dict[str, Any] | None = None  # the ``extra`` columns asked for (None where a row lacks one)
    offset: int | None = None  # byte offset of the row's first line (txt, jsonl, csv)


@dataclass(frozen=True)
class Span:
    """A part of a file, for reading it in pieces (the corpus engine's tasks; see :func:`plan_spans`).

    txt, jsonl: ``count`` lines from byte ``start``, the first being line ``first_line``;
    csv: ``count`` records from byte ``start`` (a record's first line), line ``first_line``;
    parquet: ``count`` row groups from row group ``start``, whose first row is row ``first_line``.
    """

    start: int
    first_line: int
    count: int


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
    required: Sequence[str] | Mapping[str, str] = (),
    max_chars: int | None = None,
    span: Span | None = None,
) -> Iterator[Record]:
    """Records of ``path`` (``"-"`` for stdin). ``text_column`` defaults to ``text``;
    ``id_column`` defaults to ``id`` when such a column or field exists. ``extra`` columns
    are carried in :attr:`Record.extra`; a CSV or Parquet file without one of the
    ``required`` ones is refused as a whole (a mapping gives, per column, the option that
    names it, for the hint). Lines longer than :func:`line_limit` of ``max_chars`` (default:
    the analyzers' limit) are bad rows. ``span`` reads only that part of the file (records
    and line numbers as a reading of the whole file would give them)."""
    from affectlens.io.text import DEFAULT_MAX_CHARS

    fmt = detect_format(path, input_format)
    if fmt == "txt" and extra:
        raise InputError(
            f"{_name(path)} is plain text, but this input needs the fields {', '.join(map(repr, extra))}",
            hint="give a CSV, JSONL or Parquet file (or --input-format)",
        )
    if fmt == "txt" and (text_column or id_column):
        raise InputError("--text-column and --id-column do not apply to .txt input (one text per line)")
    columns = _Columns(text_column or "text", id_column, tuple(extra), _options_of(required, text_column, id_column))
    if fmt == "parquet":
        yield from _read_parquet(path, columns, span)
        return
    limit = line_limit(max_chars or DEFAULT_MAX_CHARS)
    stream = _open_binary(path)
    try:
        header = None
        if fmt == "csv" and span is not None and span.start > 0:
            header = _csv_header(_Lines(stream, path, limit), path, columns)
        lines = _Lines(stream, path, limit)
        if span is not None:
            stream.seek(span.start)
            count = span.count if fmt != "csv" else None  # a CSV record may take several lines: counted below
            lines = _Lines(stream, path, limit, start=span.start, first_line=span.first_line, count=count)
        if fmt == "txt":
            for line in lines:
                text = None if line.error else line.text.rstrip("\r\n")
                yield Record(line.number, text, error=line.error, offset=line.offset)
        elif fmt == "jsonl":
            yield from _read_jsonl(lines, columns)
        else:
            records = _read_csv(lines, path, columns, header)
            yield from (itertools.islice(records, span.count) if span is not None else records)
    finally:
        if stream is not _stdin():
            stream.close()


def plan_spans(
    path: str,
    *,
    every: int,
    input_format: str | None = None,
    text_column: str | None = None,
    required: Sequence[str] | Mapping[str, str] = (),
    max_chars: int | None = None,
) -> tuple[list[Span], int]:
    """``path`` cut into spans of about ``every`` rows, and how many rows (lines for txt and
    jsonl, records for csv, rows for parquet) it holds. Reading the spans in order gives
    exactly the records of reading the file whole. txt and jsonl are cut at newlines (a fast
    scan, no parsing); csv is parsed (a record may take several lines); parquet is cut at
    row groups."""
    fmt = detect_format(path, input_format)
    if path == "-":
        raise InputError("a corpus cannot be read from standard input", hint="save it to a file first")
    if fmt == "parquet":
        return _plan_parquet(path, every)
    if fmt == "csv":
        spans: list[Span] = []
        n = 0
        for n, record in enumerate(
            read_records(path, input_format="csv", text_column=text_column, required=required, max_chars=max_chars), start=1
        ):
            if (n - 1) % every == 0:
                assert record.offset is not None
                spans.append(Span(record.offset, record.line, every))
        return _close_last(spans, n, every), n
    import numpy as np

    stream = _open_binary(path)
    try:
        _refuse_binary(stream.peek(_SNIFF)[:_SNIFF], path)  # type: ignore[attr-defined]
        starts, lines, position, last = [0], 0, 0, b"\n"
        for chunk in iter(lambda: stream.read(1 << 22), b""):
            newlines = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10)
            # line number k * every + 1 starts after the (k * every)-th newline
            first = -lines % every or every
            for i in newlines[first - 1 :: every]:
                starts.append(position + int(i) + 1)
            lines += len(newlines)
            position += len(chunk)
            last = chunk[-1:]
    finally:
        stream.close()
    if last != b"\n":
        lines += 1  # a last line without a newline
    if starts[-1] >= position:
        starts.pop()  # the file ends right after a cut
    spans = [Span(start, k * every + 1, every) for k, start in enumerate(starts)]
    return _close_last(spans, lines, every), lines


def _close_last(spans: list[Span], total: int, every: int) -> list[Span]:
    if spans:
        spans[-1] = Span(spans[-1].start, spans[-1].first_line, total - (len(spans) - 1) * every)
    return spans


def _plan_parquet(path: str, every: int) -> tuple[list[Span], int]:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise MissingDependencyError("pyarrow", "parquet", "reading Parquet files") from exc
    try:
        with open_input(path) as stream:
            meta = pq.ParquetFile(stream).metadata
    except Exception as exc:  # pyarrow raises its own types for files that are not Parquet
        raise InputError(f"{_name(path)} is not a readable Parquet file: {exc}") from exc
    spans: list[Span] = []
    row, size, start = 0, 0, 0
    for group in range(meta.num_row_groups):
        if size and size + meta.row_group(group).num_rows > every:
            spans.append(Span(start, row - size + 1, group - start))
            start, size = group, 0
        size += meta.row_group(group).num_rows
        row += meta.row_group(group).num_rows
    if size:
        spans.append(Span(start, row - size + 1, meta.num_row_groups - start))
    return spans, row


@dataclass(frozen=True)
class _Columns:
    text: str
    id: str | None
    extra: tuple[str, ...]
    required: dict[str, str]  # column -> the option that names it


def _options_of(required: Sequence[str] | Mapping[str, str], text: str | None, id_: str | None) -> dict[str, str]:
    named = dict(required) if isinstance(required, Mapping) else dict.fromkeys(required, "")
    named.setdefault(text or "text", "--text-column")
    if id_:
        named.setdefault(id_, "--id-column")
    return named


def _stdin() -> IO[bytes] | None:
    return sys.stdin.buffer if sys.stdin is not None else None


def _open_binary(path: str) -> IO[bytes]:
    if path == "-":
        stream = _stdin()
        if stream is None:
            raise InputError("standard input is closed: there is nothing to read", hint="pass a file with -i FILE")
        return stream
    try:
        return open_input(path)
    except FileNotFoundError as exc:
        raise InputError(f"input file {path!r} not found") from exc
    except IsADirectoryError as exc:
        raise InputError(f"input {path!r} is a directory, not a file") from exc
    except OSError as exc:
        raise InputError(f"cannot read input file {path!r}: {exc.strerror}") from exc


@dataclass(frozen=True)
class _Line:
    number: int
    text: str  # decoded; with U+FFFD where bytes were invalid (``error`` then says so)
    error: str | None = None
    offset: int = 0  # byte offset where the line starts


class _Lines:
    """Physical lines of a byte stream, decoded one by one, each at most ``limit`` bytes.

    A line that is too long is consumed in chunks without being kept; one that is not
    UTF-8 or holds NUL bytes carries an ``error`` (and a replacement-decoded text, so a
    CSV parser still sees its quotes). Whole-file problems (binary content) raise.
    """

    def __init__(
        self, stream: IO[bytes], path: str, limit: int, *, start: int = 0, first_line: int = 1, count: int | None = None
    ) -> None:
        """Lines from byte ``start`` (where the stream is), the first numbered ``first_line``;
        at most ``count`` of them."""
        self.stream, self.path, self.limit = stream, path, limit
        self.number = first_line - 1
        self.offset = start
        self.left = count
        if start == 0:
            head = stream.peek(_SNIFF)[:_SNIFF] if hasattr(stream, "peek") else b""
            _refuse_binary(head, path)

    def __iter__(self) -> Iterator[_Line]:
        return self

    def __next__(self) -> _Line:
        if self.left is not None:
            if self.left <= 0:
                raise StopIteration
            self.left -= 1
        try:
            raw = self.stream.readline(self.limit + 1)
        except OSError as exc:
            raise InputError(f"cannot read {_name(self.path)}: {exc.strerror or exc}") from exc
        if not raw:
            raise StopIteration
        self.number += 1
        offset = self.offset
        self.offset += len(raw)
        if len(raw) > self.limit and not raw.endswith(b"\n"):
            size = len(raw) + self._skip_rest()
            self.offset = offset + size
            return _Line(
                self.number,
                "",
                f"is {size:,} bytes long, over the limit of {self.limit:,} (raise it with --max-chars)",
                offset,
            )
        if offset == 0 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        error = None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            text = raw.decode("utf-8", errors="replace")
            error = f"is not valid UTF-8 (byte {exc.start + 1} is {raw[exc.start : exc.start + 1]!r}); {_ICONV}"
        if "\x00" in text:
            text = text.replace("\x00", "\ufffd")
            error = error or "holds a NUL byte: it looks binary, not text"
        return _Line(self.number, text, error, offset)

    def _skip_rest(self) -> int:
        skipped = 0
        while True:
            chunk = self.stream.readline(1 << 20)
            skipped += len(chunk)
            if not chunk or chunk.endswith(b"\n"):
                return skipped


def _refuse_binary(head: bytes, path: str) -> None:
    for magic, (what, hint) in _BINARY_MAGIC.items():
        if head.startswith(magic):
            raise InputError(f"{_name(path)} is {what}, not UTF-8 text", hint=hint)
    if len(head) >= 256 and head.count(0) * 10 > len(head):  # one NUL in a short file is a bad row, not a binary file
        raise InputError(
            f"{_name(path)} contains NUL bytes: this looks like a binary file, not text",
            hint="give a UTF-8 text, CSV, JSONL or Parquet file",
        )


def _read_jsonl(lines: _Lines, columns: _Columns) -> Iterator[Record]:
    for line in lines:
        n, at = line.number, line.offset
        if line.error:
            yield Record(n, None, error=line.error, offset=at)
            continue
        if not line.text.strip():
            continue
        try:
            value = json.loads(line.text)
        except json.JSONDecodeError as exc:
            yield Record(n, None, error=f"is not valid JSON ({exc.msg} at column {exc.colno})", offset=at)
            continue
        except RecursionError:
            yield Record(n, None, error="is JSON nested too deeply to read", offset=at)
            continue
        if isinstance(value, str):
            yield Record(n, value, offset=at)
            continue
        if not isinstance(value, dict):
            kind = _JSON_TYPES.get(type(value), type(value).__name__)
            yield Record(n, None, error=f"is a JSON {kind}, not an object or a string", offset=at)
            continue
        yield _record(n, value, columns, "field", at)


class _Pushback:
    """Lines with the ability to read some of them again (CSV resynchronisation); keeps the
    lines the current record took, and refuses a record bigger than ``limit`` bytes."""

    def __init__(self, lines: _Lines) -> None:
        self.lines = lines
        self.again: deque[_Line] = deque()
        self.taken: list[_Line] = []
        self.taken_chars = 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = self.again.popleft() if self.again else next(self.lines)
        self.taken.append(line)
        self.taken_chars += len(line.text)
        if self.taken_chars > self.lines.limit:
            raise _RecordTooLong
        return line.text

    def start_record(self) -> None:
        self.taken = []
        self.taken_chars = 0

    def retry_after_first(self) -> None:
        """The current record is bad: read all its lines but the first again."""
        self.again.extendleft(reversed(self.taken[1:]))


class _RecordTooLong(Exception):
    pass


def _csv_header(lines: _Lines, path: str, columns: _Columns) -> list[str] | None:
    """The header of a CSV file (its first record), checked for the columns needed; None if empty."""
    csv.field_size_limit(lines.limit)
    source = _Pushback(lines)
    try:
        header = next(csv.reader(source, strict=True))
    except StopIteration:
        return None
    except (csv.Error, _RecordTooLong) as exc:
        raise InputError(f"{_name(path)} has no readable CSV header: {exc}") from exc
    if source.taken and source.taken[0].error:
        raise InputError(f"the CSV header of {_name(path)} {source.taken[0].error}")
    for column, option in columns.required.items():
        _require_column(column, header, path, option)
    return header


def _read_csv(lines: _Lines, path: str, columns: _Columns, header: list[str] | None = None) -> Iterator[Record]:
    """Records of a CSV file; ``header`` given when ``lines`` start after it (a span)."""
    if header is None:
        header = _csv_header(lines, path, columns)
        if header is None:
            return
    csv.field_size_limit(lines.limit)
    source = _Pushback(lines)
    reader = csv.reader(source, strict=True)
    while True:
        source.start_record()
        try:
            row = next(reader)
            error = None
        except StopIteration:
            return
        except (csv.Error, _RecordTooLong) as exc:
            too_long = isinstance(exc, _RecordTooLong)
            row, error = None, (f"is too long (over {lines.limit:,} characters)" if too_long else f"is not valid CSV ({exc})")
            reader = csv.reader(source, strict=True)  # the old reader is mid-record; start afresh
        taken = source.taken
        if not taken:
            return
        first = taken[0]
        if row is not None and len(row) != len(header) and row != []:
            error = f"has {len(row)} fields, the header has {len(header)}"
        if error is not None:  # the row's structure is broken: a stray quote may have swallowed the rows after it
            yield Record(first.number, None, error=error, offset=first.offset)
            if len(taken) > 1:
                source.retry_after_first()
            continue
        tainted = next((line for line in taken if line.error), None)
        if tainted is not None:  # well formed, but holds bytes that are not text
            error = tainted.error if tainted is first else f"line {tainted.number} of this row {tainted.error}"
            yield Record(first.number, None, error=error, offset=first.offset)
        elif row:
            yield _record(first.number, dict(zip(header, row)), columns, "column", first.offset)


def _read_parquet(path: str, columns: _Columns, span: Span | None = None) -> Iterator[Record]:
    try:
        import pyarrow  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError("pyarrow", "parquet", "reading Parquet files") from exc
    if path == "-":
        raise InputError("Parquet cannot be read from stdin", hint="pass the file path with -i")
    stream = _open_binary(path)
    try:
        yield from _parquet_rows(stream, path, columns, span)
    finally:
        stream.close()


def _parquet_rows(stream: IO[bytes], path: str, columns: _Columns, span: Span | None) -> Iterator[Record]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        file = pq.ParquetFile(stream, page_checksum_verification=True)  # checks pages that carry a checksum
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{_name(path)} is not a readable Parquet file: {exc}") from exc
    names = file.schema_arrow.names
    for column, option in columns.required.items():
        _require_column(column, names, path, option)
    wanted_id = columns.id or ("id" if "id" in names else None)
    wanted = [columns.text] + ([wanted_id] if wanted_id and wanted_id != columns.text else [])
    wanted += [c for c in columns.extra if c in names and c not in wanted]
    resolved = _Columns(columns.text, wanted_id, columns.extra, columns.required)
    groups = range(file.num_row_groups) if span is None else range(span.start, min(span.start + span.count, file.num_row_groups))
    n = 0 if span is None else span.first_line - 1
    for group in groups:
        size = file.metadata.row_group(group).num_rows
        try:
            rows = file.read_row_group(group, columns=wanted).to_pylist()
        except (OSError, pa.ArrowException, UnicodeDecodeError, ValueError) as exc:
            reason = f"is in row group {group + 1}, which cannot be read ({str(exc).splitlines()[0][:200]})"
            for _ in range(size):
                n += 1
                yield Record(n, None, error=reason)
            continue
        for row in rows:
            n += 1
            yield _record(n, row, resolved, "column")


def _printable(value: str) -> str:
    """``value`` with unpaired surrogates written as ``\\udXXX`` (so it can be encoded)."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-8", errors="backslashreplace").decode("utf-8")


def _record(n: int, row: dict[str, Any], columns: _Columns, kind: str, offset: int | None = None) -> Record:
    if columns.text not in row:
        return Record(n, None, error=f"has no {columns.text!r} {kind}", offset=offset)
    text = row[columns.text]
    if text is None:
        text = ""
    if not isinstance(text, str):
        return Record(n, None, error=f"has a {type(text).__name__} in its {columns.text!r} {kind}, not a string", offset=offset)
    key = columns.id or ("id" if "id" in row else None)
    raw_id = row.get(key) if key else None
    kept = None
    if columns.extra:
        kept = {k: _printable(v) if isinstance(v, str) else v for k in columns.extra for v in [row.get(k)]}
    return Record(n, text, None if raw_id is None else _printable(str(raw_id)), extra=kept, offset=offset)


def _require_column(column: str, header: list[str], path: str, option: str = "") -> None:
    if column not in header:
        raise InputError(
            f"{_name(path)} has no column {column!r}; columns: {', '.join(header) or '(none)'}",
            hint=f"name the column with {option}" if option else "check the file's header",
        )


def _name(path: str) -> str:
    return "standard input" if path == "-" else repr(path)
