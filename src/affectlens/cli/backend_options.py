"""The two options that set a backend's settings on every command, and the usage report."""

from __future__ import annotations

from typing import Any

import typer

from affectlens.cli.console import err
from affectlens.io.terminal import safe

OPTION = typer.Option(
    None,
    "--option",
    "-O",
    help="A setting of the backend, KEY=VALUE (repeat): -O base_url=http://127.0.0.1:8080/v1 -O model=qwen2.5, "
    "-O threads=1. `affectlens backends NAME` lists a backend's settings.",
)
CONFIG = typer.Option(
    None, "--backend-config", help="TOML file whose [backends.NAME] table holds the backend's settings (-O wins)."
)


def backend_settings(backend: str, options: list[str] | None, config: str | None) -> dict[str, Any]:
    """The settings of ``backend`` from ``--backend-config``/the user's config file and ``-O``, validated."""
    from affectlens.api import backend_settings as resolve
    from affectlens.settings import parse_assignments

    return resolve(backend, parse_assignments(options), config=config)


def report_usage(analyzer: Any, *, quiet: bool = False) -> None:
    """One line on stderr with what an LLM run cost, if the backend keeps such figures."""
    usage = getattr(analyzer, "usage", None)
    if usage is not None and hasattr(usage, "summary") and not quiet:
        err.print(f"{analyzer.name}: {safe(usage.summary())}", highlight=False, soft_wrap=True)
