"""The Ray engine: a run's tasks on a local Ray or a Ray cluster, through Ray Data.

The pending tasks become a dataset, one row per task (``ray.data.from_items``), mapped by
``map_batches`` with a callable class: each actor builds the analyzer once, from its
registry name and settings, and runs tasks with the same
:class:`~affectlens.corpus.worker.TaskRunner` as the local engine — reading its span of the
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
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from affectlens.corpus.manifest import Task
from affectlens.corpus.worker import RunSpec, TaskResult
from affectlens.errors import BackendError, MissingDependencyError

__all__ = ["RayEngine"]


class _Actor:
    """One Ray actor: an analyzer, loaded once, running tasks."""

    def __init__(self, spec: RunSpec) -> None:
        from affectlens.corpus.worker import TaskRunner

        self.runner = TaskRunner(spec)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        results = []
        for task in batch["task"]:
            results.append(self.runner(Task.model_validate_json(task)).to_json())
        return {"result": results}


class RayEngine:
    """Runs tasks on Ray: ``address`` of a cluster (None: a local Ray, started and stopped
    here), ``workers`` actors at most (default: one per CPU of the cluster), each with
    ``cpus_per_worker`` CPUs (also its analyzer's threads)."""

    name = "ray"

    def __init__(self, address: str | None = None, workers: int | None = None, cpus_per_worker: int = 1) -> None:
        try:
            import ray
            import ray.data  # noqa: F401
        except ImportError as exc:
            raise MissingDependencyError("ray", "ray", "the Ray engine") from exc
        self.address, self.workers, self.cpus = address, workers, cpus_per_worker

    def run(self, spec: RunSpec, tasks: list[Task]) -> Iterator[TaskResult]:
        import ray

        if not tasks:
            return
        started_here = not ray.is_initialized()
        if started_here:
            try:
                ray.init(address=self.address, logging_level=logging.ERROR, log_to_driver=False, include_dashboard=False)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise BackendError(f"cannot connect to the Ray cluster at {self.address!r}: {exc}") from exc
        try:
            yield from self._run(spec, tasks)
        finally:
            if started_here:
                ray.shutdown()

    def _run(self, spec: RunSpec, tasks: list[Task]) -> Iterator[TaskResult]:
        import ray
        import ray.data

        for name in ("ray", "ray.data"):  # the run reports its own progress
            logging.getLogger(name).setLevel(logging.ERROR)
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.execution_options.preserve_order = False
        if spec.backend == "embedded":  # one thread per CPU the actor holds: no oversubscription
            spec = replace(spec, backend_settings={**spec.backend_settings, "threads": self.cpus})
        workers = self.workers or max(int(ray.cluster_resources().get("CPU", 1) // self.cpus), 1)
        dataset = ray.data.from_items([{"task": t.model_dump_json()} for t in tasks], override_num_blocks=len(tasks))
        results = dataset.map_batches(
            _Actor,
            fn_constructor_kwargs={"spec": spec},
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
