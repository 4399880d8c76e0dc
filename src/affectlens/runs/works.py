"""Works: what a row of a run becomes, found by name (``emotions``, ``conversations``, ``polarization``).

A work is built once per worker (it loads its models) from the run's spec and folder, and
runs the good rows of each task: :meth:`Work.process` gives one result per row, in order.
The run does everything else the same way for every work — reading spans, bad rows, the
length rule, deduplication, commits, resume, engines — so a new kind of input (images,
audio) is a new work, not a new run.

The class side is what the driver asks before and after the tasks: :meth:`Work.check` (a
spec this work cannot run), :meth:`Work.prepare` (turn the inputs into the rows the tasks
read: reply threads into posts, turns into conversations), :meth:`Work.open_output` (a file
or stream sink's writer) and :meth:`Work.finish` (what to record once every task is done).

**Deduplication.** :meth:`Work.key` is a content hash of everything a row's result depends
on (for emotions, the text); rows with a key already seen by this worker (in this task, or
in the last ``DEDUP_CACHE`` distinct keys) get the earlier result, re-addressed by
:meth:`Work.reuse`. Results do not depend on the batch, so a reused result is the result.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from affectlens.errors import ConfigError
from affectlens.io.readers import Record, read_records
from affectlens.io.text import length_problem, text_key
from affectlens.registry import Registry

if TYPE_CHECKING:
    from affectlens.analyzers.base import Analyzer
    from affectlens.io.writers import Output
    from affectlens.runs.manifest import RunFolder, RunManifest, Task
    from affectlens.runs.sources import Source
    from affectlens.runs.spec import RunSpec
    from affectlens.runs.tasks import TaskResult

__all__ = ["BadRow", "EmotionWork", "Work", "works"]

Log = Callable[[str], None]


@dataclass(frozen=True)
class BadRow:
    """The result of a row the work found unusable while processing it (an image that does
    not decode): the run reports it as a bad row, with ``reason``, and carries on."""

    reason: str


class Work(ABC):
    """What a task does with its good rows (see the module docstring)."""

    name: ClassVar[str]
    #: the sinks this work can write: a run folder, a file, a stream
    sinks: ClassVar[tuple[str, ...]] = ("folder", "file", "stream")
    #: whether :meth:`prepare` turns the input into what the tasks read (then a streamed input is read whole first)
    prepares: ClassVar[bool] = False
    #: the files and folders the work writes into the run's folder (removed by ``--restart``)
    files: ClassVar[tuple[str, ...]] = ()

    #: the analyzer the work runs, when it has one (its usage and backend id are reported)
    analyzer: Analyzer | None = None

    def __init__(self, spec: RunSpec, folder: Path | None, *, threads: int | None = None) -> None:
        """``threads``: onnxruntime threads of the models the work loads (None: every core)."""
        self.spec = spec
        self.folder = folder
        self.threads = threads
        self.columns = self.extra_columns(spec)
        self.required = self.required_columns(spec)

    def build_analyzer(self, name: str | None = None) -> Analyzer:
        """The run's backend (or ``name``), with its settings, on this worker's threads."""
        from affectlens.api import backends, get_analyzer

        name = name or self.spec.backend.name
        settings = dict(self.spec.backend.settings) if name == self.spec.backend.name else {}
        if self.threads and "threads" in backends.get(name).settings_model.model_fields:
            settings["threads"] = self.threads
        return get_analyzer(name, config=False, **settings)

    @property
    def backend_id(self) -> str | None:
        return self.analyzer.backend_id if self.analyzer is not None else None

    def read(self, source: Source, task: Task) -> Iterator[Record]:
        """The records of ``task`` (a span of ``source``); rows that cannot be used carry an ``error``."""
        spec = self.spec
        max_chars = spec.options.max_chars
        records = read_records(
            source.path,
            input_format=source.format,
            text_column=spec.input.columns.text,
            id_column=spec.input.columns.id,
            extra=self.columns,
            required=self.required,
            max_chars=max_chars,
            span=task.span,
        )
        for record in records:
            yield self.check_record(record)

    def check_record(self, record: Record) -> Record:
        """``record``, with an error when its text breaks the length rule (:mod:`affectlens.io.text`)."""
        if record.error is None and record.text is not None:
            problem = length_problem(record.text, self.spec.options.max_chars)
            if problem is not None:
                from dataclasses import replace

                return replace(record, error=f"{problem} (raise it with --max-chars)")
        return record

    @abstractmethod
    def process(self, records: list[Record], result: TaskResult) -> list[Any]:
        """One result per record, in order (the records are good: no error, text within the limit);
        a :class:`BadRow` for a row found unusable only now."""

    def key(self, record: Record) -> str | None:
        """A content hash of what ``record``'s result depends on; None: never reused."""
        return None

    def count(self, records: list[Record], results: list[Any], result: TaskResult) -> None:
        """Add the work's own counts for a task's good ``records`` and their ``results`` (reused ones
        included) to ``result``."""
        return None

    def reuse(self, result: Any, record: Record) -> Any:
        """``result`` (of an identical row) as the result of ``record``."""
        return result

    def table(self, task: Task, records: list[Record], results: list[Any]) -> Any:
        """The Parquet table of a task's part (a run folder's rows)."""
        raise ConfigError(f"the {self.name} work does not write run folders")

    # -- the driver's side ------------------------------------------------------------

    @classmethod
    def identity(cls, settings: dict[str, Any]) -> dict[str, Any]:
        """The work settings that change the rows (the run's identity)."""
        return settings

    @classmethod
    def required_columns(cls, spec: RunSpec) -> dict[str, str]:
        """Input columns besides the text and id that the work needs, each with the option that
        names it (a CSV or Parquet input without one is refused as a whole)."""
        return {}

    @classmethod
    def extra_columns(cls, spec: RunSpec) -> tuple[str, ...]:
        """Input columns besides the text and id that the work reads."""
        return tuple(cls.required_columns(spec))

    @classmethod
    def cpu_bound(cls, spec: RunSpec) -> bool:
        """Whether this machine's CPU does the work (worker processes help), not a remote endpoint."""
        from affectlens.api import backends

        return spec.backend.name in backends and bool(backends.get(spec.backend.name).cpu_bound)

    @classmethod
    def check(cls, spec: RunSpec) -> None:
        """Refuse a spec this work cannot run, before anything starts."""
        if spec.sink.kind not in cls.sinks:
            raise ConfigError(f"the {cls.name} work writes {' or '.join(cls.sinks)}, not a {spec.sink.kind}")

    @classmethod
    def prepare(cls, spec: RunSpec, inputs: list[Source], folder: Path, log: Log) -> tuple[list[Source], dict[str, Any]] | None:
        """The sources the tasks read, written into ``folder``, and what to record about them;
        None: the tasks read the inputs as they are."""
        return None

    @classmethod
    def open_output(
        cls, spec: RunSpec, fmt: str, path: str | None, *, console: Any, resume_from: dict[str, int] | None
    ) -> Output:
        """The writer of a file or stream sink."""
        raise ConfigError(f"the {cls.name} work writes run folders only", hint="give a run folder with -o")

    @classmethod
    def finish(cls, spec: RunSpec, folder: RunFolder, manifest: RunManifest, log: Log) -> dict[str, Any]:
        """What to record once every task is done (merged into the manifest's ``details``)."""
        return {}


