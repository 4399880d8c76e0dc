"""Scoring conversation backends on MELD, DailyDialog (per-turn emotions) and RECCON (causes)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from affectlens.conversation.schema import MELD_LABELS
from affectlens.evaluation import metrics as m
from affectlens.evaluation.datasets import DatasetSpec, EvalData

__all__ = ["score_conversations", "turn_metrics"]


def turn_metrics(gold: Sequence[int] | np.ndarray, pred: Sequence[int] | np.ndarray) -> dict[str, Any]:
    """Single-label metrics over :data:`MELD_LABELS` class indices (neutral is class 0):
    weighted-F1 (MELD's standard), macro-F1, micro-F1 over the six emotions (DailyDialog's),
    accuracy and per-label F1."""
    gold, pred = np.asarray(gold), np.asarray(pred)
    truth, decided = np.eye(len(MELD_LABELS))[gold], np.eye(len(MELD_LABELS))[pred]
    per_label = m.f1_per_label(truth, decided)
    return {
        "weighted_f1": round(m.weighted_f1(truth, decided), 4),
        "macro_f1": round(float(per_label.mean()), 4),
        "micro_f1": round(m.micro_f1(truth[:, 1:], decided[:, 1:]), 4),
        "accuracy": round(float((gold == pred).mean()), 4),
        "per_label_f1": {label: round(float(f), 4) for label, f in zip(MELD_LABELS, per_label)},
    }


def score_conversations(
    spec: DatasetSpec, data: EvalData, analyzer: Any, on_progress: Callable[[int, int], None] | None = None
) -> dict[str, Any]:
    """Metrics of a :class:`~affectlens.conversation.analyzer.ConversationAnalyzer` on ``data``."""
    assert data.dialogues is not None
    if spec.kind == "causes":
        from affectlens.conversation.causes import cee_scores
        from affectlens.evaluation.conversation_models import reccon_candidates

        features, gold = reccon_candidates(analyzer, data.dialogues)
        scores = analyzer.causes.scores(features)
        out: dict[str, Any] = cee_scores(gold, scores >= analyzer.causes.threshold)
        out.update({"pairs": len(gold), "cause_pairs": int(gold.sum()), "cause_model": analyzer.causes.id})
        return out
    gold, pred = [], []
    for k, dialogue in enumerate(data.dialogues):
        analyses = analyzer.signals(dialogue.texts).analyses
        gold.extend(MELD_LABELS.index(label) for label in dialogue.labels)
        pred.extend(MELD_LABELS.index(a.dominant or "neutral") for a in analyses)
        if on_progress:
            on_progress(k + 1, len(data.dialogues))
    return {**turn_metrics(gold, pred), "turns": len(gold)}
