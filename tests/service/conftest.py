"""The service in process: the app's own lifespan, through httpx's ASGI transport (Starlette's
TestClient), with the real embedded and conversation models."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="needs affectlens[serve]: run `make test`")

from fastapi.testclient import TestClient

from affectlens.service import ServiceConfig, create_app


def ready(client: TestClient, timeout: float = 120.0) -> TestClient:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.get("/readyz").status_code == 200:
            return client
        time.sleep(0.1)
    raise AssertionError(f"not ready: {client.get('/readyz').json()}")


def serve(config: ServiceConfig) -> TestClient:
    """A client whose app is started (lifespan) — use as a context manager."""
    return TestClient(create_app(config), raise_server_exceptions=False, base_url="http://127.0.0.1")


def wait_for_job(
    client: TestClient, job_id: str, timeout: float = 120.0, until=("succeeded", "failed", "cancelled"), headers=None
) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}", headers=headers).json()
        if job["state"] in until:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {job['state']}: {job}")


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("service-state")


@pytest.fixture(scope="module")
def client(state_dir: Path) -> Iterator[TestClient]:
    """One started app for a module: default limits, the embedded model, no API keys."""
    # schemathesis's ASGI client sends "Host: testserver": a host this server is configured to answer
    config = ServiceConfig(
        state_dir=state_dir, job_chunk_rows=50, allowed_roots=[state_dir / "allowed"], allowed_hosts=["testserver"]
    )
    (state_dir / "allowed").mkdir()
    with serve(config) as c:
        yield ready(c)


def assert_error(response, status: int, kind: str) -> dict:
    """Every error has one shape: {"error": {"type", "message", "hint"}}."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"type", "message", "hint"}, body
    assert body["error"]["type"] == kind, body
    assert body["error"]["message"]
    return body["error"]
