"""Minimal-pair suites: does the model react to negation, contrast, intensity and sarcasm
the way a reader would? (``affectlens eval minimal-pairs``)

A suite is YAML shipped with affectlens (``evaluation/suites/``). Each pair holds two texts,
``a`` and ``b``, that differ in one device, and expectations about ``b`` compared with ``a``;
a pair passes when all its expectations hold. See the header of ``minimal_pairs.yaml``.
"""

from __future__ import annotations

from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from affectlens.analyzers.base import Analyzer
from affectlens.io.yamltext import load_yaml
from affectlens.schema import Analysis
from affectlens.taxonomy import load_taxonomy

__all__ = ["SCORE_MARGIN", "VAD_MARGIN", "Pair", "check_pair", "load_suite", "run_suite"]

#: absolute change of a score that counts as "lower" / "higher"; a score also counts as lower when
#: it halves, and as higher when what it lacks of 1 halves (a score of 0.9 cannot rise by 0.1)
SCORE_MARGIN = 0.1
VAD_MARGIN = 0.03  # change of valence or arousal that counts, on the [-1, 1] scale

Direction = Literal["lower", "higher"]
Sign = Literal["positive", "negative"]


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    lower: tuple[str, ...] = ()
    higher: tuple[str, ...] = ()
    valence: Direction | None = None
    arousal: Direction | None = None
    b_not: tuple[str, ...] = ()
    b_has_any: tuple[str, ...] = ()
    b_evidence_has: str | None = None
    b_valence: Sign | None = None  # b's valence above +VAD_MARGIN / below -VAD_MARGIN


class Pair(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    category: str
    a: str
    b: str
    expect: Expect


class Suite(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int
    pairs: tuple[Pair, ...] = Field(min_length=1)


def load_suite(name: str = "minimal_pairs") -> Suite:
    text = (resources.files("affectlens.evaluation") / "suites" / f"{name}.yaml").read_text(encoding="utf-8")
    return Suite.model_validate(load_yaml(text))


def _expand(labels: tuple[str, ...]) -> set[str]:
    """Labels, with "@positive" etc. standing for that GoEmotions sentiment group."""
    groups = load_taxonomy("sentiment").groups["goemotions"]
    out: set[str] = set()
    for label in labels:
        out |= set(groups[label[1:]]) if label.startswith("@") else {label}
    return out


def check_pair(pair: Pair, a: Analysis, b: Analysis) -> list[str]:
    """What failed (empty when the pair passes)."""
    e, failed = pair.expect, []
    for label in e.lower:
        sa, sb = a.scores.get(label, 0.0), b.scores.get(label, 0.0)
        if not (sb <= sa - SCORE_MARGIN or sb <= sa / 2):
            failed.append(f"{label} not lower ({sa:.2f} -> {sb:.2f})")
    for label in e.higher:
        sa, sb = a.scores.get(label, 0.0), b.scores.get(label, 0.0)
        if not (sb >= sa + SCORE_MARGIN or 1 - sb <= (1 - sa) / 2):
            failed.append(f"{label} not higher ({sa:.2f} -> {sb:.2f})")
    for dim in ("valence", "arousal"):
        direction = getattr(e, dim)
        if direction is None:
            continue
        va, vb = getattr(a.vad, dim), getattr(b.vad, dim)
        ok = vb <= va - VAD_MARGIN if direction == "lower" else vb >= va + VAD_MARGIN
        if not ok:
            failed.append(f"{dim} not {direction} ({va:+.2f} -> {vb:+.2f})")
    if e.b_valence is not None:
        v = b.vad.valence
        if not (v > VAD_MARGIN if e.b_valence == "positive" else v < -VAD_MARGIN):
            failed.append(f"b's valence {v:+.2f} is not {e.b_valence}")
    unwanted = _expand(e.b_not) & set(b.labels)
    if unwanted:
        failed.append(f"b has {sorted(unwanted)}")
    if e.b_has_any and not _expand(e.b_has_any) & set(b.labels):
        failed.append(f"b has none of {list(e.b_has_any)} (labels {b.labels})")
    if e.b_evidence_has and not any(e.b_evidence_has.lower() in ev.text.lower() for ev in b.evidence):
        failed.append(f"no evidence span of b contains {e.b_evidence_has!r}")
    return failed


def run_suite(analyzer: Analyzer, *, name: str = "minimal_pairs", explain: bool = True) -> dict[str, Any]:
    """Pass rate overall and per category, and every failed pair with its reasons."""
    suite = load_suite(name)
    texts = [t for p in suite.pairs for t in (p.a, p.b)]
    options: dict[str, Any] = {"explain": True} if explain else {}
    analyses = analyzer.analyze_batch(texts, **options)
    results = []
    for n, pair in enumerate(suite.pairs):
        failed = check_pair(pair, analyses[2 * n], analyses[2 * n + 1])
        results.append({"id": pair.id, "category": pair.category, "passed": not failed, "failed": failed})
    categories = sorted({r["category"] for r in results})
    per_category = {
        c: round(sum(r["passed"] for r in results if r["category"] == c) / sum(r["category"] == c for r in results), 4)
        for c in categories
    }
    return {
        "pass_rate": round(sum(r["passed"] for r in results) / len(results), 4),
        "pairs": len(results),
        "per_category": per_category,
        "failures": [r for r in results if not r["passed"]],
    }
