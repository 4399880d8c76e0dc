"""affectlens: which emotions a text or a face carries, how strongly, where it shows, how sure we are.

    >>> import affectlens
    >>> result = affectlens.analyze("I can't believe you did this, I'm furious")  # doctest: +SKIP
    >>> result.dominant, result.labels, result.vad.valence  # doctest: +SKIP
    >>> photo = affectlens.analyze_image("party.jpg", explain=True)  # doctest: +SKIP
    >>> [(face.box, face.analysis.dominant) for face in photo.faces]  # doctest: +SKIP

Names are imported lazily so that ``import affectlens`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Analysis": "affectlens.schema",
    "Evidence": "affectlens.schema",
    "VAD": "affectlens.schema",
    "Analyzer": "affectlens.analyzers.base",
    "AnalyzeOptions": "affectlens.analyzers.base",
    "analyze": "affectlens.api",
    "analyze_image": "affectlens.media.analyzer",
    "analyze_media": "affectlens.media.reader",
    "MediaAnalysis": "affectlens.schema",
    "get_analyzer": "affectlens.api",
    "list_backends": "affectlens.api",
    "Taxonomy": "affectlens.taxonomy",
    "load_taxonomy": "affectlens.taxonomy",
    "list_taxonomies": "affectlens.taxonomy",
    "map_label": "affectlens.taxonomy",
    "evaluate": "affectlens.evaluation.runner",
    "benchmark": "affectlens.benchmark",
    "errors": "affectlens.errors",
}

__all__ = ["__version__", *sorted(_EXPORTS)]

if TYPE_CHECKING:  # pragma: no cover
    from affectlens import errors
    from affectlens.analyzers.base import AnalyzeOptions, Analyzer
    from affectlens.api import analyze, get_analyzer, list_backends
    from affectlens.benchmark import benchmark
    from affectlens.evaluation.runner import evaluate
    from affectlens.media.analyzer import analyze_image
    from affectlens.media.reader import analyze_media
    from affectlens.schema import VAD, Analysis, Evidence, MediaAnalysis
    from affectlens.taxonomy import Taxonomy, list_taxonomies, load_taxonomy, map_label


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'affectlens' has no attribute {name!r}")
    module = importlib.import_module(_EXPORTS[name])
    value = module if name == "errors" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
