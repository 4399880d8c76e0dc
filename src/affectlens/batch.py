"""Streaming batch analysis: read records, analyse them in chunks, write as you go.

Rows that cannot be analysed (malformed, no text, over the length limit) are reported
through ``on_bad_row`` and skipped; the rest carry on. With ``strict=True`` the first bad
row stops the run with an :class:`~affectlens.errors.InputError`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from affectlens.analyzers.base import AnalyzeOptions, Analyzer, check_text
from affectlens.errors import InputError
from affectlens.io.readers import Record
from affectlens.io.writers import Writer

__all__ = ["BadRow", "BatchSummary", "analyze_records"]


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


@dataclass
class BatchSummary:
    analysed: int = 0
    bad_rows: list[BadRow] = field(default_factory=list)
    seconds: float = 0.0


def analyze_records(
    records: Iterable[Record],
    analyzer: Analyzer,
    writer: Writer,
    *,
    options: AnalyzeOptions,
    chunk_size: int = 256,
    strict: bool = False,
    on_bad_row: Callable[[BadRow], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> BatchSummary:
    """Analyse ``records`` with ``analyzer`` and write every chunk to ``writer``."""
    summary = BatchSummary()
    started = time.perf_counter()
    texts: list[str] = []
    ids: list[str | None] = []

    def flush() -> None:
        if texts:
            writer.write(analyzer.analyze_batch(texts, ids=ids, options=options))
            summary.analysed += len(texts)
            if on_progress:
                on_progress(len(texts))
            texts.clear()
            ids.clear()

    for record in records:
        reason = record.error
        if reason is None:
            try:
                check_text(record.text, max_chars=options.max_chars, where="the text")
            except InputError as exc:
                reason = str(exc)
        if reason is not None:
            bad = BadRow(record.line, reason)
            if strict:
                raise InputError(f"row {bad.line}: {bad.reason}", hint="drop --strict to skip bad rows and carry on")
            summary.bad_rows.append(bad)
            if on_bad_row:
                on_bad_row(bad)
            if on_progress:
                on_progress(1)
            continue
        assert record.text is not None
        texts.append(record.text)
        ids.append(record.id)
        if len(texts) >= chunk_size:
            flush()
    flush()
    summary.seconds = time.perf_counter() - started
    return summary
