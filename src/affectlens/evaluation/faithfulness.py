"""Faithfulness of evidence spans: ERASER comprehensiveness and sufficiency.

For each text and each label that has evidence ``r`` (all its spans together), with ``p``
the label's score:

- comprehensiveness = ``p(x) − p(x without r)``: how much the score falls when the evidence
  is deleted (higher is more faithful);
- sufficiency = ``p(x) − p(r alone)``: how much is lost when only the evidence is kept
  (lower is better);

and the same for a random contiguous run of as many words as the evidence covers, placed
uniformly in the text (``random_*``): a faithful explainer beats random spans of equal size.
DeYoung et al. (2020), ERASER: A Benchmark to Evaluate Rationalized NLP Models, ACL.
Works with any backend: scores come from ``analyze_batch`` on the altered texts.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from affectlens.analyzers.base import Analyzer
from affectlens.reasoning.evidence import delete_spans, keep_spans, word_spans
from affectlens.schema import Analysis

__all__ = ["faithfulness"]


def _covered_words(text: str, spans: list[tuple[int, int]]) -> int:
    return sum(1 for a, b in word_spans(text) if any(a < e and s < b for s, e in spans))


def faithfulness(analyzer: Analyzer, analyses: list[Analysis], taxonomy: str, *, seed: int = 13) -> dict[str, Any]:
    rng = random.Random(seed)
    items: list[tuple[int, str, list[tuple[int, int]], tuple[int, int]]] = []
    explained = predicted = 0
    for i, a in enumerate(analyses):
        by_label: dict[str, list[tuple[int, int]]] = {}
        for ev in a.evidence:
            by_label.setdefault(ev.label, []).append((ev.start, ev.end))
        neutral_like = {"neutral"}
        predicted += sum(1 for label in a.labels if label not in neutral_like)
        for label, spans in by_label.items():
            explained += 1
            words = word_spans(a.text)
            k = max(1, _covered_words(a.text, spans))
            start = rng.randrange(max(1, len(words) - k + 1))
            chosen = words[start : start + k]
            items.append((i, label, spans, (chosen[0][0], chosen[-1][1])))
    if not items:
        return {
            "comprehensiveness": 0.0,
            "sufficiency": 0.0,
            "random_comprehensiveness": 0.0,
            "random_sufficiency": 0.0,
            "explained_labels": 0.0,
            "evidence_items": 0,
        }

    def scores(texts: list[str]) -> np.ndarray:
        out = analyzer.analyze_batch(texts, taxonomy=taxonomy)
        return np.asarray([out[n].scores.get(items[n][1], 0.0) for n in range(len(items))])

    base = np.asarray([analyses[i].scores[label] for i, label, _, _ in items])
    without = scores([delete_spans(analyses[i].text, spans) for i, _, spans, _ in items])
    alone = scores([keep_spans(analyses[i].text, spans) for i, _, spans, _ in items])
    random_without = scores([delete_spans(analyses[i].text, [r]) for i, _, _, r in items])
    random_alone = scores([keep_spans(analyses[i].text, [r]) for i, _, _, r in items])
    return {
        "comprehensiveness": round(float(np.mean(base - without)), 4),
        "sufficiency": round(float(np.mean(base - alone)), 4),
        "random_comprehensiveness": round(float(np.mean(base - random_without)), 4),
        "random_sufficiency": round(float(np.mean(base - random_alone)), 4),
        "explained_labels": round(explained / predicted, 4) if predicted else 0.0,
        "evidence_items": len(items),
    }
