"""Jobs: a file analysed by the one run (:mod:`affectlens.runs`), with state that outlives the server.

The store is one SQLite file in the state folder (WAL, so readers never wait on the runner).
A job is ``queued`` → ``running`` → ``succeeded`` | ``failed`` | ``cancelled``, and belongs to
the API key (keyless: the client) that made it: any other caller is told there is no such
job (404); an admin key sees them all. Finished jobs can be deleted (their files go with
them), and are deleted after ``job_retention_hours``.

The runner (a thread of the server) claims queued jobs one at a time, atomically, and runs
each as ``python -m affectlens.runs`` in a child process at lower CPU priority: the run spec
goes in on its standard input (backend secrets never touch the disk), the outcome comes back
as one JSON line (status and a typed error) — nothing is parsed from a log. The run may open
inputs only inside the job's folder or the allowed roots, checked on every file it opens.

A server that stops — cleanly or killed — leaves its running job's run folder resumable. A
running job whose runner has not written a heartbeat for :data:`STALE_AFTER_S` seconds is
queued again, and the same spec continues the same run folder: every row once. Several
server workers share the store; each claim is one transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from affectlens.errors import OutputError
from affectlens.io.files import atomic_path
from affectlens.service.errors import NotFound, WrongState

__all__ = ["STALE_AFTER_S", "Job", "JobRunner", "JobSpec", "JobStore", "Viewer", "redact_paths"]

STALE_AFTER_S = 10.0
HEARTBEAT_S = 1.0
State = Literal["queued", "running", "succeeded", "failed", "cancelled"]
FINISHED = ("succeeded", "failed", "cancelled")
_PATH = re.compile(r"(?<![\w.~-])(?:[A-Za-z]:)?[/\\](?:[^\s'\"/\\:,;()]+[/\\])+([^\s'\"/\\:,;()]*)")


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def redact_paths(text: str | None) -> str | None:
    """``text`` with every absolute path of this machine's file system cut to its last part (no
    server path in any answer); URL paths such as ``/v1/jobs/ID`` are left as they are."""
    return None if text is None else _PATH.sub(_redacted, text)


def _redacted(match: re.Match[str]) -> str:
    whole = match.group(0)
    first = re.split(r"[/\\]", whole.lstrip("/\\"), maxsplit=1)[0]
    on_disk = bool(first) and (Path(whole[: len(whole) - len(whole.lstrip("/\\"))]) / first).exists()
    return (match.group(1) or "(folder)") if on_disk else whole


@dataclass(frozen=True)
class Viewer:
    """Who asks: the key's (or keyless client's) principal, and whether it is an admin's."""

    principal: str
    admin: bool = False


class JobSpec(BaseModel):
    """What to analyse, and how: the client's request (no server path)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="the file's name as the client gave it")
    input_format: str | None = None
    text_column: str | None = None
    id_column: str | None = None
    time_column: str | None = None
    group_columns: list[str] = Field(default_factory=list)
    taxonomy: str = "goemotions"
    explain: bool = False
    backend: str = Field("embedded", description="one of the server's backends (GET /v1/backends)")


class Job(BaseModel):
    """A job as the API shows it."""

    id: str
    state: State
    created: str
    updated: str
    spec: JobSpec
    attempts: int = Field(0, description="times a runner started it (more than 1: resumed after a restart)")
    error: dict[str, str | None] | None = Field(None, description="why it failed: type, message, hint")
    progress: dict[str, Any] = Field(default_factory=dict, description="the run's counts, when it has started")
    fraction: float = Field(0.0, ge=0.0, le=1.0, description="input rows done / planned")
    bad_rows: list[dict[str, Any]] = Field(default_factory=list, description="the first bad rows: file, line, reason")


_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    spec TEXT NOT NULL,
    input TEXT NOT NULL,
    principal TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    runner TEXT,
    heartbeat REAL,
    cancel INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    finished REAL
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, created);
CREATE INDEX IF NOT EXISTS jobs_principal ON jobs(principal, created);
"""
_DB = "jobs-v2.sqlite3"


