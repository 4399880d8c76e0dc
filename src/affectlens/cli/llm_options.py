"""Options for LLM backends, shared by ``analyze`` and ``eval``; and their usage report."""

from __future__ import annotations

from typing import Any

import typer

from affectlens.cli.console import err
from affectlens.io.terminal import safe

BASE_URL = typer.Option(None, "--base-url", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1 (LLM backends).")
MODEL = typer.Option(None, "--model", help="Model name at the endpoint (LLM backends).")
STRATEGY = typer.Option(None, "--strategy", help="Prompt strategy: zero-shot, few-shot, three-hop (LLM backends).")
SAMPLES = typer.Option(None, "--samples", min=1, help="Self-consistency: reason N times (LLM backends).")
STIMULUS = typer.Option(None, "--stimulus", help="Emotional-stimulus suffix: importance, confidence, challenge, doubt.")
FEW_SHOT_POOL = typer.Option(None, "--few-shot-pool", help="JSONL of labelled texts for the few-shot strategy.")
CONCURRENCY = typer.Option(None, "--concurrency", min=1, help="Requests in flight at once (LLM backends).")
NO_CACHE = typer.Option(False, "--no-cache", help="Do not read or write the answer cache (LLM backends).")
CONFIG = typer.Option(None, "--config", help="TOML config file with an [llm] table.")
MODEL_DIR = typer.Option(None, "--model-dir", help="Local Hugging Face model directory (--backend transformers).")
TIMEOUT = typer.Option(
    None, "--timeout", min=0.1, help="Seconds to wait for one answer before retrying (LLM backends) [default: 60]."
)
DEADLINE = typer.Option(
    None, "--deadline", min=1.0, help="Seconds the whole run may take; texts not answered by then fail (LLM backends)."
)


def backend_settings(**given: Any) -> dict[str, Any]:
    """The LLM settings actually given on the command line (None means "not given")."""
    settings = {k: v for k, v in given.items() if v is not None and k not in ("no_cache",)}
    if given.get("no_cache"):
        settings["cache"] = False
    return settings


def report_usage(analyzer: Any, *, quiet: bool = False) -> None:
    """One line on stderr with what an LLM run cost, if the backend keeps such figures."""
    usage = getattr(analyzer, "usage", None)
    if usage is not None and hasattr(usage, "summary") and not quiet:
        err.print(f"{analyzer.name}: {safe(usage.summary())}", highlight=False, soft_wrap=True)
