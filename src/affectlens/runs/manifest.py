"""A run's folder, its one manifest, and its identity.

::

    RUN/
      manifest.json              RunManifest: identity, status, typed error, progress, what the work recorded
      plan.json                  the sources read and the tasks: which span of which source each one reads
      .lock                      held while a run writes here: a second run into the folder is refused
      parts/part-000042.parquet  the rows of task 42 (a run folder; written atomically; its presence = done)
      bad/part-000042.jsonl      the bad rows of task 42, with file, line and reason
      ...                        what the work prepared (posts.parquet, conversations.jsonl, ...)

A file output keeps the same manifest and plan in a hidden folder beside it
(``.NAME.affectlens-run/``), with the output's commit marker in the manifest; it goes when
the run succeeds. A task's rows and bad rows are written before the part that marks it
done, each atomically, so a task is done whole or not at all; the counters are rebuilt
from the parts when a run resumes. Parquet readers (pyarrow, polars, DuckDB, Spark) read
``parts/`` as one dataset.

**Identity.** A run is its inputs (fingerprints), the settings that change its rows
(:meth:`~affectlens.runs.spec.RunSpec.identity_settings`) and the versions that do
(affectlens, onnxruntime). :meth:`Identity.check_same` is the one same-run check: a run is
continued only on the same identity; otherwise one line says what differs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from affectlens.errors import AffectlensError, InputError, OutputError
from affectlens.io.files import atomic_write
from affectlens.io.readers import Span
from affectlens.runs.sources import Source

__all__ = [
    "MAX_BAD_EXAMPLES",
    "RUN_FORMAT",
    "Identity",
    "Progress",
    "RunError",
    "RunFolder",
    "RunLocked",
    "RunManifest",
    "Task",
    "versions",
    "warn_if_incomplete",
]

RUN_FORMAT = "affectlens-run@2"
MAX_BAD_EXAMPLES = 100
#: versions whose change changes rows: a run is not continued across them
CHECKED_VERSIONS = ("affectlens", "onnxruntime")
Status = Literal["running", "complete", "stopped", "failed"]


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Task(_Model):
    """One unit of work: a span of one source (or, for a streamed input, the next rows read)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    index: int
    source: int = Field(description="index into the plan's sources")
    start: int
    first_line: int
    count: int

    @property
    def span(self) -> Span:
        return Span(self.start, self.first_line, self.count)


class Progress(_Model):
    tasks: int = 0
    tasks_done: int = 0
    rows: int = Field(0, description="input rows (lines, records) planned; 0 when the input is streamed")
    rows_done: int = Field(0, description="input rows of the tasks done")
    analysed: int = 0
    bad_rows: int = 0
    reused: int = Field(0, description="rows whose result was reused from an identical one (fewer after an interruption)")
    without_time: int = Field(0, description="analysed rows whose time could not be read")
    counts: dict[str, int] = Field(default_factory=dict, description="the work's own counters (e.g. failed annotations)")

    @property
    def fraction(self) -> float:
        return (
            min(1.0, self.rows_done / self.rows) if self.rows else (1.0 if self.tasks and self.tasks_done == self.tasks else 0.0)
        )


class RunError(_Model):
    """Why a run failed or stopped: a stable ``type``, a message and what to do."""

    type: str = Field(description="invalid_input, invalid_option, backend_error, storage_error, interrupted, internal_error")
    message: str
    hint: str | None = None

    @classmethod
    def of(cls, exc: BaseException) -> RunError:
        from affectlens.errors import BackendError, ConfigError, UserError

        if isinstance(exc, KeyboardInterrupt):
            return cls(type="interrupted", message="the run was interrupted", hint="run the same command again to continue")
        if isinstance(exc, AffectlensError):
            kind = (
                "invalid_option"
                if isinstance(exc, ConfigError)
                else "invalid_input"
                if isinstance(exc, UserError)
                else "storage_error"
                if isinstance(exc, OutputError)
                else "backend_error"
                if isinstance(exc, BackendError)
                else "run_error"
            )
            return cls(type=kind, message=exc.message, hint=exc.hint)
        if isinstance(exc, OSError):
            return cls(type="storage_error", message=str(OutputError.from_os_error(exc)))
        return cls(
            type="internal_error", message=f"{type(exc).__name__}: {exc}", hint="this is a bug in affectlens; please report it"
        )


