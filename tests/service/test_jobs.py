"""Jobs: files analysed on the corpus engine; state that survives the server."""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from tests.service.conftest import assert_error, ready, serve, wait_for_job

from affectlens.service import ServiceConfig
from affectlens.service.jobs import JobSpec, JobStore, Viewer

TEXTS = [
    "Thanks so much, I'm really happy",
    "This is infuriating, nobody called me back.",
    "I miss her every single day.",
    "What a surprise, I did not expect that at all!",
    "ok",
]


def write_csv(path: Path, rows: int, *, bad_row: bool = False) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "body", "created"])
        for n in range(rows):
            w.writerow([f"r{n}", f"{TEXTS[n % len(TEXTS)]} #{n}", f"2024-03-{1 + n % 28:02d}T10:00:00Z"])
    if bad_row:
        with open(path, "ab") as f:
            f.write(b'r-bad,"caf\xe9",2024-03-02\n')
    return path


def test_an_uploaded_file_becomes_a_job_with_results_and_a_report(client, tmp_path, state_dir):
    src = write_csv(tmp_path / "posts.csv", 120, bad_row=True)
    with open(src, "rb") as f:
        response = client.post(
            "/v1/jobs",
            files={"file": ("posts.csv", f, "text/csv")},
            data={"text_column": "body", "time_column": "created", "taxonomy": "ekman"},
        )
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"] == f"/v1/jobs/{job['id']}"
    assert job["state"] in ("queued", "running") and job["spec"]["name"] == "posts.csv"
    job = wait_for_job(client, job["id"])
    assert job["state"] == "succeeded", job
    assert job["fraction"] == 1.0 and job["progress"]["analysed"] == 120 and job["progress"]["bad_rows"] == 1
    assert job["bad_rows"][0]["line"] == 122 and "UTF-8" in job["bad_rows"][0]["reason"]
    rows = [json.loads(line) for line in client.get(f"/v1/jobs/{job['id']}/result").text.splitlines()]
    assert [r["id"] for r in rows] == [f"r{n}" for n in range(120)]  # every row once, in input order
    assert rows[1]["taxonomy"].startswith("ekman") and "anger" in rows[1]["labels"]
    parquet = client.get(f"/v1/jobs/{job['id']}/result", params={"format": "parquet"})
    assert parquet.status_code == 200 and parquet.content[:4] == b"PAR1"
    report = client.get(f"/v1/jobs/{job['id']}/report")
    assert report.status_code == 200 and "<h2>" in report.text and "posts.csv" in report.text
    listed = client.get("/v1/jobs").json()["jobs"]
    assert job["id"] in [j["id"] for j in listed]
    assert 'affectlens_jobs{state="succeeded"}' in client.get("/metrics").text
    folder = state_dir / "jobs" / job["id"]
    assert (folder / "input" / "posts.csv").exists() and (folder / "result.jsonl").exists()
    assert client.delete(f"/v1/jobs/{job['id']}").status_code == 204  # a finished job is deleted, files and all
    assert not folder.exists()
    assert_error(client.get(f"/v1/jobs/{job['id']}"), 404, "not_found")
    assert job["id"] not in [j["id"] for j in client.get("/v1/jobs").json()["jobs"]]


def test_job_errors(client, tmp_path, state_dir):
    src = write_csv(tmp_path / "posts.csv", 5)
    folders = set((state_dir / "jobs").iterdir())
    with open(src, "rb") as f:
        missing = client.post("/v1/jobs", files={"file": ("posts.csv", f)}, data={"text_column": "text"})
    assert "text" in assert_error(missing, 422, "invalid_input")["message"]
    assert set((state_dir / "jobs").iterdir()) == folders  # the refused upload is not kept
    assert_error(client.post("/v1/jobs", data={"taxonomy": "ekman"}), 422, "invalid_input")  # neither file nor path
    with open(src, "rb") as f:
        assert_error(client.post("/v1/jobs", files={"file": ("posts.xlsx", f)}), 422, "invalid_input")
    with open(src, "rb") as f:
        assert_error(client.post("/v1/jobs", files={"file": ("p.csv", f)}, data={"taxonomy": "nope"}), 422, "unknown_name")
    assert_error(client.post("/v1/jobs", data={"path": str(src)}), 403, "forbidden")  # not under an allowed root
    outside = state_dir / "allowed" / ".." / "jobs.sqlite3"
    assert_error(client.post("/v1/jobs", data={"path": str(outside)}), 403, "forbidden")
    assert_error(client.post("/v1/jobs", data={"path": str(state_dir / "allowed" / "none.csv")}), 422, "invalid_input")
    for unreadable in ("a\x00b.csv", "a" * 5000):  # a NUL, a name too long: refused, never a 500
        assert_error(client.post("/v1/jobs", data={"path": str(state_dir / "allowed" / unreadable)}), 422, "invalid_input")
    assert_error(client.get("/v1/jobs/ffff/result"), 404, "not_found")


def test_a_server_side_path_and_a_job_without_time(client, tmp_path, state_dir):
    src = write_csv(state_dir / "allowed" / "here.csv", 30)
    response = client.post("/v1/jobs", data={"path": str(src), "text_column": "body"})
    assert response.status_code == 202, response.text
    job = wait_for_job(client, response.json()["id"])
    assert job["state"] == "succeeded" and job["progress"]["analysed"] == 30
    error = assert_error(client.get(f"/v1/jobs/{job['id']}/report"), 409, "wrong_state")
    assert "time" in error["message"]


