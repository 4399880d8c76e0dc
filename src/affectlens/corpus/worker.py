"""Running one task: read a span of an input, do the run's work on its rows, write its part —
the same code in every engine (in this process, or on a Ray worker that rebuilt the work
from its name and settings).

The work is what a row becomes. ``emotions`` (:class:`EmotionWork`, ``corpus analyze``): an
analysis per text. Identical texts are analysed once: within a task they are analysed
together, across tasks a bounded cache (the last ``dedup_cache`` distinct texts of this
worker) gives back the result of a text seen before. Results do not depend on the batch, so
a reused result is the result. Other work (``polarization``: a reply's stance, agreement and
affect) plugs in through :data:`WORKS` with the same reading, bad-row and commit rules.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Protocol

from affectlens.analyzers.base import AnalyzeOptions
from affectlens.corpus.manifest import RunDir, Task
from affectlens.corpus.rows import Row, parse_time, part_table
from affectlens.corpus.sources import Source
from affectlens.io.files import atomic_write
from affectlens.io.readers import Record, read_records
from affectlens.schema import Analysis

__all__ = ["WORKS", "EmotionWork", "RunSpec", "TaskResult", "TaskRunner", "Work"]

STATS_KEY = b"affectlens.task"  # Parquet key-value metadata of a part: its TaskResult


@dataclass(frozen=True)
class RunSpec:
    """Everything a worker needs to run tasks (plain data: it travels to Ray workers)."""

    run_dir: str
    inputs: list[Source]
    text_column: str | None
    id_column: str | None
    time_column: str | None
    group_columns: tuple[str, ...]
    backend: str
    backend_settings: dict[str, Any]
    options: dict[str, Any]
    labels: list[str]
    dedup_cache: int = 20_000
    work: str = "emotions"
    work_settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class TaskResult:
    task: int
    planned: int = 0  # input rows (lines, records) the task's span covers
    rows: int = 0  # records read
    analysed: int = 0
    bad: int = 0
    reused: int = 0
    without_time: int = 0
    bad_examples: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)  # the work's own counters

    def to_json(self) -> str:
        return json.dumps(self.__dict__)

    @classmethod
    def from_json(cls, text: str | bytes) -> TaskResult:
        return cls(**json.loads(text))


class Work(Protocol):
    """What a task does with its good rows: a Parquet table, one row per record, in order."""

    columns: tuple[str, ...]  # input columns besides the text and id
    required: dict[str, str]  # column -> the option that named it (a missing one is an input error)

    def table(self, task: Task, records: list[Record], result: TaskResult) -> Any: ...


#: work name -> "module:class"; the class is built with the run's :class:`RunSpec`
WORKS = {
    "emotions": "affectlens.corpus.worker:EmotionWork",
    "polarization": "affectlens.polarization.annotate:PostWork",
}


def make_work(spec: RunSpec) -> Work:
    module, name = WORKS[spec.work].split(":")
    return getattr(importlib.import_module(module), name)(spec)  # type: ignore[no-any-return]


class EmotionWork:
    """``corpus analyze``: each text's analysis, with its time and groups (:mod:`affectlens.corpus.rows`)."""

    def __init__(self, spec: RunSpec) -> None:
        from affectlens.api import get_analyzer

        self.spec = spec
        self.analyzer = get_analyzer(spec.backend, **spec.backend_settings)
        self.options = AnalyzeOptions(**spec.options)
        self.columns = tuple(c for c in (spec.time_column, *spec.group_columns) if c)
        self.required = {c: "--time-column" if c == spec.time_column else "--group-column" for c in self.columns}
        self.cache: OrderedDict[str, bytes] = OrderedDict()  # compact JSON: ~1.5 KB a text, not ~8 KB of objects

    def table(self, task: Task, records: list[Record], result: TaskResult) -> Any:
        spec = self.spec
        analyses = self._analyse([r.text or "" for r in records], result)
        rows = []
        for record, analysis in zip(records, analyses):
            values = record.extra or {}
            moment = parse_time(values.get(spec.time_column)) if spec.time_column else None
            if spec.time_column and moment is None:
                result.without_time += 1
            groups = {g: None if values.get(g) is None else str(values.get(g)) for g in spec.group_columns}
            rows.append(Row(task.source, record.line, analysis.model_copy(update={"id": record.id}), moment, groups))
        return part_table(rows, spec.labels, spec.group_columns, self.options.explain)

    def _analyse(self, texts: list[str], result: TaskResult) -> list[Analysis]:
        """Each text's analysis; each distinct text analysed once (``result.reused`` counts the rest)."""
        keys = [hashlib.blake2b(t.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest() for t in texts]
        known = {k: Analysis.model_validate_json(self.cache[k]) for k in set(keys) if k in self.cache}
        todo = {k: t for k, t in zip(keys, texts) if k not in known}
        fresh = dict(zip(todo, self.analyzer.analyze_batch(list(todo.values()), options=self.options) if todo else []))
        for key in dict.fromkeys(keys):
            self.cache[key] = self.cache[key] if key in known else fresh[key].model_dump_json().encode("utf-8")
            self.cache.move_to_end(key)
        while len(self.cache) > self.spec.dedup_cache:
            self.cache.popitem(last=False)
        result.reused += len(keys) - len(fresh)
        return [fresh[key] if key in fresh else known[key] for key in keys]


class TaskRunner:
    """Runs tasks of one run; build it once per worker (it loads the work's models)."""

    def __init__(self, spec: RunSpec) -> None:
        self.spec = spec
        self.work = make_work(spec)
        self.max_chars = int(spec.options.get("max_chars") or AnalyzeOptions().max_chars)
        self.run_dir = RunDir(spec.run_dir)

    def __call__(self, task: Task) -> TaskResult:
        started = time.perf_counter()
        spec, source = self.spec, self.spec.inputs[task.source]
        records = read_records(
            source.path,
            input_format=source.format,
            text_column=spec.text_column,
            id_column=spec.id_column,
            extra=self.work.columns,
            required=self.work.required,
            max_chars=self.max_chars,
            span=task.span,
        )
        result = TaskResult(task.index, planned=task.count)
        good, bad = [], []
        for record in records:
            result.rows += 1
            reason = record.error
            if reason is None and len(record.text or "") > self.max_chars:
                reason = f"has {len(record.text or ''):,} characters, over the limit of {self.max_chars:,}"
            if reason is not None:
                bad.append({"source": task.source, "file": source.path, "line": record.line, "reason": reason})
            else:
                good.append(record)
        table = self.work.table(task, good, result)
        result.analysed, result.bad = len(good), len(bad)
        result.bad_examples = bad[:5]
        result.seconds = round(time.perf_counter() - started, 3)
        self._write(task, table, bad, result)
        return result

    def _write(self, task: Task, table: Any, bad: list[dict[str, Any]], result: TaskResult) -> None:
        import pyarrow.parquet as pq

        self.run_dir.parts.mkdir(parents=True, exist_ok=True)
        if bad:  # first: the part that marks the task done comes last
            self.run_dir.bad.mkdir(parents=True, exist_ok=True)
            body = "".join(json.dumps(b, ensure_ascii=False) + "\n" for b in bad).encode("utf-8")
            atomic_write(self.run_dir.bad_file(task.index), lambda f: f.write(body))
        table = table.replace_schema_metadata({STATS_KEY: result.to_json().encode("utf-8")})
        atomic_write(
            self.run_dir.part(task.index),
            lambda f: pq.write_table(table, f, compression="zstd", write_page_checksum=True),
        )
