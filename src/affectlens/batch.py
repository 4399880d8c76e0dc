"""One function runs a batch: read records, analyse them in chunks, commit each chunk.

:func:`run_batch` is what ``affectlens analyze`` calls (and what the corpus engine and the
service build on). It streams: a chunk is read, analysed, written and committed, then the
next; memory does not grow with the input. Rows that cannot be analysed (malformed, no
text, over the length limit) are reported through ``on_bad_row`` and skipped; the rest
carry on (with ``strict=True`` the first bad row stops the run with an
:class:`~affectlens.errors.InputError`).

**Nothing is lost, nothing is repeated.** A file output is committed after every chunk and
a checkpoint records how far the input was read (:mod:`affectlens.checkpoint`). A run that
is interrupted — an error, Ctrl-C, SIGTERM, ``kill -9``, a power cut — can be continued
with ``resume=True`` (``--resume``): the rows after the last commit are dropped from the
output and done again, so the output ends with each input row exactly once. A run that
fails before its first commit leaves no output file behind.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from affectlens.analyzers.base import AnalyzeOptions, Analyzer
from affectlens.checkpoint import Checkpoint, checkpoint_path, discard, fingerprint
from affectlens.errors import InputError
from affectlens.io.files import is_special, same_file
from affectlens.io.readers import Record, count_records, read_records
from affectlens.io.writers import RESUMABLE_FORMATS, Output, format_for, open_output, partial_file, parts_folder

__all__ = ["BadRow", "BatchJob", "BatchSummary", "analyze_records", "run_batch"]


@dataclass(frozen=True)
class BadRow:
    """A row that was not analysed: where it starts, and a predicate saying why ("is not valid JSON")."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"row {self.line} {self.reason}"


@dataclass(frozen=True)
class BatchJob:
    """One batch run: where the texts come from, what to compute, where results go."""

    input: str | None = None  # a file, or "-" for stdin; or give ``texts``
    texts: Sequence[str] | None = None
    input_format: str | None = None
    text_column: str | None = None
    id_column: str | None = None
    output: str | None = None  # a file; None or "-" for standard output
    format: str | None = None  # default: from the output's suffix, else "table"
    options: AnalyzeOptions = field(default_factory=AnalyzeOptions)
    backend: str = "embedded"
    backend_settings: dict[str, Any] = field(default_factory=dict)
    batch_size: int = 256
    strict: bool = False
    resume: bool = False

    @property
    def to_file(self) -> bool:
        return self.output not in (None, "-")


@dataclass
class BatchSummary:
    analysed: int = 0
    bad_rows: list[BadRow] = field(default_factory=list)
    seconds: float = 0.0
    resumed_at: int | None = None  # input records done before this run, when it resumed
    analysed_before: int = 0
    bad_before: int = 0
    analyzer: Analyzer | None = None  # the analyzer that ran (its usage, for LLM backends)

    @property
    def total_analysed(self) -> int:
        return self.analysed_before + self.analysed

    @property
    def total_bad(self) -> int:
        return self.bad_before + len(self.bad_rows)