class JobStore:
    """Jobs in ``state_dir/jobs-v2.sqlite3``; each job's files in ``state_dir/jobs/<id>/``."""

    def __init__(self, state_dir: str | Path) -> None:
        self.root = Path(state_dir)
        try:
            (self.root / "jobs").mkdir(parents=True, exist_ok=True)
            with self._db() as db:
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise OutputError(f"cannot open the job store in {self.root.name!r}: {exc}", hint="set state_dir") from exc

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.root / _DB, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            yield db
        finally:
            db.close()

    def folder(self, job_id: str) -> Path:
        return self.root / "jobs" / job_id

    def run_dir(self, job_id: str) -> Path:
        return self.folder(job_id) / "run"

    def new_id(self) -> str:
        return uuid.uuid4().hex

    def create(self, job_id: str, spec: JobSpec, input: Path, viewer: Viewer) -> Job:
        now = _now()
        with self._db() as db:
            db.execute(
                "INSERT INTO jobs (id, state, created, updated, spec, input, principal) VALUES (?, 'queued', ?, ?, ?, ?, ?)",
                (job_id, now, now, spec.model_dump_json(), str(input), viewer.principal),
            )
        return self.get(job_id, viewer)

    def _row(self, job_id: str, viewer: Viewer | None) -> sqlite3.Row:
        with self._db() as db:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None or (viewer is not None and not viewer.admin and row["principal"] != viewer.principal):
            raise NotFound(f"no job {job_id[:64]!r}", hint="GET /v1/jobs lists your jobs")
        return row

    def get(self, job_id: str, viewer: Viewer | None) -> Job:
        """The job, if ``viewer`` may see it (None: the runner, which sees every job)."""
        return self._job(self._row(job_id, viewer))

    def input_of(self, job_id: str) -> Path:
        return Path(self._row(job_id, None)["input"])

    def list(self, viewer: Viewer, limit: int = 100) -> list[Job]:
        with self._db() as db:
            if viewer.admin:
                rows = db.execute("SELECT * FROM jobs ORDER BY created DESC, id LIMIT ?", (limit,)).fetchall()
            else:
                rows = db.execute(
                    "SELECT * FROM jobs WHERE principal = ? ORDER BY created DESC, id LIMIT ?", (viewer.principal, limit)
                ).fetchall()
        return [self._job(r) for r in rows]

    def counts(self) -> dict[str, int]:
        with self._db() as db:
            return {r["state"]: r["n"] for r in db.execute("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state")}

    def _job(self, row: sqlite3.Row) -> Job:
        spec = JobSpec.model_validate_json(row["spec"])
        job = Job(
            id=row["id"],
            state=row["state"],
            created=row["created"],
            updated=row["updated"],
            spec=spec,
            attempts=row["attempts"],
            error=json.loads(row["error"]) if row["error"] else None,
        )
        manifest = self.run_dir(job.id) / "manifest.json"
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(manifest.read_text(encoding="utf-8"))
            progress = data.get("progress", {})
            job.progress = {k: v for k, v in progress.items() if k != "counts"} | {"elapsed_s": data.get("elapsed_s", 0.0)}
            if progress.get("rows"):
                job.fraction = min(1.0, progress.get("rows_done", 0) / progress["rows"])
            job.bad_rows = [
                {"file": spec.name, "line": b.get("line"), "reason": redact_paths(b.get("reason"))}
                for b in data.get("bad_examples", [])[:20]
            ]
        if job.state == "succeeded":
            job.fraction = 1.0
        return job

    def claim(self, runner: str) -> Job | None:
        """The oldest queued job, now running under ``runner`` — or None. One transaction."""
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT id FROM jobs WHERE state = 'queued' ORDER BY created, id LIMIT 1").fetchone()
            if row is None:
                db.execute("COMMIT")
                return None
            db.execute(
                "UPDATE jobs SET state = 'running', runner = ?, heartbeat = ?, attempts = attempts + 1, updated = ? WHERE id = ?",
                (runner, time.time(), _now(), row["id"]),
            )
            db.execute("COMMIT")
        return self.get(row["id"], None)

    def heartbeat(self, job_id: str, runner: str) -> bool:
        """Mark ``runner`` alive on its job; whether the job asks to be cancelled."""
        with self._db() as db:
            db.execute("UPDATE jobs SET heartbeat = ? WHERE id = ? AND runner = ?", (time.time(), job_id, runner))
            row = db.execute("SELECT cancel FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return bool(row and row["cancel"])

    def finish(self, job_id: str, state: State, error: dict[str, str | None] | None = None) -> None:
        if error:
            error = {k: redact_paths(v) for k, v in error.items()}
        with self._db() as db:
            db.execute(
                "UPDATE jobs SET state = ?, error = ?, runner = NULL, updated = ?, finished = ? WHERE id = ?",
                (state, json.dumps(error) if error else None, _now(), time.time(), job_id),
            )

    def release(self, job_id: str, runner: str) -> None:
        """Put a running job back in the queue (its runner is stopping; the run folder resumes)."""
        with self._db() as db:
            db.execute(
                "UPDATE jobs SET state = 'queued', runner = NULL, updated = ? WHERE id = ? AND runner = ? AND state = 'running'",
                (_now(), job_id, runner),
            )

    def requeue_stale(self, older_than_s: float = STALE_AFTER_S) -> int:
        """Queue again the running jobs whose runner stopped writing heartbeats (a killed server)."""
        with self._db() as db:
            cursor = db.execute(
                "UPDATE jobs SET state = 'queued', runner = NULL, updated = ? WHERE state = 'running' AND heartbeat < ?",
                (_now(), time.time() - older_than_s),
            )
            return cursor.rowcount

    def cancel(self, job_id: str, viewer: Viewer) -> Job:
        """Cancel a queued job at once, ask a running one's runner to stop it."""
        job = self.get(job_id, viewer)
        if job.state in FINISHED:
            raise WrongState(f"job {job_id} is already {job.state}", hint="DELETE it again to remove it and its files")
        with self._db() as db:
            db.execute("UPDATE jobs SET cancel = 1, updated = ? WHERE id = ?", (_now(), job_id))
            db.execute(
                "UPDATE jobs SET state = 'cancelled', updated = ?, finished = ? WHERE id = ? AND state = 'queued'",
                (_now(), time.time(), job_id),
            )
        return self.get(job_id, viewer)

    def delete(self, job_id: str, viewer: Viewer | None) -> None:
        """Remove a finished job and every file it has (its upload, run folder, result, report)."""
        job = self.get(job_id, viewer)
        if job.state not in FINISHED:
            raise WrongState(f"job {job_id} is {job.state}", hint="DELETE cancels it first; DELETE again once it is cancelled")
        with self._db() as db:
            db.execute("DELETE FROM jobs WHERE id = ? AND state IN ('succeeded', 'failed', 'cancelled')", (job_id,))
        shutil.rmtree(self.folder(job_id), ignore_errors=True)

    def purge(self, older_than_s: float) -> int:
        """Delete the jobs that finished more than ``older_than_s`` seconds ago (retention)."""
        with self._db() as db:
            rows = db.execute(
                "SELECT id FROM jobs WHERE state IN ('succeeded', 'failed', 'cancelled') AND finished < ?",
                (time.time() - older_than_s,),
            ).fetchall()
        for row in rows:
            with contextlib.suppress(NotFound, WrongState):
                self.delete(row["id"], None)
        return len(rows)

    def result(self, job_id: str, viewer: Viewer, fmt: Literal["jsonl", "parquet"]) -> Path:
        """The job's rows in input order as one file (written once, then served as it is)."""
        job = self.get(job_id, viewer)
        if job.state != "succeeded":
            raise WrongState(f"job {job_id} is {job.state}: it has a result once it has succeeded", hint="GET /v1/jobs/{id}")
        target = self.folder(job_id) / f"result.{fmt}"
        if not target.exists():
            _export(self.run_dir(job_id), target, fmt)
        return target

    def report(self, job_id: str, viewer: Viewer) -> Path:
        """The corpus report of a finished job, written once."""
        job = self.get(job_id, viewer)
        if job.state != "succeeded":
            raise WrongState(f"job {job_id} is {job.state}: it has a report once it has succeeded")
        target = self.folder(job_id) / "report.html"
        if not target.exists():
            from affectlens.corpus.report import report

            if not job.spec.time_column:
                raise WrongState(
                    f"job {job_id} has no time column, and the report draws emotions over time",
                    hint="submit the file again with time_column, or download the result",
                )
            report(self.run_dir(job_id), target, by=job.spec.group_columns)
        return target


def _export(run_dir: Path, target: Path, fmt: str) -> None:
    import pyarrow.parquet as pq

    from affectlens.runs import rows_of

    table = rows_of(run_dir)
    with atomic_path(target) as tmp:
        if fmt == "parquet":
            pq.write_table(table, tmp)
            return
        with open(tmp, "w", encoding="utf-8") as f:
            for batch in table.to_batches(10_000):
                for row in batch.to_pylist():
                    f.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")


class JobRunner:
    """Runs the store's queued jobs, one at a time, in a thread of the server.

    ``spec_of(job_id, run_dir)`` builds a job's run spec (the service's backends, limits and
    roots); the runner executes it in a child process and records how it ended."""

    def __init__(
        self,
        store: JobStore,
        spec_of: Callable[[str, Path], Any],
        *,
        on_change: Callable[[], None] | None = None,
        poll_s: float = 0.25,
        stale_after_s: float = STALE_AFTER_S,
        retention_s: float | None = None,
    ) -> None:
        self.store = store
        self.spec_of = spec_of
        self.stale_after_s = stale_after_s
        self.retention_s = retention_s
        self.name = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._on_change = on_change or (lambda: None)
        self._poll_s = poll_s
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._purged = 0.0

    def start(self) -> None:
        self.store.requeue_stale(self.stale_after_s)
        self._thread = threading.Thread(target=self._loop, name="affectlens-jobs", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the child (SIGTERM: it commits nothing half-done) and queue its job again."""
        self._stop.set()
        self._wake.set()
        process = self._process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.store.requeue_stale(self.stale_after_s)
            self._retain()
            job = self.store.claim(self.name)
            if job is None:
                self._wake.wait(1.0)
                self._wake.clear()
                continue
            self._on_change()
            try:
                self._run(job)
            except Exception as exc:  # a bug here must not kill the runner; the job says what happened
                self.store.finish(job.id, "failed", {"type": "internal_error", "message": repr(exc), "hint": None})
            self._on_change()

    def _retain(self) -> None:
        if self.retention_s is not None and time.monotonic() - self._purged > 60:
            self._purged = time.monotonic()
            if self.store.purge(self.retention_s):
                self._on_change()

    def _run(self, job: Job) -> None:
        folder = self.store.folder(job.id)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            spec = self.spec_of(job.id, self.store.run_dir(job.id))
        except Exception as exc:  # the server's config no longer allows it (a backend removed)
            from affectlens.runs import RunError

            self.store.finish(job.id, "failed", RunError.of(exc).model_dump())
            return
        env = {**os.environ, "NO_COLOR": "1"}
        with open(folder / "run.log", "ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "affectlens.runs", f"job-{job.id}"],  # the name shows in ps
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
                preexec_fn=_child_setup,
            )
            reader = _Outcome(self._process)
            assert self._process.stdin is not None
            with contextlib.suppress(BrokenPipeError):
                self._process.stdin.write(spec.model_dump_json().encode("utf-8"))
                self._process.stdin.close()
            cancelled = False
            while self._process.poll() is None:
                if self._stop.wait(HEARTBEAT_S if not cancelled else self._poll_s):
                    self._process.wait()
                    self.store.release(job.id, self.name)
                    return
                if self.store.heartbeat(job.id, self.name) and not cancelled:
                    cancelled = True
                    self._process.send_signal(signal.SIGTERM)
            outcome = reader.result()
        self._process = None
        if cancelled:
            self.store.finish(job.id, "cancelled")
        elif outcome.get("status") == "complete":
            self.store.finish(job.id, "succeeded")
        else:
            error = outcome.get("error") or {
                "type": "job_failed",
                "message": f"the analysis ended with exit code {outcome.get('code')}",
                "hint": "this is a bug in affectlens; please report it",
            }
            self.store.finish(job.id, "failed", error)


class _Outcome:
    """Reads the child's one-line JSON outcome from its stdout (in a thread: the pipe never fills)."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.lines: list[bytes] = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def result(self) -> dict[str, Any]:
        self.thread.join(5.0)
        for line in reversed(self.lines):
            with contextlib.suppress(ValueError):
                data = json.loads(line)
                if isinstance(data, dict) and "status" in data:
                    return data
        return {"status": "failed", "error": None, "code": self.process.returncode}


def _child_setup() -> None:
    """In the child, before exec: a lower CPU priority (interactive requests first), and on
    Linux a SIGTERM when the server dies, so a killed server leaves no run writing on behind it."""
    with contextlib.suppress(OSError):
        os.nice(10)
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
