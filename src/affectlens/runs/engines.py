"""Engines run a run's tasks and hand back each task's result as it finishes (in any order).

Every engine runs the same :class:`~affectlens.runs.tasks.TaskRunner`, so the rows are the
same whichever engine wrote them; only where the work happens differs. Engines are found
by name (:data:`engines`): ``local`` and ``ray``.

**local** (the default): worker processes on this machine, each with its own models and one
onnxruntime thread (spinning off), fed a bounded window of tasks. On a busy 2-core machine
one thread per process ran 1.6–2.2 times faster than one process with two spinning threads
(docs/benchmarks.md). Processes pay off only for work the CPU does (the embedded and
conversation models) and for inputs large enough to amortise a worker's start (about a
second: it loads the model); otherwise the tasks run in this process, with every core. LLM
backends always run here: their concurrency is requests in flight, not processes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from affectlens.errors import ConfigError
from affectlens.registry import Registry
from affectlens.runs.sources import Source
from affectlens.runs.spec import RunSpec
from affectlens.runs.tasks import TaskInput, TaskResult, TaskRunner

if TYPE_CHECKING:
    from concurrent.futures import Future

__all__ = ["PROCESS_MIN_ROWS", "Engine", "LocalEngine", "cpu_count", "engines"]

#: below this many rows to do, the local engine runs in this process (a worker's start costs ~1 s)
PROCESS_MIN_ROWS = 4000


class Engine(Protocol):
    name: str

    def describe(self, spec: RunSpec, rows: int | None, tasks: int | None) -> dict[str, Any]:
        """How it will run (recorded in the manifest): workers, threads…"""

    def run(
        self, spec: RunSpec, sources: list[Source], folder: Path | None, items: Iterable[TaskInput], *, rows: int | None = None
    ) -> Iterator[TaskResult]:
        """Each task's result as it finishes; ``rows``: how many rows the tasks cover, when known."""

    @property
    def runner(self) -> TaskRunner | None:
        """The runner of this process, when the tasks ran here (its analyzer's usage is reported)."""


def cpu_count() -> int:
    """CPUs this process may run on (a container's or taskset's limit, not the machine's)."""
    with contextlib.suppress(AttributeError, OSError):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def cpu_bound(spec: RunSpec) -> bool:
    """Whether the run's work is done by this machine's CPU (so processes help)."""
    from affectlens.runs.works import works

    return bool(works.get(spec.work.name).cpu_bound(spec))


class LocalEngine:
    """Worker processes on this machine (see the module docstring)."""

    name = "local"

    def __init__(self, workers: int | None = None, threads: int | None = None) -> None:
        if workers is not None and workers < 1:
            raise ConfigError("workers must be at least 1")
        if threads is not None and threads < 1:
            raise ConfigError("threads must be at least 1")
        self.workers, self.threads = workers, threads
        self._runner: TaskRunner | None = None

    @property
    def runner(self) -> TaskRunner | None:
        return self._runner

    def _plan(self, spec: RunSpec, rows: int | None, tasks: int | None) -> tuple[int, int | None]:
        """(worker processes, onnxruntime threads each); 1 worker means this process."""
        if self.workers is not None:
            workers = self.workers
        elif not cpu_bound(spec) or spec.input.streamed or rows is None or rows < PROCESS_MIN_ROWS:
            workers = 1
        else:
            workers = cpu_count()
        workers = max(1, min(workers, tasks)) if tasks else workers
        threads = self.threads or (1 if workers > 1 else None)
        return workers, threads

    def describe(self, spec: RunSpec, rows: int | None, tasks: int | None) -> dict[str, Any]:
        workers, threads = self._plan(spec, rows, tasks)
        return {
            "workers": workers,
            "threads_per_worker": threads or cpu_count(),
            "processes": workers > 1,
            "spinning": False,
            "cpus": cpu_count(),
            "cpu": cpu_name(),
        }

    def run(
        self, spec: RunSpec, sources: list[Source], folder: Path | None, items: Iterable[TaskInput], *, rows: int | None = None
    ) -> Iterator[TaskResult]:
        tasks = len(items) if isinstance(items, list) else None
        workers, threads = self._plan(spec, rows, tasks)
        if workers == 1:
            self._runner = TaskRunner(spec, sources, folder, threads=threads)
            for item in items:
                yield self._runner(item)
            return
        yield from _in_processes(spec, sources, folder, items, workers, threads)


def _in_processes(
    spec: RunSpec, sources: list[Source], folder: Path | None, items: Iterable[TaskInput], workers: int, threads: int | None
) -> Iterator[TaskResult]:
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    context = multiprocessing.get_context("forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn")
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload(["affectlens.runs.engines"])
    payload = (spec.model_dump_json(), [s.model_dump() for s in sources], str(folder) if folder else None, threads)
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init, initargs=payload)
    pending: set[Future[TaskResult]] = set()
    window = 2 * workers
    clean = False
    try:
        queue = iter(items)
        exhausted = False
        while True:
            while not exhausted and len(pending) < window:
                item = next(queue, None)
                if item is None:
                    exhausted = True
                    break
                pending.add(pool.submit(_worker_run, item))
            if not pending:
                break
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
        clean = True
    finally:
        if not clean:  # stopped or failed: the workers' unfinished tasks are left undone (they commit nothing half-way)
            for process in list(getattr(pool, "_processes", {}).values()):
                with contextlib.suppress(OSError):
                    process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)


_RUNNER: TaskRunner | None = None
_PAYLOAD: tuple[Any, ...] | None = None


def _worker_init(spec_json: str, sources: list[dict[str, Any]], folder: str | None, threads: int | None) -> None:
    """In a worker: Ctrl-C is the driver's to handle; and die with the driver (Linux)."""
    global _PAYLOAD
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    _PAYLOAD = (spec_json, sources, folder, threads)


def _worker_run(item: TaskInput) -> TaskResult:
    """Run one task in a worker; the runner (and its models) is built by the first task, so a
    failure to build it reaches the driver as that task's error."""
    global _RUNNER
    if _RUNNER is None:
        assert _PAYLOAD is not None
        spec_json, sources, folder, threads = _PAYLOAD
        _RUNNER = TaskRunner(
            RunSpec.model_validate_json(spec_json), [Source.model_validate(s) for s in sources], folder, threads=threads
        )
    return _RUNNER(item)


def cpu_name() -> str:
    """The CPU's model and its int8 kernel class (speed figures name the CPU so: docs/benchmarks.md)."""
    from affectlens.benchmark import cpu_info

    info = cpu_info()
    return f"{info['model']} ({info['int8_class']})"


engines: Registry[Any] = Registry("engine")
engines.register("local", "affectlens.runs.engines:LocalEngine")
engines.register("ray", "affectlens.runs.ray_engine:RayEngine")
