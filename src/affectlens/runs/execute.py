"""``execute(spec)``: the one run behind ``analyze -i``, ``corpus analyze``, ``conversation
analyze``, ``polarization analyze`` and the service's jobs.

1. The work checks the spec; the inputs are resolved and fingerprinted; with the settings
   and versions they are the run's identity.
2. The run's folder is locked (a second run into it is refused). An earlier run there is
   continued if its identity is the same, refused otherwise (``restart`` starts afresh).
3. The work prepares what the tasks read (if it needs to) and the inputs are planned into
   tasks of about ``chunk_rows`` rows; plan and manifest are saved first, so a run killed at
   any moment continues with the same tasks.
4. The engine runs the tasks not done yet. A run folder gets a part per task (any order);
   a file gets the tasks' rows in input order, committed after each; a stream is written
   as it goes. The manifest follows every task: progress, bad rows, and at the end the
   status — complete, stopped (interrupted) or failed, with a typed error.

Killing the run at any moment and running the same command again (``resume=True`` for a
file output) ends with every input row exactly once.
"""

from __future__ import annotations

import contextlib
import itertools
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from affectlens.errors import ConfigError, InputError
from affectlens.io.readers import Record, plan_spans, read_records
from affectlens.runs.manifest import (
    MAX_BAD_EXAMPLES,
    Identity,
    Progress,
    RunError,
    RunFolder,
    RunLocked,
    RunManifest,
    Task,
    versions,
)
from affectlens.runs.sources import Source, resolve_sources
from affectlens.runs.spec import RunSpec
from affectlens.runs.tasks import STATS_KEY, TaskInput, TaskResult

__all__ = ["RunSummary", "execute", "rows_of", "validate"]


@dataclass
class RunSummary:
    manifest: RunManifest
    folder: Path | None  # the run folder (a folder sink), else None
    seconds: float  # this invocation's
    tasks_run: int
    resumed: bool
    analyzer: Any = None  # the analyzer that ran in this process (its usage), when one did
    before: Progress = field(default_factory=Progress)  # what was done before this invocation (a resumed run)

    @property
    def progress(self) -> Progress:
        return self.manifest.progress


@dataclass
class _Hooks:
    on_start: Callable[[RunManifest, int | None], None] | None = None
    on_task: Callable[[TaskResult], None] | None = None
    on_bad_row: Callable[[dict[str, Any]], None] | None = None
    on_note: Callable[[str], None] = lambda line: None


def execute(
    spec: RunSpec,
    *,
    resume: bool = False,
    restart: bool = False,
    engine: Any = None,
    console: Any = None,
    on_start: Callable[[RunManifest, int | None], None] | None = None,
    on_task: Callable[[TaskResult], None] | None = None,
    on_bad_row: Callable[[dict[str, Any]], None] | None = None,
    on_note: Callable[[str], None] | None = None,
) -> RunSummary:
    """Run ``spec`` (see the module docstring) and return what it did.

    A run folder is always continued when it holds the same run (``restart=True``: afresh);
    a file output only with ``resume=True``. ``on_start(manifest, rows_left)`` is called
    once the plan is known (rows_left None: a streamed input); ``on_task(result)`` after each
    task; ``on_bad_row(row)`` for each bad row of a file or stream run as it is met;
    ``on_note(line)`` for what the user should know about the run itself.
    """
    from affectlens.io.files import confined
    from affectlens.runs.works import works

    work = works.get(spec.work.name)
    work.check(spec)
    impl = engine or _engine(spec)
    hooks = _Hooks(on_start, on_task, on_bad_row, on_note or (lambda line: None))
    with confined(spec.readable_roots()):  # a job opens its inputs only inside its folders (and its own)
        if spec.sink.kind == "folder":
            return _folder_run(spec, work, impl, restart, hooks)
        if spec.sink.kind == "file" and _tracked(spec):
            return _file_run(spec, work, impl, resume, console, hooks)
        if resume:
            raise InputError(_why_not_resumable(spec), hint="write to a file (-o FILE.jsonl) from an input file (-i FILE)")
        return _stream_run(spec, work, impl, console, hooks)


def validate(spec: RunSpec) -> list[Source]:
    """What :func:`execute` would refuse before it starts, checked without starting (the
    service checks a job this way): the work's checks, the inputs and their columns."""
    from affectlens.runs.works import works

    works.get(spec.work.name).check(spec)
    _engine(spec)
    sources = resolve_sources(spec.input.path, input_format=spec.input.format)  # type: ignore[arg-type]
    for source in sources:
        _check_columns(spec, source)
    return sources


