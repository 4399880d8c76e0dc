"""The Ray engine: a run's tasks on a local Ray or a Ray cluster, through Ray Data.

The pending tasks become a dataset, one row per task (``ray.data.from_items``), mapped by
``map_batches`` with a callable class: each actor builds the analyzer once, from its
registry name and settings, and runs tasks with the same
:class:`~affectlens.runs.tasks.TaskRunner` as the local engine — reading its span of the
input with the same readers, writing its part atomically into the run folder — and hands
back the task's counts. Results are therefore the same row for row as the local engine's.

Why the parts are written by the task and not by ``write_parquet``: a part named after its
task, written atomically, is what makes the run exactly-once. Ray retries a task whose
worker died (actors restart, tasks are retried); the retry writes the same part again, and
a run killed as a whole resumes from the parts on disk, with any engine.

On a cluster, the inputs and the run folder must be at the same path on every node (a
shared file system); see docs/corpus.md.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from affectlens.errors import BackendError, ConfigError, MissingDependencyError
from affectlens.runs.manifest import Task
from affectlens.runs.sources import Source
from affectlens.runs.spec import RunSpec
from affectlens.runs.tasks import TaskInput, TaskResult, TaskRunner

__all__ = ["RayEngine"]


class _Actor:
    """One Ray actor: the run's work, loaded once, running tasks."""

    def __init__(self, spec: str, sources: list[dict[str, Any]], folder: str, threads: int) -> None:
        self.runner = TaskRunner(
            RunSpec.model_validate_json(spec), [Source.model_validate(s) for s in sources], folder, threads=threads
        )

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        results = []
        for task in batch["task"]:
            results.append(self.runner(TaskInput(Task.model_validate_json(task))).stats_json())
        return {"result": results}


class RayEngine:
    """Runs tasks on Ray: ``address`` of a cluster (None: a local Ray, started and stopped
    here), ``workers`` actors at most (default: one per CPU of the cluster), each with
    ``cpus_per_worker`` CPUs (also its models' threads)."""

    name = "ray"
    runner = None  # the tasks never run in this process

    def __init__(self, address: str | None = None, workers: int | None = None, cpus_per_worker: int = 1) -> None:
        try:
            import ray
            import ray.data  # noqa: F401
        except ImportError as exc:
            raise MissingDependencyError("ray", "ray", "the Ray engine") from exc
        self.address, self.workers, self.cpus = address, workers, cpus_per_worker

    def describe(self, spec: RunSpec, rows: int | None, tasks: int | None) -> dict[str, Any]:
        return {"address": self.address, "workers": self.workers, "threads_per_worker": self.cpus}

    def run(
        self, spec: RunSpec, sources: list[Source], folder: Path | None, items: Iterable[TaskInput], *, rows: int | None = None
    ) -> Iterator[TaskResult]:
        import ray

        if folder is None or spec.sink.kind != "folder":
            raise ConfigError("the Ray engine writes run folders", hint="use corpus analyze with -o RUN_DIR, or --engine local")
        tasks = [item.task for item in items]
        if not tasks:
            return
        started_here = not ray.is_initialized()
        if started_here:
            try:
                ray.init(address=self.address, logging_level=logging.ERROR, log_to_driver=False, include_dashboard=False)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise BackendError(f"cannot connect to the Ray cluster at {self.address!r}: {exc}") from exc
        try:
            yield from self._run(spec, sources, folder, tasks)
        finally:
            if started_here:
                ray.shutdown()

    def _run(self, spec: RunSpec, sources: list[Source], folder: Path, tasks: list[Task]) -> Iterator[TaskResult]:
        import ray
        import ray.data

        for name in ("ray", "ray.data"):  # the run reports its own progress
            logging.getLogger(name).setLevel(logging.ERROR)
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.execution_options.preserve_order = False
        workers = self.workers or max(int(ray.cluster_resources().get("CPU", 1) // self.cpus), 1)
        dataset = ray.data.from_items([{"task": t.model_dump_json()} for t in tasks], override_num_blocks=len(tasks))
        results = dataset.map_batches(
            _Actor,
            fn_constructor_kwargs={
                "spec": spec.model_dump_json(),
                "sources": [s.model_dump() for s in sources],
                "folder": str(folder),
                "threads": self.cpus,
            },
            batch_size=1,
            concurrency=(1, min(workers, len(tasks))),
            num_cpus=self.cpus,
            # a worker that dies is replaced and its task run again (it rewrites the same part);
            # Ray 2.60 takes these as remote arguments (named parameters from 2.64 on)
            max_restarts=-1,
            max_task_retries=-1,
        )
        for row in results.iter_rows():
            yield TaskResult(**json.loads(row["result"]))
