"""Engines run a run's pending tasks and hand back each task's result as it finishes.

An engine is small: ``run(spec, tasks)`` yields :class:`~affectlens.corpus.worker.TaskResult`
objects (in any order). Both run the same :class:`~affectlens.corpus.worker.TaskRunner`, so
the rows are the same whichever engine wrote them; only where the work happens differs.

- ``local``: this process, one task after another.
- ``ray``: Ray Data over a local or remote Ray cluster (:mod:`affectlens.corpus.ray_engine`;
  ``pip install 'affectlens[ray]'``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from affectlens.corpus.manifest import Task
from affectlens.corpus.worker import RunSpec, TaskResult, TaskRunner
from affectlens.errors import ConfigError

__all__ = ["ENGINES", "Engine", "LocalEngine", "get_engine"]

ENGINES = ("local", "ray")


class Engine(Protocol):
    name: str

    def run(self, spec: RunSpec, tasks: list[Task]) -> Iterator[TaskResult]: ...


class LocalEngine:
    """Runs the tasks in this process, in order."""

    name = "local"

    def run(self, spec: RunSpec, tasks: list[Task]) -> Iterator[TaskResult]:
        if not tasks:
            return
        runner = TaskRunner(spec)
        for task in tasks:
            yield runner(task)


def get_engine(name: str, **settings: Any) -> Engine:
    """The engine called ``name`` (``local`` or ``ray``, with ``address`` and ``workers`` for Ray)."""
    if name == "local":
        if settings:
            raise ConfigError(
                f"the local engine takes no settings (got {', '.join(settings)})", hint="--ray-address needs --engine ray"
            )
        return LocalEngine()
    if name == "ray":
        from affectlens.corpus.ray_engine import RayEngine

        return RayEngine(**settings)
    from affectlens.errors import UnknownNameError

    raise UnknownNameError("engine", name, ENGINES)