def test_cancel_a_queued_job_and_a_running_one(tmp_path):
    config = ServiceConfig(state_dir=tmp_path / "state", conversations=False, job_chunk_rows=20)
    with serve(config) as client:
        ready(client)
        src = write_csv(tmp_path / "posts.csv", 3000)
        ids = []
        for _ in range(2):
            with open(src, "rb") as f:
                ids.append(client.post("/v1/jobs", files={"file": ("posts.csv", f)}, data={"text_column": "body"}).json()["id"])
        wait_for_job(client, ids[0], until=("running",))
        queued = client.delete(f"/v1/jobs/{ids[1]}").json()
        assert queued["state"] == "cancelled"
        assert client.delete(f"/v1/jobs/{ids[0]}").status_code == 200
        job = wait_for_job(client, ids[0], timeout=60)
        assert job["state"] == "cancelled" and job["fraction"] < 1.0
        assert_error(client.get(f"/v1/jobs/{ids[0]}/result"), 409, "wrong_state")


def test_a_restart_in_the_middle_of_a_job_completes_it_with_each_row_once(tmp_path):
    """The app stops (its runner stops the run), a new app on the same state resumes the job."""
    state = tmp_path / "state"
    src = write_csv(tmp_path / "posts.csv", 2000)
    config = ServiceConfig(state_dir=state, conversations=False, job_chunk_rows=40)
    with serve(config) as client:
        ready(client)
        with open(src, "rb") as f:
            job_id = client.post("/v1/jobs", files={"file": ("posts.csv", f)}, data={"text_column": "body"}).json()["id"]
        deadline = time.monotonic() + 120
        while client.get(f"/v1/jobs/{job_id}").json()["progress"].get("rows_done", 0) < 200:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    stopped = JobStore(state).get(job_id, None)
    assert stopped.state == "queued" and 0 < stopped.progress["rows_done"] < 2000
    with serve(config) as client:
        job = wait_for_job(ready(client), job_id)
        assert job["state"] == "succeeded" and job["attempts"] == 2
        rows = [json.loads(line) for line in client.get(f"/v1/jobs/{job_id}/result").text.splitlines()]
    assert [r["id"] for r in rows] == [f"r{n}" for n in range(2000)]


def test_a_stale_running_job_is_queued_again(tmp_path):
    store = JobStore(tmp_path)
    store.create("a" * 32, JobSpec(name="x.csv"), tmp_path / "x.csv", Viewer("client:127.0.0.1"))
    assert store.claim("dead-server").state == "running"
    assert store.claim("other") is None  # one job, one runner
    assert store.requeue_stale(older_than_s=60) == 0  # its heartbeat is fresh
    time.sleep(0.05)
    assert store.requeue_stale(older_than_s=0.01) == 1
    again = store.claim("new-server")
    assert again.state == "running" and again.attempts == 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _runs_of(job_id: str) -> list[int]:
    """Processes whose command line names the job (its `python -m affectlens.runs` child)."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and job_id.encode() in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except OSError:
            pass
    return pids


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to find the job's child process (Linux)")
def test_killing_the_server_process_mid_job_then_starting_it_again(tmp_path):
    """`affectlens serve` killed with SIGKILL during a job: its child run dies with it, and the
    next server finishes the job with every row once."""
    state, port = tmp_path / "state", _free_port()
    config = tmp_path / "service.toml"
    config.write_text(f'state_dir = "{state}"\nconversations = false\njob_chunk_rows = 40\njob_stale_after_s = 2\n')
    src = write_csv(tmp_path / "posts.csv", 3000)
    command = [sys.executable, "-m", "affectlens", "serve", "--config", str(config), "--port", str(port)]
    base = f"http://127.0.0.1:{port}"

    def start() -> subprocess.Popen:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/readyz").status_code == 200:
                    return process
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        process.kill()
        raise AssertionError("the server did not become ready")

    server = start()
    try:
        with open(src, "rb") as f:
            job_id = httpx.post(base + "/v1/jobs", files={"file": ("posts.csv", f)}, data={"text_column": "body"}).json()["id"]
        deadline = time.monotonic() + 120
        while httpx.get(f"{base}/v1/jobs/{job_id}").json()["progress"].get("rows_done", 0) < 200:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert _runs_of(job_id)  # the job runs in a child process
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
        deadline = time.monotonic() + 60  # on a busy machine the child may take seconds to go: poll, never sleep once
        while _runs_of(job_id):
            assert time.monotonic() < deadline, "the job's child outlived the server"
            time.sleep(0.1)
        server = start()
        deadline = time.monotonic() + 180
        while (job := httpx.get(f"{base}/v1/jobs/{job_id}").json())["state"] != "succeeded":
            assert job["state"] in ("queued", "running") and time.monotonic() < deadline, job
            time.sleep(0.3)
        rows = [json.loads(line) for line in httpx.get(f"{base}/v1/jobs/{job_id}/result").text.splitlines()]
        assert [r["id"] for r in rows] == [f"r{n}" for n in range(3000)]
        assert job["attempts"] == 2
    finally:
        server.terminate()
        server.wait(30)
