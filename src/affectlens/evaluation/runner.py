"""Run a backend over a dataset split and score it: what ``affectlens eval`` prints.

The result is one JSON object::

    {"dataset": "goemotions@1", "split": "test", "backend": "embedded/minilm-goemotions@1",
     "n": 5427, "versions": {...}, "metrics": {"macro_f1": ..., ...}}
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from affectlens import __version__
from affectlens.analyzers.base import Analyzer
from affectlens.errors import DatasetError
from affectlens.evaluation import metrics as m
from affectlens.evaluation.datasets import DatasetSpec, EvalData, datasets
from affectlens.evaluation.datasets.readers import resolve_data_dir
from affectlens.schema import Analysis
from affectlens.taxonomy import load_taxonomy

__all__ = ["evaluate", "score_analyses"]

Progress = Callable[[int, int], None]
_CHUNK = 256


def evaluate(
    dataset: str,
    *,
    data_dir: str | Path | None = None,
    split: str = "test",
    backend: str | None = None,
    analyzer: Any = None,
    limit: int | None = None,
    explain: bool = False,
    plots_dir: str | Path | None = None,
    on_progress: Progress | None = None,
) -> dict[str, Any]:
    """Score ``backend`` (or a ready ``analyzer``) on ``dataset``'s ``split``.

    Text datasets take an :class:`Analyzer` (default backend ``embedded``); conversation
    datasets a :class:`~affectlens.conversation.analyzer.ConversationAnalyzer` (default: the
    shipped context model, with the locally built DailyDialog head for ``dailydialog``
    when there is one). ``limit`` counts texts, or dialogues for conversation datasets.

    ``explain`` adds the faithfulness of the evidence (classification datasets);
    ``plots_dir`` receives reliability diagrams (classification) or VAD scatter plots.
    """
    from affectlens.api import get_analyzer

    spec = datasets.get(dataset)
    if split not in spec.splits:
        raise DatasetError(f"{spec.name} has no split {split!r}; splits: {', '.join(spec.splits)}")
    if plots_dir:
        from affectlens.evaluation.plots import require_matplotlib

        require_matplotlib()
    if analyzer is None and spec.kind == "faces":
        from affectlens.media import ImageAnalyzer

        analyzer = ImageAnalyzer()
    elif analyzer is None:
        analyzer = conversation_analyzer(spec, backend) if spec.conversational else get_analyzer(backend or "embedded")
    usage_source = getattr(analyzer, "turn_backend", None) or analyzer  # a conversation analyzer's LLM backend
    usage_before = _usage(usage_source)
    started = time.perf_counter()
    plots: list[str] = []
    if spec.kind == "pairs":
        metrics, n = _pairs(analyzer, spec.suite or "minimal_pairs")
    elif spec.kind == "faces":
        from affectlens.evaluation.faces import score_faces

        data = spec.load(resolve_data_dir(data_dir), split)
        if limit is not None:
            data = data.head(limit)
        title = f"{spec.name}_{split}"
        metrics, plots = score_faces(
            analyzer, data, plots_dir=Path(plots_dir) if plots_dir else None, title=title, on_progress=on_progress
        )
        n = len(data.texts)
    elif spec.conversational:
        from affectlens.evaluation.conversations import score_conversations

        data = spec.load(resolve_data_dir(data_dir), split)
        if limit is not None:
            data = data.head(limit)
        metrics = score_conversations(spec, data, analyzer, on_progress)
        n = len(data.dialogues or [])
    else:
        data = spec.load(resolve_data_dir(data_dir), split)
        if limit is not None:
            data = data.head(limit)
        explaining = explain and spec.kind == "multilabel"
        analyses = _analyze(analyzer, data, spec.taxonomy, explaining, on_progress)
        metrics = score_analyses(spec, data, analyses)
        if explaining:
            from affectlens.evaluation.faithfulness import faithfulness

            metrics.update(faithfulness(analyzer, analyses, spec.taxonomy))
        if plots_dir:
            plots = _plots(spec, data, analyses, Path(plots_dir), split)
        n = len(data.texts)
    seconds = time.perf_counter() - started
    result = {
        "dataset": spec.id,
        "split": split,
        "backend": analyzer.backend_id,
        "n": n,
        "versions": {
            "affectlens": __version__,
            "dataset": spec.id,
            "taxonomy": load_taxonomy(spec.taxonomy).id,
            "metrics": {name: info.version for name, info in m.METRICS.items()},
            "python": platform.python_version(),
        },
        "metrics": metrics,
        "seconds": round(seconds, 2),
    }
    if plots:
        result["plots"] = plots
    if usage_before is not None:  # LLM backends: requests, tokens, cost, dropped spans and labels of this run
        after = _usage(usage_source)
        assert after is not None
        result["usage"] = {k: (round(v - usage_before[k], 6) if isinstance(v, int | float) else v) for k, v in after.items()}
    return result


def conversation_analyzer(spec: DatasetSpec, backend: str | None) -> Any:
    """The conversation analyzer ``eval`` uses for a conversation dataset."""
    from affectlens.conversation.analyzer import CONTEXT_BACKEND, ConversationAnalyzer
    from affectlens.conversation.causes import DAILYDIALOG_HEAD_FILE, local_model_dir

    backend = backend or CONTEXT_BACKEND
    local_head = spec.name == "dailydialog" and (local_model_dir() / DAILYDIALOG_HEAD_FILE).is_file()
    head = "dailydialog" if local_head and backend == CONTEXT_BACKEND else "meld"
    return ConversationAnalyzer(backend=backend, head=head)


def _usage(analyzer: Analyzer) -> dict[str, Any] | None:
    report = getattr(analyzer, "usage_report", None)
    return report() if callable(report) else None


def _pairs(analyzer: Analyzer, name: str) -> tuple[dict[str, Any], int]:
    from affectlens.evaluation.pairs import run_suite

    suite = run_suite(analyzer, name=name)
    return {k: v for k, v in suite.items() if k != "pairs"}, suite["pairs"]


def _plots(spec: DatasetSpec, data: EvalData, analyses: list[Analysis], folder: Path, split: str) -> list[str]:
    from affectlens.evaluation.plots import reliability_plot, vad_plot

    title = f"{spec.id} {split} · {analyses[0].backend if analyses else ''}"
    if spec.kind == "vad":
        assert data.vad is not None
        pred = np.asarray([[a.vad.valence, a.vad.arousal, a.vad.dominance] for a in analyses])
        return [str(vad_plot(pred, data.vad, _intervals(analyses), folder / f"vad_{spec.name}_{split}.png", title))]
    assert data.gold is not None and data.label_names is not None
    scores = np.asarray([[a.scores.get(n, 0.0) for n in data.label_names] for a in analyses])
    pred = np.asarray([[n in a.labels for n in data.label_names] for a in analyses])
    exact = (pred == data.gold.astype(bool)).all(axis=1)
    confidence = np.asarray([a.confidence for a in analyses])
    path = folder / f"reliability_{spec.name}_{split}.png"
    return [str(reliability_plot(scores, data.gold, confidence, exact, path, title))]


def _intervals(analyses: list[Analysis]) -> np.ndarray | None:
    """``[n, 3, 2]`` VAD intervals, or None when the backend gives none."""
    if not analyses or any(a.vad.intervals is None for a in analyses):
        return None
    dims = ("valence", "arousal", "dominance")
    return np.asarray([[a.vad.intervals[d] for d in dims] for a in analyses])  # type: ignore[index]


def _analyze(analyzer: Analyzer, data: EvalData, taxonomy: str, explain: bool, on_progress: Progress | None) -> list[Analysis]:
    out: list[Analysis] = []
    for start in range(0, len(data.texts), _CHUNK):
        texts, ids = data.texts[start : start + _CHUNK], data.ids[start : start + _CHUNK]
        out.extend(analyzer.analyze_batch(texts, ids=ids, taxonomy=taxonomy, explain=explain))
        if on_progress:
            on_progress(len(out), len(data.texts))
    return out


def score_analyses(spec: DatasetSpec, data: EvalData, analyses: list[Analysis]) -> dict[str, Any]:
    """The metrics of ``analyses`` against ``data``'s gold answers."""
    if spec.kind == "vad":
        assert data.vad is not None
        pred = np.asarray([[a.vad.valence, a.vad.arousal, a.vad.dominance] for a in analyses])
        out: dict[str, Any] = {}
        intervals = _intervals(analyses)
        for k, dim in enumerate(("valence", "arousal", "dominance")):
            out[f"pearson_{dim}"] = round(m.pearson(pred[:, k], data.vad[:, k]), 4)
            out[f"mae_{dim}"] = round(m.mae(pred[:, k], data.vad[:, k]), 4)
            if intervals is not None:
                inside = (data.vad[:, k] >= intervals[:, k, 0]) & (data.vad[:, k] <= intervals[:, k, 1])
                out[f"vad_coverage_{dim}"] = round(float(inside.mean()), 4)
        if intervals is not None:
            out["vad_coverage_target"] = analyses[0].vad.coverage
        return out
    assert data.gold is not None and data.label_names is not None
    names = data.label_names
    scores = np.asarray([[a.scores.get(n, 0.0) for n in names] for a in analyses])
    pred = np.asarray([[n in a.labels for n in names] for a in analyses])
    per_label = m.f1_per_label(data.gold, pred)
    exact = (pred == data.gold.astype(bool)).all(axis=1).astype(float)
    confidence = np.asarray([a.confidence for a in analyses])
    return {
        "macro_f1": round(float(per_label.mean()), 4),
        "micro_f1": round(m.micro_f1(data.gold, pred), 4),
        "per_label_f1": {n: round(float(f), 4) for n, f in zip(names, per_label)},
        "ece": round(m.dominant_ece(scores, data.gold), 4),
        "brier": round(m.brier(scores, data.gold), 4),
        "exact_match": round(float(exact.mean()), 4),
        "confidence_ece": round(m.calibration_error(confidence, exact), 4),
    }
