"""What installs affectlens outside `make test` keeps up with pyproject: the peers benchmark's
own environment (`make peers-bench`) installs affectlens without its dependencies, so it must
list them itself."""

from __future__ import annotations

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_the_peers_environment_installs_every_runtime_dependency():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {_name(r) for r in project["dependencies"] if "python_version < " not in r}
    lines = []
    for name in ("requirements-peers.txt", "requirements-peers-nodeps.txt"):
        lines += (REPO / "benchmarks" / name).read_text(encoding="utf-8").splitlines()
    peers = {_name(line) for line in lines if line.strip() and not line.startswith("#")}
    missing = runtime - peers - {"typer"}  # typer: EmoAtlas's spaCy pins an old one, and the benchmark uses the library
    assert not missing, f"benchmarks/requirements-peers.txt lacks {sorted(missing)}"
