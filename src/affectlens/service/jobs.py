"""Jobs: a file analysed on the corpus engine, with state that outlives the server.

The store is one SQLite file in the state folder (WAL, so readers never wait on the runner).
A job is ``queued`` → ``running`` → ``succeeded`` | ``failed`` | ``cancelled``. The runner (a
thread of the server) claims queued jobs one at a time, atomically, and runs each as
``affectlens corpus analyze`` in a child process at lower CPU priority, so interactive
requests keep their latency; its progress is the run folder's manifest.

A server that stops — cleanly or killed — leaves its running job's run folder resumable. A
running job whose runner has not written a heartbeat for :data:`STALE_AFTER_S` seconds is
queued again, and the same command continues the same run folder: every row once (P6's
resume). Several server workers share the store; each claim is one transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from affectlens.errors import OutputError
from affectlens.io.files import atomic_path
from affectlens.service.errors import NotFound, WrongState

__all__ = ["STALE_AFTER_S", "Job", "JobRunner", "JobSpec", "JobStore"]

STALE_AFTER_S = 10.0
HEARTBEAT_S = 1.0
State = Literal["queued", "running", "succeeded", "failed", "cancelled"]
FINISHED = ("succeeded", "failed", "cancelled")


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class JobSpec(BaseModel):
    """What to analyse, and how: the options of ``affectlens corpus analyze``."""

    model_config = ConfigDict(extra="forbid")

    input: str = Field(description="the file on the server (an upload's copy, or a path under an allowed root)")
    name: str = Field(description="the file's name as the client gave it")
    input_format: str | None = None
    text_column: str | None = None
    id_column: str | None = None
    time_column: str | None = None
    group_columns: list[str] = Field(default_factory=list)
    taxonomy: str = "goemotions"
    explain: bool = False

    def command(self, run_dir: Path, chunk_rows: int, max_chars: int) -> list[str]:
        args = [sys.executable, "-m", "affectlens", "corpus", "analyze", self.input, "-o", str(run_dir), "--quiet"]
        args += ["--chunk-rows", str(chunk_rows), "--max-chars", str(max_chars), "--taxonomy", self.taxonomy]
        for flag, value in (
            ("--input-format", self.input_format),
            ("--text-column", self.text_column),
            ("--id-column", self.id_column),
            ("--time-column", self.time_column),
        ):
            if value:
                args += [flag, value]
        for group in self.group_columns:
            args += ["--group-column", group]
        return [*args, "--explain"] if self.explain else args


class Job(BaseModel):
    """A job as the API shows it."""

    id: str
    state: State
    created: str
    updated: str
    spec: JobSpec
    attempts: int = Field(0, description="times a runner started it (more than 1: resumed after a restart)")
    error: dict[str, str | None] | None = Field(None, description="why it failed: type, message, hint")
    progress: dict[str, Any] = Field(default_factory=dict, description="the run folder's counts, when it has started")
    fraction: float = Field(0.0, ge=0.0, le=1.0, description="input rows done / planned")
    bad_rows: list[dict[str, Any]] = Field(default_factory=list, description="the first bad rows: file, line, reason")


_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    spec TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    owner TEXT,
    heartbeat REAL,
    cancel INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, created);
"""


