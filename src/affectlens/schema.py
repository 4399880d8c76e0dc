"""The data model every analyzer returns (see docs/schema.md for the JSON form).

Field names are a public contract: the CLI, the JSON/CSV/Parquet outputs and the service
all use them. Objects validate on construction and round-trip through JSON::

    >>> a = Analysis(text="I love it", taxonomy="goemotions@1", backend="fake@1")
    >>> Analysis.model_validate_json(a.model_dump_json()) == a
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer, model_validator

__all__ = [
    "VAD",
    "Analysis",
    "Box",
    "Conflict",
    "Evidence",
    "EvidenceKind",
    "Face",
    "MediaAnalysis",
    "Prosody",
    "Segment",
    "Sentiment",
    "Word",
    "dominant_label",
]

Sentiment = Literal["positive", "negative", "neutral", "mixed"]
EvidenceKind = Literal["span", "box", "region", "time"]


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


class Box(_Model):
    """A rectangle in an image, in pixels of the image as shown (EXIF orientation applied)."""

    x: int = Field(ge=0)
    y: int = Field(ge=0)
    w: int = Field(gt=0)
    h: int = Field(gt=0)


class Evidence(_Model):
    """What carries ``label``, by ``kind``:

    - ``span`` (text, the default): ``text == analysis.text[start:end]``;
    - ``box``: a face, ``box`` in image pixels;
    - ``region``: a named part of a face (``region``: brows, eyes, nose, mouth), ``box`` in
      image pixels; kept only when hiding it lowers the label's score (``weight`` is the drop);
    - ``time``: ``start_s`` to ``end_s`` of a recording.

    Text evidence serialises as it always has: its media fields are left out when unset.
    """

    label: str
    start: int = Field(0, ge=0)
    end: int = Field(0, ge=0)
    text: str = ""
    weight: float
    kind: EvidenceKind = "span"
    box: Box | None = None
    region: str | None = None
    start_s: float | None = Field(None, ge=0.0)
    end_s: float | None = Field(None, ge=0.0)

    @model_validator(mode="after")
    def _ordered(self) -> Evidence:
        if self.end < self.start:
            raise ValueError(f"evidence end {self.end} is before start {self.start}")
        if self.kind in ("box", "region") and self.box is None:
            raise ValueError(f"{self.kind} evidence needs a box")
        if self.kind == "region" and not self.region:
            raise ValueError("region evidence needs the region's name")
        if self.kind == "time" and (self.start_s is None or self.end_s is None or self.end_s < self.start_s):
            raise ValueError("time evidence needs start_s <= end_s")
        return self

    @model_serializer(mode="wrap")
    def _text_as_before(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        if self.kind == "span":
            for name in _MEDIA_FIELDS:
                data.pop(name, None)
        return data


_MEDIA_FIELDS = {"kind", "box", "region", "start_s", "end_s"}


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
            if ev.kind == "span" and self.text[ev.start : ev.end] != ev.text:
                raise ValueError(f"evidence {ev.text!r} is not text[{ev.start}:{ev.end}] ({self.text[ev.start : ev.end]!r})")
        return self


class Face(_Model):
    """One face found in an image or a video frame, and what it shows."""

    box: Box
    frame_time_s: float | None = Field(None, ge=0.0, description="video: when the frame was taken")
    detector_score: float | None = Field(None, description="how many detections agreed on this face")
    analysis: Analysis


class Word(_Model):
    """A word of a transcript and when it was said."""

    text: str
    start_s: float = Field(ge=0.0)
    end_s: float = Field(ge=0.0)


class Prosody(_Model):
    """How a segment was said. Raw values, and ``z`` scores against the same speaker's other
    segments (None when the speaker has too few to compare)."""

    pitch_hz: float | None = Field(None, description="median pitch of the voiced frames")
    pitch_range_st: float | None = Field(None, description="spread of the pitch, 10th to 90th percentile, in semitones")
    energy_db: float = Field(description="mean loudness (RMS, dB relative to full scale)")
    rate_wps: float = Field(description="words per second of speech")
    pause_s: float = Field(description="silence between the segment's words, in seconds")
    voiced: float = Field(ge=0.0, le=1.0, description="share of the segment's frames with a pitch")
    z: dict[str, float] | None = Field(None, description="pitch, range, energy, rate as z-scores within the speaker")
    arousal_shift: float = Field(0.0, description="what the prosody rule added to the words' arousal")


class Conflict(_Model):
    """Modalities of one segment that disagree: shown, never averaged away."""

    modalities: list[str] = Field(description='which disagree, e.g. ["face", "words"]')
    margin: float = Field(description="how far apart their valences are (0..2); a conflict is flagged at CONFLICT_MARGIN")
    note: str


class Segment(_Model):
    """A stretch of a recording: who spoke, what was said, how, and what it carries; in a
    video, the faces seen meanwhile and a ``conflict`` when they disagree with the words."""

    start_s: float = Field(ge=0.0)
    end_s: float = Field(ge=0.0)
    speaker: str | None = None
    transcript: str = ""
    words: list[Word] = Field(default_factory=list)
    prosody: Prosody | None = None
    analysis: Analysis
    faces: list[Face] = Field(default_factory=list, description="video: the faces in the frames sampled during the segment")
    face_summary: Analysis | None = Field(None, description="video: those faces as one answer")
    conflict: Conflict | None = None


class MediaAnalysis(_Model):
    """What affectlens says about one image or recording (video follows the same shape, see DESIGN).

    ``faces`` each carry their own :class:`Analysis` (``text`` is empty: a face has none);
    ``summary`` is the item as a whole. No face: a warning and a summary without labels.
    """

    id: str | None = None
    source: str = Field(description="the input's name as given (relative), never an absolute server path")
    kind: Literal["image", "audio", "video"] = "image"
    width: int | None = Field(None, gt=0)
    height: int | None = Field(None, gt=0)
    duration_s: float | None = Field(None, ge=0.0)
    faces: list[Face] = Field(default_factory=list)
    segments: list[Segment] = Field(default_factory=list, description="audio and video: the voice segments")
    summary: Analysis
    offline_summary: Analysis | None = Field(
        None, description="with an LLM backend: the offline models' summary, beside the model's (``summary``)"
    )
    backend: str
    warnings: list[str] = Field(default_factory=list)
