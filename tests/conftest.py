"""Shared fixtures. Tests that need the public datasets carry the ``data`` marker and are
skipped, with the reason shown, when no data directory is found."""

from __future__ import annotations

import io
import os
import socket
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from affectlens.cli.app import main
from affectlens.evaluation.datasets.readers import ENV_DATA_DIR

REPO = Path(__file__).resolve().parents[1]
# Models a developer built locally (`affectlens conversation build`) must not change test results.
os.environ["AFFECTLENS_MODEL_DIR"] = tempfile.mkdtemp(prefix="affectlens-test-models-")


def _find_data_dir() -> Path | None:
    configured = os.environ.get(ENV_DATA_DIR)
    for candidate in ([Path(configured)] if configured else []) + [REPO.parent / "shared" / "data", Path("../shared/data")]:
        if (candidate / "goemotions" / "test.tsv").is_file():
            return candidate.resolve()
    return None


DATA_DIR = _find_data_dir()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if DATA_DIR is not None:
        return
    skip = pytest.mark.skip(reason=f"public datasets not found: set {ENV_DATA_DIR} or provide ../shared/data")
    for item in items:
        if "data" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    assert DATA_DIR is not None
    return DATA_DIR


@pytest.fixture(scope="session")
def embedded():
    """The shipped embedded analyzer, loaded once per test session."""
    from affectlens.api import get_analyzer

    return get_analyzer("embedded")


@pytest.fixture()
def fake():
    from affectlens.api import get_analyzer

    return get_analyzer("fake")


@pytest.fixture()
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Make every attempt to open a network connection or resolve a name fail loudly."""
    attempts: list[str] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(repr(args[:2]))
        raise OSError("network access attempted during a test that forbids it")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield attempts


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture()
def cli(capsys, monkeypatch):
    """Run ``affectlens ARGS`` in-process; returns exit code, stdout, stderr."""

    def run(*args: str, stdin: bytes | None = None) -> Result:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        monkeypatch.setenv("COLUMNS", "200")
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
