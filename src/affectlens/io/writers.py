"""Outputs in the formats ``table``, ``json``, ``jsonl``, ``csv``, ``parquet``; none is ever left broken.

JSON and JSONL carry the full :class:`~affectlens.schema.Analysis` (docs/schema.md). CSV and
Parquet are flat: one row per text, one ``score_<label>`` column per label of the taxonomy.

Every file output is committed chunk by chunk (:meth:`Output.commit`), so a run that is
killed can be resumed from its last commit; and the target is not touched until the run
succeeds, so an interrupted or failed run leaves the old file (or none), never a broken
one — and never destroys the results of an earlier run:

- **JSONL and CSV** stream into a file beside the target, ``.NAME.affectlens-partial``
  (follow a long run with ``tail -f`` on it). A commit flushes the rows to disk and returns
  the length; resuming truncates to that length (dropping a row cut in half) and appends.
  On success the file is renamed over the target.
- **JSON and Parquet** cannot be appended to. Committed chunks are part files in a folder
  beside the target (``.NAME.affectlens-parts/``); on success they are joined into a
  temporary file that replaces the target in one rename.
- **Standard output** and special files (``/dev/stdout``, a FIFO) are written straight
  into and cannot be resumed; text shown on a terminal has its control characters made
  visible (:mod:`affectlens.io.terminal`).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import sys
from abc import ABC, abstractmethod
from pathlib import Path
from typing import IO, Any

from affectlens.errors import InputError, MissingDependencyError, OutputError
from affectlens.io.files import atomic_path, atomic_write, is_special, make_folder_for, remove, sync
from affectlens.io.terminal import visible
from affectlens.schema import Analysis

__all__ = [
    "OUTPUT_FORMATS",
    "RESUMABLE_FORMATS",
    "Output",
    "flat_columns",
    "flatten",
    "format_for",
    "open_output",
    "partial_file",
    "parts_folder",
]

OUTPUT_FORMATS = ("table", "json", "jsonl", "csv", "parquet")
RESUMABLE_FORMATS = ("jsonl", "csv", "json", "parquet")
_SUFFIXES = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet", ".txt": "table"}
_PARQUET_ROW_GROUP = 65_536


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


def parts_folder(path: str | Path) -> Path:
    """Where the committed chunks of a JSON or Parquet output wait until the run ends."""
    path = Path(path)
    return path.with_name(f".{path.name}.affectlens-parts")


def partial_file(path: str | Path) -> Path:
    """Where the committed rows of a JSONL or CSV output grow until the run ends."""
    path = Path(path)
    return path.with_name(f".{path.name}.affectlens-partial")


_NUMBER_COLUMNS = ("valence", "arousal", "dominance", "confidence")


def flat_columns(labels: list[str]) -> list[str]:
    """The columns of a flat row (CSV, Parquet), in order."""
    return [
        *("id", "text", "taxonomy", "dominant", "labels", "sentiment"),
        *_NUMBER_COLUMNS,
        *(f"score_{label}" for label in labels),
        *("evidence", "rationale", "warnings", "backend"),
    ]


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


class Output(ABC):
    """Where analyses go. ``write`` takes rows; ``commit`` makes the rows written so far
    durable and returns a marker to resume from; ``finish`` completes the output; ``abandon``
    leaves what was committed (for ``--resume``); ``discard`` removes what this output staged
    (a run that failed before its first commit), never anything else."""

    resumable = False

    @abstractmethod
    def write(self, analyses: list[Analysis]) -> None: ...

    def commit(self) -> dict[str, int]:
        return {}

    @abstractmethod
    def finish(self) -> None: ...

    def abandon(self) -> None:
        return None

    def discard(self) -> None:
        return None


def open_output(
    fmt: str,
    path: str | None,
    *,
    labels: list[str],
    console: Any = None,
    resume_from: dict[str, int] | None = None,
) -> Output:
    """An output of ``fmt`` to ``path`` (None or ``-``: standard output). ``resume_from`` is
    the marker of the last commit of an interrupted run: the output continues from it."""
    to_stdout = path is None or path == "-"
    if fmt == "table":
        return _TableOutput(None if to_stdout else path, console)
    if to_stdout or is_special(path):  # type: ignore[arg-type]
        if fmt == "parquet":
            raise InputError("Parquet output needs a regular file", hint="pass -o FILE.parquet")
        return _StreamOutput(fmt, labels, None if to_stdout else path)
    assert path is not None
    if fmt in ("jsonl", "csv"):
        return _FileOutput(fmt, Path(path), labels, resume_from)
    if fmt == "parquet":
        _require_pyarrow()
    return _PartsOutput(fmt, Path(path), labels, resume_from)


def _jsonl(analyses: list[Analysis]) -> str:
    return "".join(a.model_dump_json() + "\n" for a in analyses)


def _csv(analyses: list[Analysis], labels: list[str], header: bool, clean: Any = None) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # the default dialect: every field with a quote, comma or line break is quoted
    if header:
        writer.writerow(flat_columns(labels))
    for a in analyses:
        values = flatten(a, labels).values()
        writer.writerow([clean(v) if clean and isinstance(v, str) else v for v in values])
    return buffer.getvalue()


class _FileOutput(Output):
    """JSONL or CSV, streamed into the partial file, committed by length, renamed on success."""

    resumable = True

    def __init__(self, fmt: str, path: Path, labels: list[str], resume_from: dict[str, int] | None) -> None:
        self.fmt, self.path, self.labels = fmt, path, labels
        self.partial = partial_file(path)
        make_folder_for(path)
        # a run killed after its final rename but before removing its run folder continues in the target
        grows = self.partial if resume_from is None or self.partial.exists() else path
        try:
            if resume_from is not None:
                self.stream = open(grows, "r+b")  # noqa: SIM115 (closed in finish/abandon)
                self.stream.truncate(resume_from["bytes"])  # drops whatever came after the last commit
                self.stream.seek(resume_from["bytes"])
            else:
                self.stream = open(grows, "wb")  # noqa: SIM115
        except OSError as exc:
            raise OutputError.from_os_error(exc, repr(str(path))) from exc
        self.renamed = grows == path
        self.header_due = fmt == "csv" and self.stream.tell() == 0

    def write(self, analyses: list[Analysis]) -> None:
        if self.fmt == "jsonl":
            text = _jsonl(analyses)
        else:
            text = _csv(analyses, self.labels, self.header_due)
            self.header_due = False
        self._guard(lambda: self.stream.write(text.encode("utf-8")))

    def commit(self) -> dict[str, int]:
        self._guard(lambda: sync(self.stream))
        return {"bytes": self.stream.tell()}

    def finish(self) -> None:
        if self.header_due:  # nothing was written: still a valid CSV with its header
            self.write([])
        self._guard(lambda: sync(self.stream))
        self.stream.close()
        if not self.renamed:
            self._guard(lambda: os.replace(self.partial, self.path))

    def abandon(self) -> None:
        with contextlib.suppress(OSError):  # a disk that is full stays full; what was committed is on it
            self.stream.close()

    def discard(self) -> None:
        self.abandon()
        if not self.renamed:
            remove(self.partial)

    def _guard(self, action: Any) -> None:
        try:
            action()
        except OSError as exc:
            raise OutputError.from_os_error(exc, repr(str(self.path))) from exc


class _PartsOutput(Output):
    """JSON or Parquet: committed chunks are part files; joined into the target on success."""

    resumable = True

    def __init__(self, fmt: str, path: Path, labels: list[str], resume_from: dict[str, int] | None) -> None:
        self.fmt, self.path, self.labels = fmt, path, labels
        self.folder = parts_folder(path)
        self.pending: list[Analysis] = []
        if resume_from is None and self.folder.exists():
            shutil.rmtree(self.folder)
        self.parts = resume_from["parts"] if resume_from else 0
        self.items = resume_from.get("rows", 0) if resume_from else 0
        for stale in self.folder.glob("part-*") if self.folder.exists() else []:
            if _part_number(stale) >= self.parts:  # written after the last commit
                remove(stale)

    def _part(self, n: int) -> Path:
        return self.folder / f"part-{n:06d}.{'parquet' if self.fmt == 'parquet' else 'json'}"

    def write(self, analyses: list[Analysis]) -> None:
        self.pending.extend(analyses)

    def commit(self) -> dict[str, int]:
        if self.pending:
            rows, self.pending = self.pending, []
            atomic_write(self._part(self.parts), lambda stream: self._write_part(stream, rows))
            self.parts += 1
            self.items += len(rows)
        return {"parts": self.parts, "rows": self.items}

    def _write_part(self, stream: IO[bytes], rows: list[Analysis]) -> None:
        if self.fmt == "parquet":
            import pyarrow.parquet as pq

            pq.write_table(_arrow_table(rows, self.labels), stream, write_page_checksum=True)
            return
        first = self.items == 0
        for a in rows:  # the JSON array's items, as they will appear in the final file
            stream.write((("\n" if first else ",\n") + a.model_dump_json(indent=2)).encode("utf-8"))
            first = False

    def finish(self) -> None:
        self.commit()
        parts = [self._part(n) for n in range(self.parts)]
        with atomic_path(self.path) as tmp:
            try:
                if self.fmt == "parquet":
                    _join_parquet(parts, tmp, self.labels)
                else:
                    with open(tmp, "wb") as out:
                        out.write(b"[")
                        for part in parts:
                            with open(part, "rb") as f:
                                shutil.copyfileobj(f, out)
                        out.write(b"\n]\n" if parts else b"]\n")
                        sync(out)
            except OSError as exc:
                raise OutputError.from_os_error(exc, repr(str(self.path))) from exc
        shutil.rmtree(self.folder, ignore_errors=True)

    def abandon(self) -> None:
        self.pending = []  # what was committed stays in the parts folder for --resume

    def discard(self) -> None:
        self.abandon()
        shutil.rmtree(self.folder, ignore_errors=True)


def _part_number(path: Path) -> int:
    try:
        return int(path.name.split("-")[1].split(".")[0])
    except (IndexError, ValueError):
        return 1 << 30  # not one of ours: removed as stale


class _StreamOutput(Output):
    """JSONL, CSV or JSON streamed to standard output or a special file (a device, a FIFO);
    a terminal sees control codes as symbols."""

    def __init__(self, fmt: str, labels: list[str], path: str | None = None) -> None:
        self.fmt, self.labels, self.path = fmt, labels, path
        try:
            self.stream = sys.stdout if path is None else open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as exc:
            raise OutputError.from_os_error(exc, repr(path)) from exc
        self.clean = visible if _is_terminal(self.stream) else None
        self.first = True
        if fmt == "json":
            self._emit("[")

    def _emit(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            if self.path is None:
                raise  # standard output: the CLI tells a closed pipe from a full disk
            raise OutputError.from_os_error(exc, repr(self.path)) from exc

    def write(self, analyses: list[Analysis]) -> None:
        if self.fmt == "csv":
            self._emit(_csv(analyses, self.labels, self.first, self.clean))
            self.first = False
            return
        if self.fmt == "jsonl":
            text = _jsonl(analyses)
        else:
            items = []
            for a in analyses:
                items.append(("\n" if self.first else ",\n") + a.model_dump_json(indent=2))
                self.first = False
            text = "".join(items)
        self._emit(self.clean(text) if self.clean else text)

    def finish(self) -> None:
        if self.fmt == "json":
            self._emit("]\n" if self.first else "\n]\n")
        elif self.fmt == "csv" and self.first:
            self.write([])
        if self.path is not None:
            self.stream.close()

    def abandon(self) -> None:
        if self.path is not None:
            with contextlib.suppress(OSError):
                self.stream.close()


class _TableOutput(Output):
    """A table for people; rows are collected and printed (or written atomically) at the end."""

    def __init__(self, path: str | None, console: Any) -> None:
        self.path = path
        self.console = console
        self.rows: list[Analysis] = []

    def write(self, analyses: list[Analysis]) -> None:
        self.rows.extend(analyses)

    def finish(self) -> None:
        from rich.console import Console

        if self.path is None:
            self._print(self.console or Console())
            return

        def write(stream: IO[bytes]) -> None:
            text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
            self._print(Console(file=text, width=140, emoji=False))
            text.flush()
            text.detach()

        atomic_write(self.path, write)

    def _print(self, console: Any) -> None:
        from affectlens.io.table import analyses_table
        from affectlens.io.terminal import safe

        if self.rows:
            console.print(analyses_table(self.rows))
        for n, a in enumerate(self.rows, start=1):
            for warning in a.warnings:
                console.print(f"[yellow]warning[/] ({safe(a.id or str(n))}): {safe(warning)}", highlight=False)


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _require_pyarrow() -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError("pyarrow", "parquet", "writing Parquet files") from exc


def _arrow_schema(labels: list[str]) -> Any:
    import pyarrow as pa

    numbers = {*_NUMBER_COLUMNS, *(f"score_{label}" for label in labels)}
    return pa.schema([(c, pa.float64() if c in numbers else pa.string()) for c in flat_columns(labels)])


def _arrow_table(rows: list[Analysis], labels: list[str]) -> Any:
    import pyarrow as pa

    return pa.Table.from_pylist([flatten(a, labels) for a in rows], schema=_arrow_schema(labels))


def _join_parquet(parts: list[Path], target: Path, labels: list[str]) -> None:
    """One Parquet file of ``parts``, in order, in row groups of up to 65,536 rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _arrow_schema(labels)
    with pq.ParquetWriter(target, schema, write_page_checksum=True) as writer:
        pending: list[Any] = []
        size = 0
        for part in parts:
            table = pq.read_table(part, schema=schema)
            pending.append(table)
            size += table.num_rows
            if size >= _PARQUET_ROW_GROUP:
                writer.write_table(pa.concat_tables(pending), row_group_size=_PARQUET_ROW_GROUP)
                pending, size = [], 0
        if pending or not parts:
            writer.write_table(pa.concat_tables(pending) if pending else schema.empty_table())
