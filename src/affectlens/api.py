"""The small public Python API: pick a backend by name, analyse texts.

>>> import affectlens
>>> a = affectlens.analyze("Thanks so much, I'm really happy", backend="fake")
>>> a.labels
['gratitude', 'joy']
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, overload

from affectlens.analyzers.base import Analyzer
from affectlens.registry import Registry
from affectlens.schema import Analysis

__all__ = ["analyze", "backends", "clear_cache", "get_analyzer", "list_backends"]

backends: Registry[type[Analyzer]] = Registry("backend", entry_point_group="affectlens.backends")
backends.register("embedded", "affectlens.analyzers.embedded:EmbeddedAnalyzer")
backends.register("fake", "affectlens.analyzers.fake:FakeAnalyzer")
backends.register("openai", "affectlens.analyzers.openai_backend:OpenAIAnalyzer")
backends.register("transformers", "affectlens.analyzers.huggingface:TransformersAnalyzer")

_instances: dict[str, Analyzer] = {}


def get_analyzer(name: str = "embedded", **settings: Any) -> Analyzer:
    """The analyzer registered as ``name``, built once per process for the same settings."""
    key = f"{name}:{json.dumps(settings, sort_keys=True, default=str)}"
    if key not in _instances:
        cls = backends.get(name)
        try:
            _instances[key] = cls(**settings)
        except TypeError as exc:  # a setting the backend does not take
            from affectlens.errors import ConfigError

            raise ConfigError(
                f"backend {name!r} does not take these settings: {', '.join(sorted(settings))}",
                hint="--model, --base-url, --strategy and the like are for LLM backends (--backend openai)",
            ) from exc
    return _instances[key]


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
