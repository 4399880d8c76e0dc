"""Running one task — the same code in every engine (this process, a worker process, a Ray actor).

A :class:`TaskRunner` is built once per worker: it builds the run's work (which loads its
models). For each task it reads the task's rows (a span of a planned source, or the rows a
streamed input handed over), sets the bad ones aside (unreadable, no text, over the length
limit: :mod:`affectlens.io.text`), deduplicates the rest by content
(:meth:`~affectlens.runs.works.Work.key`), lets the work process the new ones, and then:

- for a **run folder**, writes the task's bad rows and then its part, each atomically (the
  part marks the task done), and hands back the counts;
- for a **file or stream**, hands back the results and the bad rows; the driver writes them
  in input order and commits.
"""

from __future__ import annotations

import json
import pickle
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from affectlens.errors import InputError
from affectlens.io.files import atomic_write
from affectlens.io.readers import Record
from affectlens.runs.manifest import RunFolder, Task
from affectlens.runs.sources import Source
from affectlens.runs.spec import RunSpec
from affectlens.runs.works import BadRow

__all__ = ["DEDUP_CACHE", "STATS_KEY", "TaskResult", "TaskRunner"]

STATS_KEY = b"affectlens.task"  # Parquet key-value metadata of a part: its TaskResult
DEDUP_CACHE = 20_000  # distinct keys a worker remembers
_EXAMPLES = 5  # bad rows kept in a folder task's result (all are in its bad file)


@dataclass
class TaskResult:
    task: int
    rows: int = 0  # records read
    analysed: int = 0
    bad: int = 0
    reused: int = 0
    without_time: int = 0
    bad_rows: list[dict[str, Any]] = field(default_factory=list)  # {source, file, line, reason}
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)  # the work's own counters
    backend_id: str | None = None
    results: list[Any] | None = None  # file and stream sinks: one per good row, in order

    def stats_json(self) -> str:
        """The counts, as kept in a part's metadata (no results)."""
        data = {k: v for k, v in self.__dict__.items() if k != "results"}
        return json.dumps(data)

    @classmethod
    def from_stats(cls, text: str | bytes) -> TaskResult:
        return cls(**json.loads(text))


@dataclass
class TaskInput:
    """What an engine hands a runner: a planned task, or a streamed task with its rows."""

    task: Task
    records: list[Record] | None = None


class TaskRunner:
    """Runs the tasks of one run; build it once per worker."""

    def __init__(self, spec: RunSpec, sources: list[Source], folder: str | Path | None, *, threads: int | None = None) -> None:
        from affectlens.runs.works import works

        if spec.input.roots is not None:
            from affectlens.io.files import confine

            confine(spec.readable_roots())
        self.spec = spec
        self.sources = sources
        self.folder = RunFolder(folder) if folder is not None else None
        self.work = works.get(spec.work.name)(spec, Path(folder) if folder is not None else None, threads=threads)
        self.cache: OrderedDict[str, bytes] = OrderedDict()

    def __call__(self, item: TaskInput) -> TaskResult:
        started = time.perf_counter()
        task, spec = item.task, self.spec
        source = self.sources[task.source] if self.sources else None
        records = item.records if item.records is not None else self.work.read(source, task)  # type: ignore[arg-type]
        result = TaskResult(task.index)
        good: list[Record] = []
        bad: list[dict[str, Any]] = []
        for record in records:
            result.rows += 1
            if item.records is not None:
                record = self.work.check_record(record)
            if record.error is None:
                good.append(record)
                continue
            row = {"source": task.source, "file": source.path if source else "-", "line": record.line, "reason": record.error}
            if spec.strict:
                raise InputError(f"row {record.line} {record.error}", hint="drop --strict to skip bad rows and carry on")
            bad.append(row)
        results = self._results(good, result)
        if any(isinstance(r, BadRow) for r in results):
            good, results = self._set_aside(task, source, good, results, bad)
        self.work.count(good, results, result)
        result.analysed, result.bad = len(good), len(bad)
        result.backend_id = self.work.backend_id
        if self.folder is not None and spec.sink.kind == "folder":
            result.bad_rows = bad[:_EXAMPLES]
            table = self.work.table(task, good, results)
            result.seconds = round(time.perf_counter() - started, 3)
            self._write(task, table, bad, result)
        else:
            result.bad_rows, result.results = bad, results
            result.seconds = round(time.perf_counter() - started, 3)
        return result

    def _set_aside(
        self, task: Task, source: Source | None, good: list[Record], results: list[Any], bad: list[dict[str, Any]]
    ) -> tuple[list[Record], list[Any]]:
        """The rows the work found bad while processing them join the bad rows (in line order)."""
        kept: list[Record] = []
        out: list[Any] = []
        for record, found in zip(good, results):
            if not isinstance(found, BadRow):
                kept.append(record)
                out.append(found)
                continue
            if self.spec.strict:
                raise InputError(f"row {record.line} {found.reason}", hint="drop --strict to skip bad rows and carry on")
            file = source.path if source else "-"
            bad.append({"source": task.source, "file": file, "line": record.line, "reason": found.reason})
        bad.sort(key=lambda row: row["line"])
        return kept, out

    def _results(self, records: list[Record], result: TaskResult) -> list[Any]:
        """Each record's result; each distinct key processed once (``result.reused`` counts the rest)."""
        keys = [self.work.key(r) for r in records]
        known = {k: pickle.loads(self.cache[k]) for k in set(keys) if k is not None and k in self.cache}
        todo: dict[str | int, Record] = {}
        for n, (key, record) in enumerate(zip(keys, records)):
            if key is None:
                todo[n] = record
            elif key not in known and key not in todo:
                todo[key] = record
        fresh = dict(zip(todo, self.work.process(list(todo.values()), result) if todo else []))
        out = []
        for n, (key, record) in enumerate(zip(keys, records)):
            if key is None:
                out.append(fresh[n])
                continue
            found = known[key] if key in known else fresh[key]
            out.append(self.work.reuse(found, record))
        for key in dict.fromkeys(k for k in keys if k is not None):
            if key not in self.cache:
                self.cache[key] = pickle.dumps(fresh[key] if key in fresh else known[key])
            self.cache.move_to_end(key)
        while len(self.cache) > DEDUP_CACHE:
            self.cache.popitem(last=False)
        result.reused += len(records) - len(fresh)
        return out

    def _write(self, task: Task, table: Any, bad: list[dict[str, Any]], result: TaskResult) -> None:
        import pyarrow.parquet as pq

        folder = self.folder
        assert folder is not None
        folder.parts.mkdir(parents=True, exist_ok=True)
        if bad:  # first: the part that marks the task done comes last
            folder.bad.mkdir(parents=True, exist_ok=True)
            body = "".join(json.dumps(b, ensure_ascii=False) + "\n" for b in bad).encode("utf-8")
            atomic_write(folder.bad_file(task.index), lambda f: f.write(body))
        table = table.replace_schema_metadata({STATS_KEY: result.stats_json().encode("utf-8")})
        atomic_write(folder.part(task.index), lambda f: pq.write_table(table, f, compression="zstd", write_page_checksum=True))