class JobStore:
    """Jobs in ``state_dir/jobs.sqlite3``; each job's files in ``state_dir/jobs/<id>/``."""

    def __init__(self, state_dir: str | Path) -> None:
        self.root = Path(state_dir)
        try:
            (self.root / "jobs").mkdir(parents=True, exist_ok=True)
            with self._db() as db:
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise OutputError(f"cannot open the job store in {str(self.root)!r}: {exc}", hint="set state_dir") from exc

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.root / "jobs.sqlite3", timeout=30, isolation_level=None)
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

    def create(self, job_id: str, spec: JobSpec) -> Job:
        now = _now()
        with self._db() as db:
            db.execute(
                "INSERT INTO jobs (id, state, created, updated, spec) VALUES (?, 'queued', ?, ?, ?)",
                (job_id, now, now, spec.model_dump_json()),
            )
        return self.get(job_id)

    def _row(self, job_id: str) -> sqlite3.Row:
        with self._db() as db:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise NotFound(f"no job {job_id!r}", hint="GET /v1/jobs lists the jobs")
        return row

    def get(self, job_id: str) -> Job:
        return self._job(self._row(job_id))

    def list(self, limit: int = 100) -> list[Job]:
        with self._db() as db:
            rows = db.execute("SELECT * FROM jobs ORDER BY created DESC, id LIMIT ?", (limit,)).fetchall()
        return [self._job(r) for r in rows]

    def counts(self) -> dict[str, int]:
        with self._db() as db:
            return {r["state"]: r["n"] for r in db.execute("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state")}

    def _job(self, row: sqlite3.Row) -> Job:
        job = Job(
            id=row["id"],
            state=row["state"],
            created=row["created"],
            updated=row["updated"],
            spec=JobSpec.model_validate_json(row["spec"]),
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
            job.bad_rows = data.get("bad_examples", [])[:20]
        if job.state == "succeeded":
            job.fraction = 1.0
        return job

    def claim(self, owner: str) -> Job | None:
        """The oldest queued job, now running under ``owner`` — or None. One transaction."""
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT id FROM jobs WHERE state = 'queued' ORDER BY created, id LIMIT 1").fetchone()
            if row is None:
                db.execute("COMMIT")
                return None
            db.execute(
                "UPDATE jobs SET state = 'running', owner = ?, heartbeat = ?, attempts = attempts + 1, updated = ? WHERE id = ?",
                (owner, time.time(), _now(), row["id"]),
            )
            db.execute("COMMIT")
        return self.get(row["id"])

    def heartbeat(self, job_id: str, owner: str) -> bool:
        """Mark ``owner`` alive on its job; whether the job asks to be cancelled."""
        with self._db() as db:
            db.execute("UPDATE jobs SET heartbeat = ? WHERE id = ? AND owner = ?", (time.time(), job_id, owner))
            row = db.execute("SELECT cancel FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return bool(row and row["cancel"])

    def finish(self, job_id: str, state: State, error: dict[str, str | None] | None = None) -> None:
        with self._db() as db:
            db.execute(
                "UPDATE jobs SET state = ?, error = ?, owner = NULL, updated = ? WHERE id = ?",
                (state, json.dumps(error) if error else None, _now(), job_id),
            )

    def release(self, job_id: str, owner: str) -> None:
        """Put a running job back in the queue (its runner is stopping; the run folder resumes)."""
        with self._db() as db:
            db.execute(
                "UPDATE jobs SET state = 'queued', owner = NULL, updated = ? WHERE id = ? AND owner = ? AND state = 'running'",
                (_now(), job_id, owner),
            )

    def requeue_stale(self, older_than_s: float = STALE_AFTER_S) -> int:
        """Queue again the running jobs whose runner stopped writing heartbeats (a killed server)."""
        with self._db() as db:
            cursor = db.execute(
                "UPDATE jobs SET state = 'queued', owner = NULL, updated = ? WHERE state = 'running' AND heartbeat < ?",
                (_now(), time.time() - older_than_s),
            )
            return cursor.rowcount

    def cancel(self, job_id: str) -> Job:
        """Cancel a queued job at once, ask a running one's runner to stop it; a finished job is left as it is."""
        job = self.get(job_id)
        if job.state in FINISHED:
            raise WrongState(f"job {job_id} is already {job.state}")
        with self._db() as db:
            db.execute("UPDATE jobs SET cancel = 1, updated = ? WHERE id = ?", (_now(), job_id))
            db.execute("UPDATE jobs SET state = 'cancelled', updated = ? WHERE id = ? AND state = 'queued'", (_now(), job_id))
        return self.get(job_id)

    def result(self, job_id: str, fmt: Literal["jsonl", "parquet"]) -> Path:
        """The job's rows in input order as one file (written once, then served as it is)."""
        job = self.get(job_id)
        if job.state != "succeeded":
            raise WrongState(f"job {job_id} is {job.state}: it has a result once it has succeeded", hint="GET /v1/jobs/{id}")
        target = self.folder(job_id) / f"result.{fmt}"
        if not target.exists():
            _export(self.run_dir(job_id), target, fmt)
        return target

    def report(self, job_id: str) -> Path:
        """The corpus report of a finished job (P6), written once."""
        job = self.get(job_id)
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
    import pyarrow as pa
    import pyarrow.parquet as pq

    parts = sorted((run_dir / "parts").glob("part-*.parquet"))
    tables = [pq.read_table(p) for p in parts]
    table = pa.concat_tables(tables, promote_options="default").sort_by([("source", "ascending"), ("line", "ascending")])
    with atomic_path(target) as tmp:
        if fmt == "parquet":
            pq.write_table(table, tmp)
            return
        with open(tmp, "w", encoding="utf-8") as f:
            for batch in table.to_batches(10_000):
                for row in batch.to_pylist():
                    f.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")


class JobRunner:
    """Runs the store's queued jobs, one at a time, in a thread of the server."""

    def __init__(
        self,
        store: JobStore,
        *,
        chunk_rows: int,
        max_chars: int,
        on_change: Callable[[], None] | None = None,
        poll_s: float = 0.25,
        stale_after_s: float = STALE_AFTER_S,
    ) -> None:
        self.store = store
        self.stale_after_s = stale_after_s
        self.chunk_rows = chunk_rows
        self.max_chars = max_chars
        self.owner = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._on_change = on_change or (lambda: None)
        self._poll_s = poll_s
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._process: subprocess.Popen[bytes] | None = None

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
            job = self.store.claim(self.owner)
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

    def _run(self, job: Job) -> None:
        folder = self.store.folder(job.id)
        folder.mkdir(parents=True, exist_ok=True)
        log = folder / "run.log"
        command = job.spec.command(self.store.run_dir(job.id), self.chunk_rows, self.max_chars)
        env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
        with open(log, "ab") as stderr:
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, env=env, preexec_fn=_child_setup
            )
            cancelled = False
            while self._process.poll() is None:
                if self._stop.wait(HEARTBEAT_S if not cancelled else self._poll_s):
                    self._process.wait()
                    self.store.release(job.id, self.owner)
                    return
                if self.store.heartbeat(job.id, self.owner) and not cancelled:
                    cancelled = True
                    self._process.send_signal(signal.SIGTERM)
            code = self._process.returncode
        self._process = None
        if cancelled:
            self.store.finish(job.id, "cancelled")
        elif code == 0:
            self.store.finish(job.id, "succeeded")
        else:
            self.store.finish(job.id, "failed", _failure(log, code))


def _child_setup() -> None:
    """In the child, before exec: a lower CPU priority (interactive requests first), and on
    Linux a SIGTERM when the server dies, so a killed server leaves no run writing on behind it."""
    with contextlib.suppress(OSError):
        os.nice(10)
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _failure(log: Path, code: int) -> dict[str, str | None]:
    """The child's own error line and hint (``affectlens: error: …`` / ``hint: …``), as an error object."""
    lines = [line.strip() for line in log.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    errors = [n for n, line in enumerate(lines) if line.startswith("affectlens: ")]
    if not errors:
        return {
            "type": "job_failed",
            "message": lines[-1] if lines else f"the analysis ended with exit code {code}",
            "hint": None,
        }
    n = errors[-1]
    message = lines[n].removeprefix("affectlens: ").removeprefix("error: ")
    hint = lines[n + 1].removeprefix("hint: ") if n + 1 < len(lines) and lines[n + 1].startswith("hint: ") else None
    return {"type": "invalid_input" if code == 2 else "job_failed", "message": message, "hint": hint}