def analyze_records(
    records: Iterable[Record],
    analyzer: Analyzer,
    output: Output,
    *,
    options: AnalyzeOptions,
    chunk_size: int = 256,
    strict: bool = False,
    on_bad_row: Callable[[BadRow], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
    on_commit: Callable[[int, dict[str, int], BatchSummary], None] | None = None,
) -> BatchSummary:
    """Analyse ``records`` with ``analyzer`` and write them to ``output``, committing every
    ``chunk_size`` records; ``on_commit(records_consumed, marker, summary)`` follows each commit."""
    summary = BatchSummary()
    started = time.perf_counter()
    texts: list[str] = []
    ids: list[str | None] = []
    consumed = 0
    pending = 0  # records consumed since the last commit

    def flush() -> None:
        nonlocal pending
        if texts:
            output.write(analyzer.analyze_batch(texts, ids=ids, options=options))
            summary.analysed += len(texts)
        marker = output.commit()
        if on_commit:
            on_commit(consumed, marker, summary)
        if on_progress:
            on_progress(pending)
        texts.clear()
        ids.clear()
        pending = 0

    for record in records:
        consumed += 1
        pending += 1
        reason = record.error
        size = len(record.text or "")
        if reason is None and size > options.max_chars:
            reason = f"has {size:,} characters, over the limit of {options.max_chars:,} (raise it with --max-chars)"
        if reason is not None:
            bad = BadRow(record.line, reason)
            if strict:
                raise InputError(str(bad), hint="drop --strict to skip bad rows and carry on")
            summary.bad_rows.append(bad)
            if on_bad_row:
                on_bad_row(bad)
        else:
            assert record.text is not None
            texts.append(record.text)
            ids.append(record.id)
        if pending >= chunk_size:
            flush()
    if pending:
        flush()
    summary.seconds = time.perf_counter() - started
    return summary


def run_batch(
    job: BatchJob,
    *,
    console: Any = None,
    on_bad_row: Callable[[BadRow], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
    on_total: Callable[[int | None], None] | None = None,
    on_note: Callable[[str], None] | None = None,
) -> BatchSummary:
    """Run ``job`` (see the module docstring); returns what was done.

    ``on_total(n)`` is called once the number of records left is known (None: unknown);
    ``on_note(message)`` for what the user should know about the run itself (a resume).
    """
    from affectlens.api import get_analyzer
    from affectlens.taxonomy import load_taxonomy

    fmt = format_for(job.output, job.format)
    _check_job(job, fmt)
    records = _records(job)
    first = next(records, None)  # file-level problems surface here, before any output is opened
    if first is None:
        raise InputError(f"no texts in {job.input!r}" if job.input else "nothing to analyse")
    records = itertools.chain([first], records)
    analyzer = get_analyzer(job.backend, **job.backend_settings)
    labels = load_taxonomy(job.options.taxonomy).names
    tracked = job.to_file and fmt in RESUMABLE_FORMATS and job.input not in (None, "-") and not is_special(job.output)  # type: ignore[arg-type]
    assert job.output is not None or not tracked
    checkpoint: Checkpoint | None = None
    resumed: Checkpoint | None = None
    if tracked:
        assert job.input is not None and job.output is not None
        target = Path(job.output)
        settings = _settings(job, fmt, analyzer)
        source = fingerprint(job.input)
        if job.resume:
            resumed = Checkpoint.load(checkpoint_path(target))
            if resumed is not None:
                resumed.check_same_run(source, settings)
                _check_output_state(target, fmt, resumed)
            elif target.exists():
                raise InputError(
                    f"{job.output!r} exists and no interrupted run is recorded for it (the run that wrote it finished)",
                    hint="drop --resume to write it again, or choose another -o",
                )
        elif checkpoint_path(target).exists() and on_note:
            on_note(f"an interrupted run of {job.output!r} was found; starting afresh (--resume would have continued it)")
        checkpoint = resumed or Checkpoint(input=source, settings=settings)
    summary_before = BatchSummary()
    if resumed is not None:
        summary_before = BatchSummary(resumed_at=resumed.position, analysed_before=resumed.analysed, bad_before=resumed.bad_rows)
        records = itertools.islice(records, resumed.position, None)
        if on_note:
            on_note(
                f"resuming {job.output!r}: {resumed.position:,} rows were done "
                f"({resumed.analysed:,} analysed, {resumed.bad_rows:,} bad); continuing after them"
            )
    if on_total:
        total = count_records(job.input, input_format=job.input_format) if job.input else len(job.texts or [])
        on_total(None if total is None else max(total - (resumed.position if resumed else 0), 0))

    output = open_output(fmt, job.output, labels=labels, console=console, resume_from=resumed.output if resumed else None)
    base = summary_before.resumed_at or 0  # input records done before this run (the checkpoint moves on)

    def commit(consumed: int, marker: dict[str, int], summary: BatchSummary) -> None:
        if checkpoint is None:
            return
        checkpoint.output = marker
        checkpoint.analysed = summary_before.analysed_before + summary.analysed
        for bad in summary.bad_rows[checkpoint.bad_rows - summary_before.bad_before :]:
            checkpoint.add_bad(bad.line, bad.reason)
        checkpoint.position = base + consumed
        assert job.output is not None
        checkpoint.save(checkpoint_path(job.output))

    try:
        summary = analyze_records(
            records,
            analyzer,
            output,
            options=job.options,
            chunk_size=job.batch_size,
            strict=job.strict,
            on_bad_row=on_bad_row,
            on_progress=on_progress,
            on_commit=commit,
        )
        output.finish()
    except BaseException:
        if tracked and resumed is None and (checkpoint is None or checkpoint.position == 0):
            output.discard()  # nothing was committed: leave nothing behind
        else:
            output.abandon()
        raise
    if tracked:
        assert job.output is not None
        discard(job.output)
    summary.analyzer = analyzer
    summary.resumed_at = summary_before.resumed_at
    summary.analysed_before = summary_before.analysed_before
    summary.bad_before = summary_before.bad_before
    return summary


def _records(job: BatchJob) -> Iterator[Record]:
    if job.input is not None:
        return read_records(
            job.input,
            input_format=job.input_format,
            text_column=job.text_column,
            id_column=job.id_column,
            max_chars=job.options.max_chars,
        )
    return iter([Record(n, text) for n, text in enumerate(job.texts or [], start=1)])


def _check_job(job: BatchJob, fmt: str) -> None:
    if job.input is not None and job.texts:
        raise InputError("give texts or an input file, not both")
    if job.input is None and not job.texts:
        raise InputError("nothing to analyse", hint='pass texts (affectlens analyze "I love it") or a file (-i texts.txt)')
    if job.to_file and job.input not in (None, "-") and Path(job.output).exists() and same_file(job.input, job.output):  # type: ignore
        raise InputError(
            f"the output {job.output!r} is the input file: writing it would destroy the texts being read",
            hint="choose another file with -o",
        )
    if job.resume:
        if not job.to_file:
            raise InputError("--resume needs an output file", hint="pass -o FILE (.jsonl, .csv, .json or .parquet)")
        if fmt not in RESUMABLE_FORMATS:
            raise InputError(f"a {fmt} output cannot be resumed", hint=f"write {', '.join(RESUMABLE_FORMATS)} with -o")
        if job.input in (None, "-"):
            raise InputError(
                "--resume needs an input file: standard input cannot be checked to be the same as before",
                hint="save the texts to a file and pass it with -i",
            )


def _settings(job: BatchJob, fmt: str, analyzer: Analyzer) -> dict[str, Any]:
    """What changes the rows of the output (the chunk size does not)."""
    return {
        "backend": analyzer.backend_id,
        "options": job.options.model_dump(mode="json"),
        "input_format": job.input_format,
        "text_column": job.text_column,
        "id_column": job.id_column,
        "format": fmt,
    }


def _check_output_state(target: Path, fmt: str, checkpoint: Checkpoint) -> None:
    marker = checkpoint.output
    if fmt in ("jsonl", "csv"):
        committed = marker.get("bytes", 0)
        grows = partial_file(target) if partial_file(target).exists() else target
        size = grows.stat().st_size if grows.exists() else -1
        if size < committed:
            raise InputError(
                f"{str(target)!r} is shorter than when the run was interrupted ({size:,} bytes, {committed:,} committed)",
                hint="it was changed since; drop --resume to start afresh",
            )
    else:
        missing = [n for n in range(marker.get("parts", 0)) if not any(parts_folder(target).glob(f"part-{n:06d}.*"))]
        if missing:
            raise InputError(
                f"{len(missing)} committed part(s) of {str(target)!r} are missing from {str(parts_folder(target))!r}",
                hint="drop --resume to start afresh",
            )