def rows_of(folder: str | Path) -> Any:
    """A run folder's rows in input order, as one Arrow table (the parts joined)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    run = RunFolder(folder)
    parts = [run.part(n) for n in sorted(run.done())]
    if not parts:
        return pa.table({})
    table = pa.concat_tables([pq.read_table(p) for p in parts], promote_options="default")
    order = [c for c in ("source", "line") if c in table.column_names]
    return table.sort_by([(c, "ascending") for c in order]) if order else table


def _engine(spec: RunSpec) -> Any:
    from affectlens.runs.engines import engines

    cls = engines.get(spec.engine.name)
    try:
        return cls(**spec.engine.settings)
    except TypeError as exc:
        raise ConfigError(
            f"the {spec.engine.name} engine does not take {', '.join(sorted(spec.engine.settings))}",
            hint="local takes workers and threads; ray takes address, workers and cpus_per_worker",
        ) from exc


def _tracked(spec: RunSpec) -> bool:
    from affectlens.io.files import is_special
    from affectlens.io.writers import RESUMABLE_FORMATS

    return spec.sink.format in RESUMABLE_FORMATS and not spec.input.streamed and not is_special(spec.sink.path)  # type: ignore[arg-type]


def _why_not_resumable(spec: RunSpec) -> str:
    from affectlens.io.writers import RESUMABLE_FORMATS

    if spec.sink.kind == "stream":
        return "--resume needs an output file"
    if spec.sink.format not in RESUMABLE_FORMATS:
        return f"a {spec.sink.format} output cannot be resumed"
    return "--resume needs an input file: standard input cannot be checked to be the same as before"


def _identity(spec: RunSpec, inputs: list[Source]) -> Identity:
    return Identity(inputs=inputs, settings=spec.identity_settings(), versions=versions())


def _new_manifest(spec: RunSpec, identity: Identity) -> RunManifest:
    return RunManifest(command=spec.command or _call(spec), identity=identity, spec=spec.public(), engine=spec.engine.name)


def _call(spec: RunSpec) -> str:
    argv = sys.argv if sys.argv and sys.argv[0] else ["python"]
    return shlex.join(["affectlens" if Path(argv[0]).name == "affectlens" else Path(argv[0]).name, *argv[1:]])


def _check_columns(spec: RunSpec, source: Source) -> None:
    """A CSV or Parquet input must have the columns asked for (checked by reading its header)."""
    from affectlens.runs.works import works

    if source.format in ("csv", "parquet"):  # an images source has no columns
        required = works.get(spec.work.name).required_columns(spec)
        next(read_records(source.path, input_format=source.format, text_column=spec.input.columns.text, required=required), None)


def _plan(
    spec: RunSpec, work: Any, inputs: list[Source], where: Path, log: Callable[[str], None]
) -> tuple[list[Source], list[Task], dict[str, Any]]:
    """The sources the tasks read (prepared by the work, or the inputs) and the tasks."""
    prepared = work.prepare(spec, inputs, where, log)
    sources, details = prepared if prepared is not None else (inputs, {})
    required = work.required_columns(spec) if prepared is None else {}
    tasks: list[Task] = []
    planned = []
    for n, source in enumerate(sources):
        if prepared is None:
            _check_columns(spec, source)
        spans, rows = plan_spans(
            source.path,
            every=spec.chunk_rows,
            input_format=source.format,
            text_column=spec.input.columns.text if prepared is None else None,
            required=required,
            max_chars=spec.options.max_chars,
        )
        planned.append(source.model_copy(update={"rows": rows}))
        first = len(tasks)
        tasks += [
            Task(index=first + k, source=n, start=s.start, first_line=s.first_line, count=s.count) for k, s in enumerate(spans)
        ]
    return planned, tasks, details


def _count(manifest: RunManifest, result: TaskResult) -> None:
    p = manifest.progress
    p.tasks_done += 1
    p.rows_done += result.rows
    p.analysed += result.analysed
    p.bad_rows += result.bad
    p.reused += result.reused
    p.without_time += result.without_time
    for name, n in result.counts.items():
        p.counts[name] = p.counts.get(name, 0) + n
    room = MAX_BAD_EXAMPLES - len(manifest.bad_examples)
    if room > 0:
        manifest.bad_examples += result.bad_rows[:room]
    manifest.backend_id = manifest.backend_id or result.backend_id


def _fail(manifest: RunManifest, exc: BaseException) -> None:
    manifest.status = "stopped" if isinstance(exc, KeyboardInterrupt) else "failed"
    manifest.error = RunError.of(exc)


def _start(
    manifest: RunManifest, spec: RunSpec, engine: Any, tasks: list[Task], sources: list[Source], pending: list[Task]
) -> int:
    manifest.status, manifest.error, manifest.engine = "running", None, spec.engine.name
    manifest.progress.tasks = len(tasks)
    manifest.progress.rows = sum(s.rows or 0 for s in sources)
    left = _rows_left(pending, sources)
    manifest.engine_settings = engine.describe(spec, left, len(pending))
    return left


def _rows_left(pending: list[Task], sources: list[Source]) -> int:
    """Rows the pending tasks cover (a Parquet task counts row groups: its rows are estimated)."""
    per_unit = {n: _rows_per_group(s) if s.format == "parquet" else 1 for n, s in enumerate(sources)}
    return sum(task.count * per_unit[task.source] for task in pending)


def _rows_per_group(source: Source) -> int:
    import pyarrow.parquet as pq

    from affectlens.io.files import open_input

    with contextlib.suppress(Exception), open_input(source.path) as stream:
        return max(1, (source.rows or 0) // max(1, pq.ParquetFile(stream).metadata.num_row_groups))
    return 1


# -- a run folder ----------------------------------------------------------------------------


def _folder_run(spec: RunSpec, work: Any, engine: Any, restart: bool, hooks: _Hooks) -> RunSummary:
    folder = RunFolder(spec.sink.path)  # type: ignore[arg-type]
    if folder.path.exists() and not folder.path.is_dir():
        raise InputError(f"{str(folder.path)!r} exists and is not a folder", hint="give a new or empty folder with -o")
    if spec.input.streamed:
        raise InputError("a run folder is read from files, not from standard input", hint="save the input to a file first")
    inputs = resolve_sources(spec.input.path, input_format=spec.input.format)  # type: ignore[arg-type]
    identity = _identity(spec, inputs)
    _refuse_foreign(folder)  # before the lock: a folder of someone else's files gets no .lock either
    created = not folder.path.exists()
    with folder.locked():
        restarted = folder.exists() and restart
        if restarted:
            folder.clear(work.files)  # the run's own files: a report saved beside it stays
        resumed = folder.exists()
        if resumed:
            manifest = folder.load_manifest()
            manifest.identity.check_same(identity, repr(str(folder.path)))
        else:
            if not restarted:
                _refuse_foreign(folder)
            manifest = _new_manifest(spec, identity)
            folder.save_manifest(manifest)
        if folder.plan_path.exists():
            sources, tasks = folder.load_plan()
        else:
            try:
                sources, tasks, details = _plan(spec, work, inputs, folder.path, hooks.on_note)
            except BaseException:
                if not resumed:  # a new run refused before its first task leaves nothing behind
                    folder.clear(work.files)
                    if created:
                        shutil.rmtree(folder.path, ignore_errors=True)
                raise
            manifest.details.update(details)
            folder.save_plan(sources, tasks)
        done = folder.done()
        manifest.progress = _progress_of(folder, tasks, done)
        before = manifest.progress.model_copy(deep=True)
        manifest.bad_examples = folder.bad_rows()[:MAX_BAD_EXAMPLES]
        pending = [t for t in tasks if t.index not in done]
        left = _start(manifest, spec, engine, tasks, sources, pending)
        folder.save_manifest(manifest)
        if hooks.on_start:
            hooks.on_start(manifest, left)
        started = time.perf_counter()
        elapsed_before = manifest.elapsed_s
        try:
            for result in engine.run(spec, sources, folder.path, [TaskInput(t) for t in pending], rows=left):
                _count(manifest, result)
                manifest.elapsed_s = round(elapsed_before + time.perf_counter() - started, 1)
                folder.save_manifest(manifest)
                if hooks.on_task:
                    hooks.on_task(result)
            manifest.details.update(work.finish(spec, folder, manifest, hooks.on_note))
        except BaseException as exc:
            _fail(manifest, exc)
            manifest.elapsed_s = round(elapsed_before + time.perf_counter() - started, 1)
            folder.save_manifest(manifest)
            raise
        manifest.status = "complete"
        manifest.elapsed_s = round(elapsed_before + time.perf_counter() - started, 1)
        folder.save_manifest(manifest)
    return RunSummary(
        manifest, folder.path, time.perf_counter() - started, len(pending), resumed, _analyzer(engine), before=before
    )


def _analyzer(engine: Any) -> Any:
    runner = getattr(engine, "runner", None)
    return runner.work.analyzer if runner is not None else None


def _refuse_foreign(folder: RunFolder) -> None:
    if folder.is_foreign():
        raise InputError(
            f"{str(folder.path)!r} exists and is not a run folder",
            hint="give a new or empty folder with -o, or the folder of an earlier run to continue it",
        )


def _progress_of(folder: RunFolder, tasks: list[Task], done: set[int]) -> Progress:
    """Counters rebuilt from the parts on disk (each part carries its task's counts)."""
    import pyarrow.parquet as pq

    progress = Progress(tasks=len(tasks))
    manifest = RunManifest.model_construct(progress=progress, bad_examples=[], backend_id=None)
    for task in tasks:
        if task.index in done:
            meta = pq.read_schema(folder.part(task.index)).metadata or {}
            result = TaskResult.from_stats(meta[STATS_KEY])
            result.bad_rows = []
            _count(manifest, result)
    return progress


# -- a file, committed task by task ----------------------------------------------------------


def _file_run(spec: RunSpec, work: Any, engine: Any, resume: bool, console: Any, hooks: _Hooks) -> RunSummary:
    from affectlens.io.files import same_file

    target = Path(spec.sink.path)  # type: ignore[arg-type]
    inputs = resolve_sources(spec.input.path, input_format=spec.input.format)  # type: ignore[arg-type]
    if target.exists() and any(same_file(s.path, target) for s in inputs):
        raise InputError(
            f"the output {str(target)!r} is the input file: writing it would destroy the texts being read",
            hint="choose another file with -o",
        )
    identity = _identity(spec, inputs)
    folder = RunFolder(spec.folder_of_sink())  # type: ignore[arg-type]
    try:
        return _file_run_locked(spec, work, engine, resume, console, hooks, target, inputs, identity, folder)
    except RunLocked:
        raise
    except BaseException:
        if not folder.exists():  # refused before anything was recorded: leave no folder behind
            _discard(folder)
        raise


def _file_run_locked(
    spec: RunSpec,
    work: Any,
    engine: Any,
    resume: bool,
    console: Any,
    hooks: _Hooks,
    target: Path,
    inputs: list[Source],
    identity: Identity,
    folder: RunFolder,
) -> RunSummary:
    with folder.locked():
        resumed = False
        if resume and folder.exists():
            manifest = folder.load_manifest()
            manifest.identity.check_same(identity, f"the interrupted run of {str(target)!r}")
            _check_output_state(target, spec.sink.format, manifest)  # type: ignore[arg-type]
            resumed = True
        elif resume and target.exists():
            raise InputError(
                f"{str(target)!r} exists and no interrupted run is recorded for it (the run that wrote it finished)",
                hint="drop --resume to write it again, or choose another -o",
            )
        else:
            if folder.exists():
                hooks.on_note(
                    f"an interrupted run of {str(target)!r} was found; starting afresh (--resume would have continued it)"
                )
            folder.clear(work.files)
            manifest = _new_manifest(spec, identity)
            folder.save_manifest(manifest)
        if folder.plan_path.exists():
            sources, tasks = folder.load_plan()
        else:
            sources, tasks, details = _plan(spec, work, inputs, folder.path, hooks.on_note)
            manifest.details.update(details)
            folder.save_plan(sources, tasks)
        if not tasks:
            _discard(folder)
            raise InputError(f"no texts in {spec.input.path!r}")
        pending = tasks[manifest.progress.tasks_done :]  # a file's tasks are committed in order
        if resumed:
            p = manifest.progress
            hooks.on_note(
                f"resuming {str(target)!r}: {p.rows_done:,} rows were done ({p.analysed:,} analysed, {p.bad_rows:,} bad); "
                "continuing after them"
            )
        left = _start(manifest, spec, engine, tasks, sources, pending)
        folder.save_manifest(manifest)
        output = work.open_output(
            spec, spec.sink.format, str(target), console=console, resume_from=manifest.output if resumed else None
        )
        if hooks.on_start:
            hooks.on_start(manifest, left)
        started = time.perf_counter()
        elapsed_before = manifest.elapsed_s
        before = manifest.progress.model_copy(deep=True)
        try:
            results = _in_order(engine.run(spec, sources, folder.path, [TaskInput(t) for t in pending], rows=left), pending)
            for result in results:
                _report_bad(result, hooks)
                output.write(result.results or [])
                manifest.output = output.commit()
                _count(manifest, result)
                manifest.elapsed_s = round(elapsed_before + time.perf_counter() - started, 1)
                folder.save_manifest(manifest)
                if hooks.on_task:
                    hooks.on_task(result)
            output.finish()
        except BaseException as exc:
            if not resumed and manifest.progress.tasks_done == 0:
                output.discard()  # nothing was committed: leave nothing behind
                _discard(folder)
            else:
                output.abandon()
                _fail(manifest, exc)
                folder.save_manifest(manifest)
            raise
        manifest.status = "complete"
    _discard(folder)
    return RunSummary(manifest, None, time.perf_counter() - started, len(pending), resumed, _analyzer(engine), before=before)


def _discard(folder: RunFolder) -> None:
    shutil.rmtree(folder.path, ignore_errors=True)


def _check_output_state(target: Path, fmt: str, manifest: RunManifest) -> None:
    from affectlens.io.writers import partial_file, parts_folder

    marker = manifest.output
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


def _in_order(results: Iterable[TaskResult], tasks: list[Task] | None) -> Iterator[TaskResult]:
    """``results`` in task order (an engine hands them back as they finish)."""
    waiting: dict[int, TaskResult] = {}
    order = iter([t.index for t in tasks]) if tasks is not None else itertools.count()
    expected = next(order, None)
    for result in results:
        waiting[result.task] = result
        while expected is not None and expected in waiting:
            yield waiting.pop(expected)
            expected = next(order, None)


def _report_bad(result: TaskResult, hooks: _Hooks) -> None:
    if hooks.on_bad_row:
        for row in result.bad_rows:
            hooks.on_bad_row(row)


# -- a stream (or a file that cannot be resumed) ---------------------------------------------


def _stream_run(spec: RunSpec, work: Any, engine: Any, console: Any, hooks: _Hooks) -> RunSummary:
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        sources: list[Source] = []
        inputs: list[Source] = []
        details: dict[str, Any] = {}
        if spec.input.streamed and not work.prepares:
            items: Iterable[TaskInput] = _streamed_tasks(spec, work)
        else:
            if not spec.input.streamed:
                inputs = resolve_sources(spec.input.path, input_format=spec.input.format)  # type: ignore[arg-type]
            where = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="affectlens-run-")))
            sources, tasks, details = _plan(spec, work, inputs, where, hooks.on_note)
            if not tasks:
                raise InputError(f"no texts in {spec.input.path!r}")
            items = [TaskInput(t) for t in tasks]
        # nothing is written down for a stream: its identity (the versions' lookups) is not needed
        manifest = _new_manifest(spec, Identity(inputs=inputs, settings={}))
        manifest.details.update(details)
        if isinstance(items, list):
            left: int | None = _start(manifest, spec, engine, [i.task for i in items], sources, [i.task for i in items])
        else:
            left, manifest.engine_settings = None, engine.describe(spec, None, None)
        output = work.open_output(spec, spec.sink.format, spec.sink.path, console=console, resume_from=None)
        if hooks.on_start:
            hooks.on_start(manifest, left)
        try:
            for result in _in_order(engine.run(spec, sources, None, items, rows=left), None):
                _report_bad(result, hooks)
                output.write(result.results or [])
                output.commit()
                _count(manifest, result)
                if hooks.on_task:
                    hooks.on_task(result)
            if spec.input.streamed and manifest.progress.rows_done == 0:
                raise InputError(f"no texts in {spec.input.path!r}" if spec.input.path else "nothing to analyse")
            output.finish()
        except BaseException:
            output.discard()
            raise
    manifest.status = "complete"
    manifest.progress.tasks = manifest.progress.tasks_done
    manifest.elapsed_s = round(time.perf_counter() - started, 1)
    return RunSummary(manifest, None, time.perf_counter() - started, manifest.progress.tasks_done, False, _analyzer(engine))


def _streamed_tasks(spec: RunSpec, work: Any) -> Iterator[TaskInput]:
    """The rows of a streamed input, read once, in tasks of ``chunk_rows``."""
    if spec.input.texts is not None:
        records: Iterator[Record] = (Record(n, text) for n, text in enumerate(spec.input.texts, start=1))
    else:
        columns = spec.input.columns
        records = read_records(
            spec.input.path,  # type: ignore[arg-type]
            input_format=spec.input.format,
            text_column=columns.text,
            id_column=columns.id,
            extra=work.extra_columns(spec),
            required=work.required_columns(spec),
            max_chars=spec.options.max_chars,
        )
    for index in itertools.count():
        chunk = list(itertools.islice(records, spec.chunk_rows))
        if not chunk:
            return
        yield TaskInput(Task(index=index, source=0, start=0, first_line=chunk[0].line, count=len(chunk)), chunk)
