"""The data model every analyzer returns (see docs/schema.md for the JSON form).

Field names are a public contract: the CLI, the JSON/CSV/Parquet outputs and the service
all use them. Objects validate on construction and round-trip through JSON::

    >>> a = Analysis(text="I love it", taxonomy="goemotions@1", backend="fake@1")
    >>> Analysis.model_validate_json(a.model_dump_json()) == a
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["VAD", "Analysis", "Evidence", "Sentiment", "dominant_label"]

Sentiment = Literal["positive", "negative", "neutral", "mixed"]


def dominant_label(scores: Mapping[str, float], labels: Sequence[str]) -> str | None:
    """The label an Analysis names as dominant: the highest-scoring of its ``labels`` when it has
    any (so the dominant label is always one of them), else the highest-scoring label."""
    pool = [label for label in labels if label in scores] or list(scores)
    return max(pool, key=lambda label: scores[label]) if pool else None


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class VAD(_Model):
    """Valence (unpleasant → pleasant), arousal (calm → excited), dominance (controlled →
    in control), each in [-1, 1]; 0 is the midpoint of the EmoBank 1–5 scale.

    ``intervals`` (when the backend is calibrated for it) holds, per dimension, an interval
    that contains the true rating with probability ``coverage`` (split-conformal).
    """

    valence: float = Field(0.0, ge=-1.0, le=1.0)
    arousal: float = Field(0.0, ge=-1.0, le=1.0)
    dominance: float = Field(0.0, ge=-1.0, le=1.0)
    coverage: float | None = Field(None, gt=0.0, lt=1.0)
    intervals: dict[Literal["valence", "arousal", "dominance"], tuple[float, float]] | None = None

    @model_validator(mode="after")
    def _intervals_hold_values(self) -> VAD:
        if (self.intervals is None) != (self.coverage is None):
            raise ValueError("VAD intervals and their coverage come together")
        for dim, (low, high) in (self.intervals or {}).items():
            if not -1.0 <= low <= getattr(self, dim) <= high <= 1.0:
                raise ValueError(f"{dim} interval [{low}, {high}] does not hold {getattr(self, dim)} within [-1, 1]")
        return self


class Evidence(_Model):
    """A span of the analysed text that carries ``label``; ``text == analysis.text[start:end]``."""

    label: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    weight: float

    @model_validator(mode="after")
    def _ordered(self) -> Evidence:
        if self.end < self.start:
            raise ValueError(f"evidence end {self.end} is before start {self.start}")
        return self


class Analysis(_Model):
    """What affectlens says about one text."""

    id: str | None = None
    text: str
    taxonomy: str = Field(description='versioned taxonomy name, e.g. "goemotions@1"')
    scores: dict[str, float] = Field(default_factory=dict, description="calibrated probability per label, 0..1")
    labels: list[str] = Field(default_factory=list, description="labels above their threshold")
    dominant: str | None = Field(None, description="argmax of scores; None only for empty input")
    vad: VAD = Field(default_factory=VAD)
    sentiment: Sentiment = "neutral"
    evidence: list[Evidence] = Field(default_factory=list)
    rationale: str | None = None
    confidence: float = Field(0.0, ge=0.0, le=1.0, description="calibrated probability that `labels` is right as a set")
    backend: str
    warnings: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Analysis:
        for label, score in self.scores.items():
            if not 0.0 <= score <= 1.0:
                raise ValueError(f"score of {label!r} is {score}, outside [0, 1]")
        unknown = [label for label in self.labels if label not in self.scores]
        if unknown:
            raise ValueError(f"labels {unknown} have no score")
        if self.dominant is not None and self.dominant not in self.scores:
            raise ValueError(f"dominant label {self.dominant!r} has no score")
        for ev in self.evidence:
            if self.text[ev.start : ev.end] != ev.text:
                raise ValueError(f"evidence {ev.text!r} is not text[{ev.start}:{ev.end}] ({self.text[ev.start : ev.end]!r})")
        return self
