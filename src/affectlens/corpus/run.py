"""``affectlens corpus analyze``: a corpus into a run folder, resumable, on any engine.

1. The inputs are resolved (a file, a glob, a folder) and fingerprinted.
2. A run folder that already exists is continued — if its inputs and settings are the same;
   otherwise it is refused (``restart=True`` starts it afresh).
3. The plan cuts every input into tasks of about ``chunk_rows`` rows (saved in the folder,
   so a resumed run has the same tasks).
4. The engine runs the tasks not done yet; each writes its part atomically, so killing the
   run at any moment and running the same command again ends with every input row once.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from affectlens.analyzers.base import DEFAULT_MAX_CHARS, AnalyzeOptions
from affectlens.corpus.engines import get_engine
from affectlens.corpus.manifest import MAX_BAD_EXAMPLES, Progress, RunDir, RunManifest, Task
from affectlens.corpus.rows import check_group_names
from affectlens.corpus.sources import Source, resolve_sources
from affectlens.corpus.worker import STATS_KEY, RunSpec, TaskResult
from affectlens.errors import InputError, MissingDependencyError

__all__ = ["CHUNK_ROWS", "RunSummary", "analyze", "check_input"]

CHUNK_ROWS = 2000


@dataclass
class RunSummary:
    run_dir: Path
    manifest: RunManifest
    seconds: float  # this invocation's
    tasks_run: int
    resumed: bool

    @property
    def progress(self) -> Progress:
        return self.manifest.progress


def analyze(
    input: str | Path,
    run_dir: str | Path,
    *,
    input_format: str | None = None,
    text_column: str | None = None,
    id_column: str | None = None,
    time_column: str | None = None,
    group_columns: Sequence[str] = (),
    backend: str = "embedded",
    backend_settings: dict[str, Any] | None = None,
    taxonomy: str = "goemotions",
    explain: bool = False,
    max_chars: int = DEFAULT_MAX_CHARS,
    engine: str = "local",
    engine_settings: dict[str, Any] | None = None,
    restart: bool = False,
    chunk_rows: int = CHUNK_ROWS,
    work: str = "emotions",
    work_settings: dict[str, Any] | None = None,
    command: str | None = None,
    on_start: Callable[[RunManifest, int], None] | None = None,
    on_task: Callable[[TaskResult], None] | None = None,
) -> RunSummary:
    """Analyse the corpus ``input`` into the run folder ``run_dir`` (see the module docstring).

    ``work`` names what a row becomes (:data:`affectlens.corpus.worker.WORKS`; default an
    emotion analysis), with ``work_settings``. ``on_start(manifest, rows_left)`` is called
    once the plan is known; ``on_task(result)`` after each task. ``command`` is recorded in
    the manifest as what made the run (the CLI passes its command line; by default, this
    call). Returns the final manifest with the counts.
    """
    _require_pyarrow()
    from affectlens.api import get_analyzer
    from affectlens.taxonomy import load_taxonomy

    check_group_names(group_columns)
    options = AnalyzeOptions.build(None, {"taxonomy": taxonomy, "explain": explain, "max_chars": max_chars})
    backend_settings = dict(backend_settings or {})
    run = RunDir(run_dir)
    sources = resolve_sources(input, input_format=input_format)
    analyzer = get_analyzer(backend, **backend_settings)
    settings = {
        "backend": analyzer.backend_id,
        "options": options.model_dump(mode="json"),
        "columns": {"text": text_column, "id": id_column, "time": time_column, "groups": list(group_columns)},
    }
    if work != "emotions":
        settings.update(work=work, work_settings=work_settings or {})
    engine_impl = get_engine(engine, **(engine_settings or {}))
    resumed = False
    if run.exists() and restart:
        run.clear()
    if run.exists():
        manifest = run.load_manifest()
        _check_same(manifest, sources, settings, run)
        tasks = run.load_plan()
        resumed = True
    else:
        _check_empty(run)
        tasks, sources = _plan(sources, chunk_rows, text_column, time_column, group_columns, max_chars)
        given = {
            "input_format": input_format,
            "text_column": text_column,
            "id_column": id_column,
            "time_column": time_column,
            "group_columns": list(group_columns) or None,
            "backend": None if backend == "embedded" else backend,
            "taxonomy": None if taxonomy == "goemotions" else taxonomy,
            "explain": explain or None,
            "engine": None if engine == "local" else engine,
        }
        call = ", ".join([repr(str(input)), repr(str(run_dir)), *(f"{k}={v!r}" for k, v in given.items() if v is not None)])
        manifest = RunManifest(
            command=command or f"affectlens.corpus.analyze({call})",
            inputs=sources,
            settings=settings,
            versions=_versions(),
            engine=engine,
        )
        run.path.mkdir(parents=True, exist_ok=True)
        run.save_plan(tasks)
    manifest.engine, manifest.status = engine, "running"
    done = run.done()
    manifest.progress = _progress_of(run, tasks, done)
    manifest.bad_examples = run.bad_rows()[:MAX_BAD_EXAMPLES]
    run.save_manifest(manifest)
    pending = [t for t in tasks if t.index not in done]
    if on_start:
        on_start(manifest, sum(t.count for t in pending))
    spec = RunSpec(
        run_dir=str(run.path),
        inputs=sources,
        text_column=text_column,
        id_column=id_column,
        time_column=time_column,
        group_columns=tuple(group_columns),
        backend=backend,
        backend_settings=backend_settings,
        options=options.model_dump(),
        labels=load_taxonomy(options.taxonomy).names,
        work=work,
        work_settings=dict(work_settings or {}),
    )
    started = time.perf_counter()
    elapsed_before = manifest.elapsed_s
    try:
        for result in engine_impl.run(spec, pending):
            _count(manifest, result)
            manifest.elapsed_s = round(elapsed_before + time.perf_counter() - started, 1)
            run.save_manifest(manifest)
            if on_task:
                on_task(result)
    except BaseException:
        manifest.status = "stopped"
        manifest.elapsed_s = round(elapsed_before + time.perf_counter() - started, 1)
        run.save_manifest(manifest)
        raise
    manifest.status = "complete"
    run.save_manifest(manifest)
    return RunSummary(run.path, manifest, time.perf_counter() - started, len(pending), resumed)


def _require_pyarrow() -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError("pyarrow", "corpus", "corpus runs") from exc


def _plan(
    sources: list[Source],
    chunk_rows: int,
    text_column: str | None,
    time_column: str | None,
    group_columns: Sequence[str],
    max_chars: int,
) -> tuple[list[Task], list[Source]]:
    from affectlens.io.readers import plan_spans

    tasks: list[Task] = []
    planned = []
    required = _required(time_column, group_columns)
    for n, source in enumerate(sources):
        spans, rows = plan_spans(
            source.path,
            every=chunk_rows,
            input_format=source.format,
            text_column=text_column,
            required=required,
            max_chars=max_chars,
        )
        _check_columns(source, text_column, required)
        planned.append(source.model_copy(update={"rows": rows}))
        for span in spans:
            tasks.append(Task(index=len(tasks), source=n, start=span.start, first_line=span.first_line, count=span.count))
    return tasks, planned


def check_input(
    input: str | Path,
    *,
    input_format: str | None = None,
    text_column: str | None = None,
    time_column: str | None = None,
    group_columns: Sequence[str] = (),
) -> list[Source]:
    """The inputs of ``input``, each with the columns asked for — what :func:`analyze` refuses
    before it starts, checked without starting (the service checks a job's file this way)."""
    _require_pyarrow()
    check_group_names(group_columns)
    sources = resolve_sources(input, input_format=input_format)
    for source in sources:
        _check_columns(source, text_column, _required(time_column, group_columns))
    return sources


def _required(time_column: str | None, group_columns: Sequence[str]) -> dict[str, str]:
    return {c: "--time-column" if c == time_column else "--group-column" for c in (time_column, *group_columns) if c}


def _check_columns(source: Source, text_column: str | None, required: dict[str, str]) -> None:
    """A CSV or Parquet input must have the columns asked for (checked by reading its header)."""
    if source.format in ("csv", "parquet"):
        from affectlens.io.readers import read_records

        next(read_records(source.path, input_format=source.format, text_column=text_column, required=required), None)


def _check_empty(run: RunDir) -> None:
    if run.path.exists() and (not run.path.is_dir() or any(run.path.iterdir())):
        raise InputError(
            f"{str(run.path)!r} exists and is not a run folder",
            hint="give a new or empty folder with -o, or the folder of an earlier run to continue it",
        )


def _check_same(manifest: RunManifest, sources: list[Source], settings: dict[str, Any], run: RunDir) -> None:
    then = [(s.path, s.bytes, s.ends_sha256) for s in manifest.inputs]
    now = [(s.path, s.bytes, s.ends_sha256) for s in sources]
    if then != now:
        changed = sorted({p for p, *_ in set(then) ^ set(now)})
        raise InputError(
            f"the input differs from the one {str(run.path)!r} was started on: {', '.join(changed)}",
            hint="continue with the same input, or pass --restart to start the run afresh",
        )
    differences = [
        f"{key}: {manifest.settings.get(key)} then, {settings.get(key)} now"
        for key in sorted(set(manifest.settings) | set(settings))
        if manifest.settings.get(key) != settings.get(key)
    ]
    if differences:
        raise InputError(
            f"the settings differ from the ones {str(run.path)!r} was started with: " + "; ".join(differences),
            hint="continue with the same options, or pass --restart to start the run afresh",
        )


def _progress_of(run: RunDir, tasks: list[Task], done: set[int]) -> Progress:
    """Counters rebuilt from the parts on disk (each part carries its task's counts)."""
    import pyarrow.parquet as pq

    progress = Progress(tasks=len(tasks), rows=sum(t.count for t in tasks))
    for task in tasks:
        if task.index not in done:
            continue
        meta = pq.read_schema(run.part(task.index)).metadata or {}
        result = TaskResult.from_json(meta[STATS_KEY])
        _add(progress, result)
    return progress


def _add(progress: Progress, result: TaskResult) -> None:
    progress.tasks_done += 1
    progress.rows_done += result.rows
    progress.analysed += result.analysed
    progress.bad_rows += result.bad
    progress.reused += result.reused
    progress.without_time += result.without_time
    for name, n in result.counts.items():
        progress.counts[name] = progress.counts.get(name, 0) + n


def _count(manifest: RunManifest, result: TaskResult) -> None:
    _add(manifest.progress, result)
    room = MAX_BAD_EXAMPLES - len(manifest.bad_examples)
    if room > 0:
        manifest.bad_examples += result.bad_examples[:room]


def _versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    from affectlens import __version__

    out: dict[str, str | None] = {"affectlens": __version__, "python": platform.python_version()}
    for package in ("onnxruntime", "pyarrow", "numpy"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = None
    return out
