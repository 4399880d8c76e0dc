"""A run folder and its manifest: what was read, with what, how far it got.

::

    RUN_DIR/
      manifest.json              this file's model: inputs, settings, versions, progress, status
      plan.json                  the tasks: which span of which input each one reads
      parts/part-000042.parquet  the rows of task 42 (written atomically; its presence = done)
      bad/part-000042.jsonl      the bad rows of task 42, with file, line and reason

A task's rows and bad rows are written before the part that marks it done, each atomically,
so a task is either done whole or not at all; the manifest's counters are rebuilt from the
parts when a run resumes. Parquet readers (pyarrow, polars, DuckDB, Spark) read ``parts/``
as one dataset.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from affectlens.corpus.sources import Source
from affectlens.errors import InputError
from affectlens.io.files import atomic_write
from affectlens.io.readers import Span

__all__ = ["RUN_FORMAT", "Progress", "RunDir", "RunManifest", "Task"]

RUN_FORMAT = "affectlens-run@1"
MAX_BAD_EXAMPLES = 100


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class Task(BaseModel):
    """One unit of work: a span of one input file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    index: int
    source: int  # index into the manifest's inputs
    start: int
    first_line: int
    count: int

    @property
    def span(self) -> Span:
        return Span(self.start, self.first_line, self.count)


class Progress(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tasks: int = 0
    tasks_done: int = 0
    rows: int = Field(0, description="input rows (lines, records) planned")
    rows_done: int = Field(0, description="input rows of the tasks done")
    analysed: int = 0
    bad_rows: int = 0
    reused: int = Field(
        0, description="rows whose text was analysed before in the run (its result reused); fewer after an interruption"
    )
    without_time: int = Field(0, description="analysed rows whose time could not be read")
    counts: dict[str, int] = Field(default_factory=dict, description="the work's own counters (e.g. failed annotations)")


class RunManifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: str = RUN_FORMAT
    status: Literal["running", "complete", "stopped"] = "running"
    command: str | None = None
    created: str = Field(default_factory=_now)
    updated: str | None = None
    inputs: list[Source]
    settings: dict[str, Any] = Field(description="everything that changes the rows: backend, model, options, columns")
    versions: dict[str, str | None] = Field(default_factory=dict)
    engine: str = "local"
    progress: Progress = Field(default_factory=Progress)
    bad_examples: list[dict[str, Any]] = Field(default_factory=list)
    elapsed_s: float = 0.0


class RunDir:
    """The files of a run folder (see the module docstring)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.manifest_path = self.path / "manifest.json"
        self.plan_path = self.path / "plan.json"
        self.parts = self.path / "parts"
        self.bad = self.path / "bad"

    def part(self, task: int) -> Path:
        return self.parts / f"part-{task:06d}.parquet"

    def bad_file(self, task: int) -> Path:
        return self.bad / f"part-{task:06d}.jsonl"

    def exists(self) -> bool:
        return self.manifest_path.exists()

    def done(self) -> set[int]:
        """Tasks whose part is written."""
        if not self.parts.exists():
            return set()
        return {int(p.stem.split("-")[1]) for p in self.parts.glob("part-*.parquet")}

    def load_manifest(self) -> RunManifest:
        try:
            return RunManifest.model_validate_json(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise InputError(
                f"{str(self.path)!r} is not an affectlens run folder (no manifest.json)",
                hint="run `affectlens corpus analyze INPUT -o RUN_DIR` first",
            ) from exc
        except (OSError, ValidationError, ValueError) as exc:
            raise InputError(f"the manifest of {str(self.path)!r} cannot be read: {exc}") from exc

    def save_manifest(self, manifest: RunManifest) -> None:
        manifest.updated = _now()
        atomic_write(self.manifest_path, lambda f: f.write(manifest.model_dump_json(indent=2).encode("utf-8")))

    def load_plan(self) -> list[Task]:
        try:
            raw = json.loads(self.plan_path.read_text(encoding="utf-8"))
            return [Task.model_validate(t) for t in raw["tasks"]]
        except (OSError, ValueError, KeyError, ValidationError) as exc:
            raise InputError(f"the plan of {str(self.path)!r} cannot be read: {exc}", hint="use --restart") from exc

    def save_plan(self, tasks: list[Task]) -> None:
        body = json.dumps({"tasks": [t.model_dump() for t in tasks]}, separators=(",", ":"))
        atomic_write(self.plan_path, lambda f: f.write(body.encode("utf-8")))

    def clear(self) -> None:
        """Remove everything a run wrote here (``--restart``); other files are left alone."""
        for folder in (self.parts, self.bad):
            shutil.rmtree(folder, ignore_errors=True)
        for file in (self.manifest_path, self.plan_path):
            file.unlink(missing_ok=True)

    def bad_rows(self) -> list[dict[str, Any]]:
        """Every bad row of the tasks done, in task order."""
        rows: list[dict[str, Any]] = []
        for task in sorted(self.done()):
            path = self.bad_file(task)
            if path.exists():
                rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        return rows