class EmotionWork(Work):
    """``analyze`` and ``corpus analyze``: each text's :class:`~affectlens.schema.Analysis`,
    with its time and groups in a run folder (:mod:`affectlens.runs.rows`)."""

    name = "emotions"

    def __init__(self, spec: RunSpec, folder: Path | None, *, threads: int | None = None) -> None:
        super().__init__(spec, folder, threads=threads)
        self.analyzer = self.build_analyzer()

    def process(self, records: list[Record], result: TaskResult) -> list[Any]:
        texts = [r.text or "" for r in records]
        return self.analyzer.analyze_batch(texts, ids=[r.id for r in records], options=self.spec.options)  # type: ignore[union-attr]

    def key(self, record: Record) -> str | None:
        return text_key(record.text or "")

    def reuse(self, result: Any, record: Record) -> Any:
        return result if result.id == record.id else result.model_copy(update={"id": record.id})

    def table(self, task: Task, records: list[Record], results: list[Any]) -> Any:
        from affectlens.runs.rows import Row, parse_time, part_table
        from affectlens.taxonomy import load_taxonomy

        columns = self.spec.input.columns
        rows = []
        for record, analysis in zip(records, results):
            values = record.extra or {}
            moment = parse_time(values.get(columns.time)) if columns.time else None
            groups = {g: None if values.get(g) is None else str(values.get(g)) for g in columns.groups}
            rows.append(Row(task.source, record.line, analysis, moment, groups))
        labels = load_taxonomy(self.spec.options.taxonomy).names
        return part_table(rows, labels, columns.groups, self.spec.options.explain)

    def count(self, records: list[Record], results: list[Any], result: TaskResult) -> None:
        from affectlens.runs.rows import parse_time

        time_column = self.spec.input.columns.time
        if time_column:
            result.without_time += sum(parse_time((r.extra or {}).get(time_column)) is None for r in records)

    @classmethod
    def required_columns(cls, spec: RunSpec) -> dict[str, str]:
        columns = spec.input.columns
        return {c: "--time-column" if c == columns.time else "--group-column" for c in (columns.time, *columns.groups) if c}

    @classmethod
    def check(cls, spec: RunSpec) -> None:
        from affectlens.api import backends
        from affectlens.runs.rows import check_group_names
        from affectlens.taxonomy import load_taxonomy

        super().check(spec)
        backends.get(spec.backend.name)  # an unknown name, with the close matches, before anything starts
        load_taxonomy(spec.options.taxonomy)
        check_group_names(spec.input.columns.groups)

    @classmethod
    def open_output(
        cls, spec: RunSpec, fmt: str, path: str | None, *, console: Any, resume_from: dict[str, int] | None
    ) -> Output:
        from affectlens.io.writers import open_output
        from affectlens.taxonomy import load_taxonomy

        labels = load_taxonomy(spec.options.taxonomy).names
        return open_output(fmt, path, labels=labels, console=console, resume_from=resume_from)


works: Registry[type[Work]] = Registry("work")
works.register("emotions", "affectlens.runs.works:EmotionWork")
works.register("conversations", "affectlens.conversation.work:ConversationWork")
works.register("polarization", "affectlens.polarization.work:PostWork")
works.register("media", "affectlens.media.work:MediaWork")
