"""What every command that executes a run shares: the engine options, the progress bar, the
lines about how it ran and how to continue it."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from typing import Any

import typer

from affectlens.cli.console import err, progress
from affectlens.io.terminal import safe

ENGINE = typer.Option(
    "local", "--engine", help="local (worker processes on this machine) or ray (pip install 'affectlens[ray]')."
)
RAY_ADDRESS = typer.Option(None, "--ray-address", help="Ray cluster to use, e.g. ray://head:10001 [default: a local Ray].")
WORKERS = typer.Option(
    None, "--workers", min=1, help="Local engine: worker processes [default: one per CPU for large inputs, else this process]."
)
THREADS = typer.Option(
    None, "--threads", min=1, help="onnxruntime threads per worker [default: 1 with several workers, else every CPU]."
)


def engine_spec(engine: str, ray_address: str | None, workers: int | None, threads: int | None) -> Any:
    """The run's engine: its name and the settings given on the command line."""
    from affectlens.errors import ConfigError
    from affectlens.runs import Named

    if engine == "ray":
        if threads is not None:
            raise ConfigError("--threads is for the local engine", hint="Ray workers take one CPU (and thread) each")
        return Named(
            name="ray", settings={k: v for k, v in {"address": ray_address, "workers": workers}.items() if v is not None}
        )
    if ray_address:
        raise ConfigError("--ray-address needs --engine ray")
    return Named(name=engine, settings={k: v for k, v in {"workers": workers, "threads": threads}.items() if v is not None})


def command_line(ctx: typer.Context) -> str:
    """The command as the user typed it (recorded in the run's manifest)."""
    return shlex.join((ctx.find_root().obj or {}).get("argv") or ["affectlens", *sys.argv[1:]])


def run(
    spec: Any,
    *,
    label: str,
    quiet: bool,
    show_progress: bool = True,
    on_start: Callable[[Any, int | None], None] | None = None,
    on_task: Callable[[Any], None] | None = None,
    **hooks: Any,
) -> Any:
    """Execute ``spec`` with a progress bar on stderr (when it is a terminal and not ``quiet``);
    ``on_start`` and ``on_task`` are called too. Returns the run's summary."""
    from affectlens.runs import execute

    state: dict[str, Any] = {}

    def started(manifest: Any, left: int | None) -> None:
        if on_start:
            on_start(manifest, left)
        if state.get("bar") is not None:
            state["bar"].set_total(left)

    def finished(result: Any) -> None:
        if on_task:
            on_task(result)
        if state.get("bar") is not None:
            state["bar"](result.rows)

    with progress(label, None, enabled=show_progress and not quiet and err.is_terminal) as bar:
        state["bar"] = bar
        return execute(spec, on_start=started, on_task=finished, **hooks)


def how_it_ran(manifest: Any) -> str:
    """One line: the engine, its workers and threads, and the CPU (speeds are named by CPU)."""
    e = manifest.engine_settings
    if manifest.engine == "local":
        workers = f"{e.get('workers', 1)} worker processes" if e.get("processes") else "this process"
        return f"engine local: {workers}, {e.get('threads_per_worker')} onnxruntime thread(s) each, on {e.get('cpu', '?')}"
    return f"engine {manifest.engine}: {', '.join(f'{k} {v}' for k, v in e.items() if v is not None) or 'defaults'}"


def kept_note(what: str) -> None:
    err.print(f"[yellow]{safe(what)} kept:[/] run the same command again to continue", highlight=False)
