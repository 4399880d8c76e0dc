"""The small public Python API: pick a backend by name, analyse texts.

>>> import affectlens
>>> a = affectlens.analyze("Thanks so much, I'm really happy", backend="fake")
>>> a.labels
['gratitude', 'joy']
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, overload

from affectlens.analyzers.base import Analyzer
from affectlens.registry import Registry
from affectlens.schema import Analysis
from affectlens.settings import resolve_settings

__all__ = ["analyze", "backend_settings", "backends", "clear_cache", "get_analyzer", "list_backends"]

backends: Registry[type[Analyzer]] = Registry("backend", entry_point_group="affectlens.backends")
backends.register("embedded", "affectlens.analyzers.embedded:EmbeddedAnalyzer")
backends.register("fake", "affectlens.analyzers.fake:FakeAnalyzer")
backends.register("openai", "affectlens.analyzers.openai_backend:OpenAIAnalyzer")
backends.register("transformers", "affectlens.analyzers.huggingface:TransformersAnalyzer")

_instances: dict[str, Analyzer] = {}


def get_analyzer(name: str = "embedded", *, config: str | Path | bool | None = None, **settings: Any) -> Analyzer:
    """The analyzer registered as ``name``, built once per process for the same settings.

    ``settings`` (and the ``[backends.NAME]`` table of the ``config`` file, or of the user's
    config file; ``config=False``: none) are validated by the backend's own settings model
    (:mod:`affectlens.settings`).
    """
    resolved = backend_settings(name, settings, config=config)
    key = f"{name}:{json.dumps(resolved, sort_keys=True, default=str)}"
    if key not in _instances:
        _instances[key] = backends.get(name)(**resolved)
    return _instances[key]


def backend_settings(
    name: str, given: Mapping[str, Any] | None = None, *, config: str | Path | bool | None = None
) -> dict[str, Any]:
    """The settings backend ``name`` would be built with: the config file's, then ``given``,
    validated by the backend's settings model (an unknown or bad one is a ConfigError)."""
    return resolve_settings(backends.get(name).settings_model, name, given, config=config)


def clear_cache() -> None:
    """Forget built analyzers (tests; or to free the model's memory)."""
    _instances.clear()


def list_backends() -> dict[str, str]:
    """Registered backend names and where each comes from (nothing is imported)."""
    return backends.targets()


@overload
def analyze(text: str, *, backend: str = ..., **options: Any) -> Analysis: ...
@overload
def analyze(text: Sequence[str], *, backend: str = ..., **options: Any) -> list[Analysis]: ...


def analyze(text: str | Sequence[str], *, backend: str = "embedded", **options: Any) -> Analysis | list[Analysis]:
    """Analyse one text (→ Analysis) or a list of texts (→ list); options as in
    :class:`affectlens.AnalyzeOptions`, e.g. ``taxonomy="ekman"``."""
    analyzer = get_analyzer(backend)
    if isinstance(text, str):
        return analyzer.analyze(text, **options)
    return analyzer.analyze_batch(list(text), **options)
