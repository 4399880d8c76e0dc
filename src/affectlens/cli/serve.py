"""``affectlens serve``: the HTTP API and the web page, run by uvicorn."""

from __future__ import annotations

import os

import typer

from affectlens.cli.console import err


def serve_command(
    host: str = typer.Option(None, "--host", help="Address to listen on [default: 127.0.0.1, this machine only]."),
    port: int = typer.Option(None, "--port", min=0, max=65535, help="Port [default: 8000]."),
    workers: int = typer.Option(None, "--workers", min=1, help="Processes, each with its own models [default: 1]."),
    config: str = typer.Option(None, "--config", help="TOML file: limits, backends, API keys, CORS (docs/service.md)."),
    state_dir: str = typer.Option(None, "--state-dir", help="Where jobs and their files live [default: ./affectlens-service]."),
    hash_key: str = typer.Option(None, "--hash-key", help="Print the line to put in api_keys for KEY, and exit."),
) -> None:
    """Serve the API (/v1, /docs, /metrics) and the web page (/) until stopped."""
    from affectlens.service.config import CONFIG_ENV, load_config
    from affectlens.service.config import hash_key as hashed

    if hash_key is not None:
        typer.echo(f'api_keys = ["{hashed(hash_key)}"]')
        return
    settings = load_config(config, host=host, port=port, workers=workers, state_dir=state_dir)
    try:
        import uvicorn

        import affectlens.service.app  # noqa: F401  (the extra is installed)
    except ImportError as exc:
        from affectlens.errors import MissingDependencyError

        raise MissingDependencyError(exc.name or "fastapi", "serve", "affectlens serve") from exc
    os.environ[CONFIG_ENV] = settings.model_dump_json()
    err.print(
        f"affectlens: serving on http://{settings.host}:{settings.port} (page /, API /v1, docs /docs); "
        f"jobs in {settings.state_dir}",
        highlight=False,
    )
    from affectlens.service.server import GuardedH11Protocol

    uvicorn.run(
        "affectlens.service.app:app_from_env",
        factory=True,
        http=GuardedH11Protocol,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level="info",
        timeout_graceful_shutdown=10,
    )