def versions() -> dict[str, str | None]:
    """The versions of what makes the rows."""
    from importlib.metadata import PackageNotFoundError, version

    from affectlens import __version__

    out: dict[str, str | None] = {"affectlens": __version__, "python": platform.python_version()}
    for package in ("onnxruntime", "pyarrow", "numpy"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = None
    return out


class Identity(_Model):
    inputs: list[Source] = Field(description="the inputs as given (fingerprinted), before any preparation")
    settings: dict[str, Any] = Field(description="everything that changes the rows")
    versions: dict[str, str | None] = Field(default_factory=dict)

    def check_same(self, now: Identity, where: str) -> None:
        """Refuse to continue the run ``where`` unless ``now`` is this identity (one line says what differs)."""
        then_files = [(s.path, s.bytes, s.ends_sha256) for s in self.inputs]
        now_files = [(s.path, s.bytes, s.ends_sha256) for s in now.inputs]
        if then_files != now_files:
            changed = sorted({p for p, *_ in set(then_files) ^ set(now_files)})
            raise InputError(
                f"the input differs from the one {where} was started on: {', '.join(changed) or 'the order of its files'}",
                hint="continue with the same input, or start afresh (--restart; for a file output, drop --resume)",
            )
        differences = [
            f"{key}: {json.dumps(self.settings.get(key), default=str)} then, {json.dumps(now.settings.get(key), default=str)} now"
            for key in sorted(set(self.settings) | set(now.settings))
            if self.settings.get(key) != now.settings.get(key)
        ]
        differences += [
            f"{name} {self.versions.get(name)} then, {now.versions.get(name)} now"
            for name in CHECKED_VERSIONS
            if self.versions.get(name) != now.versions.get(name)
        ]
        if differences:
            raise InputError(
                f"the settings differ from the ones {where} was started with, so its rows would not match: "
                + "; ".join(differences),
                hint="continue with the same options, or start afresh (--restart; for a file output, drop --resume)",
            )


class RunManifest(_Model):
    format: str = RUN_FORMAT
    status: Status = "running"
    error: RunError | None = Field(None, description="why the run failed or stopped")
    command: str | None = None
    created: str = Field(default_factory=_now)
    updated: str | None = None
    identity: Identity
    spec: dict[str, Any] = Field(default_factory=dict, description="the run spec (secrets masked)")
    engine: str = "local"
    engine_settings: dict[str, Any] = Field(default_factory=dict, description="workers, threads: how it ran, not what")
    backend_id: str | None = Field(None, description="the versioned backend that wrote the rows")
    progress: Progress = Field(default_factory=Progress)
    bad_examples: list[dict[str, Any]] = Field(default_factory=list)
    elapsed_s: float = 0.0
    output: dict[str, int] = Field(default_factory=dict, description="a file output's commit marker")
    details: dict[str, Any] = Field(default_factory=dict, description="what the work recorded (threads, problems, scores…)")

    @property
    def inputs(self) -> list[Source]:
        return self.identity.inputs

    @property
    def settings(self) -> dict[str, Any]:
        return self.identity.settings

    @property
    def versions(self) -> dict[str, str | None]:
        return self.identity.versions

    @property
    def complete(self) -> bool:
        return self.status == "complete"

    def incomplete_note(self) -> str | None:
        """One line when this run's figures cannot be trusted as the whole input's, else None."""
        if self.complete:
            return None
        p = self.progress
        done = f"{p.rows_done:,} of {p.rows:,} rows" if p.rows else f"{p.tasks_done:,} of {p.tasks:,} tasks"
        state = {"running": "still running, or was killed", "stopped": "interrupted", "failed": "failed"}[self.status]
        return f"the run is incomplete ({state}): {done} done; figures cover only those rows"


def warn_if_incomplete(manifest: RunManifest, where: str) -> str | None:
    """Say on the ``affectlens`` logger (the CLI's stderr) when ``manifest``'s run is incomplete;
    the note, for the output to carry, or None."""
    note = manifest.incomplete_note()
    if note is not None:
        import logging

        logging.getLogger("affectlens").warning("%s: %s", where, note)
    return note


class RunFolder:
    """The files of one run (see the module docstring)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.manifest_path = self.path / "manifest.json"
        self.plan_path = self.path / "plan.json"
        self.lock_path = self.path / ".lock"
        self.parts = self.path / "parts"
        self.bad = self.path / "bad"

    def part(self, task: int) -> Path:
        return self.parts / f"part-{task:06d}.parquet"

    def bad_file(self, task: int) -> Path:
        return self.bad / f"part-{task:06d}.jsonl"

    def exists(self) -> bool:
        return self.manifest_path.exists()

    def done(self) -> set[int]:
        """Tasks whose part is on disk."""
        if not self.parts.is_dir():
            return set()
        out = set()
        for p in self.parts.glob("part-*.parquet"):
            with contextlib.suppress(ValueError):
                out.add(int(p.stem.split("-")[1]))
        return out

    def load_manifest(self) -> RunManifest:
        try:
            raw = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise InputError(
                f"{str(self.path)!r} is not an affectlens run folder (no manifest.json)",
                hint="run `affectlens corpus analyze INPUT -o RUN_DIR` first",
            ) from exc
        except (OSError, ValueError) as exc:
            raise InputError(f"the manifest of {str(self.path)!r} cannot be read: {exc}") from exc
        if isinstance(raw, dict) and raw.get("format") != RUN_FORMAT:
            raise InputError(
                f"{str(self.path)!r} was written by another version of affectlens ({raw.get('format')!r})",
                hint="run it again into a new folder",
            )
        try:
            return RunManifest.model_validate(raw)
        except ValidationError as exc:
            raise InputError(f"the manifest of {str(self.path)!r} is damaged: {exc.errors()[0]['msg']}") from exc

    def save_manifest(self, manifest: RunManifest) -> None:
        manifest.updated = _now()
        atomic_write(self.manifest_path, lambda f: f.write(manifest.model_dump_json(indent=2).encode("utf-8")))

    def load_plan(self) -> tuple[list[Source], list[Task]]:
        try:
            raw = json.loads(self.plan_path.read_text(encoding="utf-8"))
            return [Source.model_validate(s) for s in raw["sources"]], [Task.model_validate(t) for t in raw["tasks"]]
        except (OSError, ValueError, KeyError, TypeError, ValidationError) as exc:
            raise InputError(f"the plan of {str(self.path)!r} cannot be read: {exc}", hint="start afresh (--restart)") from exc

    def save_plan(self, sources: list[Source], tasks: list[Task]) -> None:
        body = json.dumps(
            {"sources": [s.model_dump() for s in sources], "tasks": [t.model_dump() for t in tasks]}, separators=(",", ":")
        )
        atomic_write(self.plan_path, lambda f: f.write(body.encode("utf-8")))

    def clear(self, work_files: Iterable[str] = ()) -> None:
        """Remove what a run wrote here (``--restart``): its manifest, plan, parts, bad rows and
        the ``work_files`` its work prepared; any other file (a report saved here) is left alone."""
        for name in ("manifest.json", "plan.json", "parts", "bad", *work_files):
            target = self.path / name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target, ignore_errors=True)
            else:
                target.unlink(missing_ok=True)

    def is_foreign(self) -> bool:
        """A folder that holds files but no run: not ours to write into."""
        return self.path.is_dir() and not self.exists() and any(p.name != ".lock" for p in self.path.iterdir())

    def bad_rows(self) -> list[dict[str, Any]]:
        """Every bad row of the tasks done, in task order."""
        rows: list[dict[str, Any]] = []
        for task in sorted(self.done()):
            path = self.bad_file(task)
            if path.exists():
                rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        return rows

    @contextlib.contextmanager
    def locked(self) -> Any:
        """Hold the folder's lock for a run; a second run into it is one clear error (exit 2)."""
        self.path.mkdir(parents=True, exist_ok=True)
        try:
            handle = open(self.lock_path, "a+")  # noqa: SIM115 (held for the block)
        except OSError as exc:
            raise OutputError.from_os_error(exc, repr(str(self.path))) from exc
        try:
            _lock(handle, self.path)
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            yield self
        finally:
            handle.close()  # closing releases the lock


def _lock(handle: IO[str], folder: Path) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks here
        return
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        handle.seek(0)
        holder = handle.read().strip()
        handle.close()
        raise RunLocked(
            f"another affectlens run{f' (process {holder})' if holder.isdigit() else ''} is writing into {str(folder)!r}",
            hint="wait for it to finish, or stop it; then run the same command to continue",
        ) from exc


class RunLocked(InputError):
    """Another run holds the folder's lock."""
