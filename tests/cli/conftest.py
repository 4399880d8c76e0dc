import io
import sys
from dataclasses import dataclass

import pytest

from affectlens.cli.app import main


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
