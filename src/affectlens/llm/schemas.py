"""What each pipeline stage must answer, as pydantic models and strict JSON Schemas.

Numbers are clipped to their ranges on our side rather than constrained in the schema,
because not every server supports numeric bounds in structured output.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = [
    "OUTPUTS",
    "AspectAnswer",
    "CuesAnswer",
    "EmotionsAnswer",
    "MediaCuesAnswer",
    "OpinionAnswer",
    "extract_json",
    "parse",
    "parse_as",
    "strict_schema",
]

M = TypeVar("M", bound=BaseModel)


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Cue(_Answer):
    id: int
    quote: str
    type: str


class CuesAnswer(_Answer):
    cues: list[Cue]


class MediaCue(_Answer):
    """A cue perceived in an image, a recording or a video (:mod:`affectlens.media.llm`)."""

    id: int
    modality: str  # face, words, voice
    emotion: str
    quote: str  # words: the words as the transcript has them; else ""
    face: int  # an image's face number (from 1); else 0
    start_s: float  # recordings and videos: when; else -1
    end_s: float


class MediaCuesAnswer(_Answer):
    cues: list[MediaCue]


class AspectAnswer(_Answer):
    aspect: str
    quote: str


class OpinionAnswer(_Answer):
    opinion: str
    polarity: str


class Emotion(_Answer):
    label: str
    probability: float
    cue_ids: list[int]


class EmotionsAnswer(_Answer):
    emotions: list[Emotion]
    valence: float
    arousal: float
    dominance: float
    rationale: str
    confidence: float


OUTPUTS: dict[str, type[_Answer]] = {
    "cues": CuesAnswer,
    "aspect": AspectAnswer,
    "opinion": OpinionAnswer,
    "emotions": EmotionsAnswer,
    "media_cues": MediaCuesAnswer,
}


def strict_schema(model: type[BaseModel]) -> dict[str, Any]:
    """JSON Schema with every property required and no extra properties (OpenAI "strict")."""

    def clean(node: Any) -> Any:
        if isinstance(node, dict):
            node = {k: clean(v) for k, v in node.items() if k not in ("title", "default")}
            if node.get("type") == "object":
                node["additionalProperties"] = False
                node["required"] = list(node.get("properties", {}))
            return node
        if isinstance(node, list):
            return [clean(v) for v in node]
        return node

    return clean(model.model_json_schema())


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def extract_json(content: str) -> Any:
    """The first JSON object in ``content`` (bare, fenced, or inside prose)."""
    candidates = [m.group(1) for m in _FENCE.finditer(content)] + [content]
    decoder = json.JSONDecoder()
    for candidate in candidates:
        for start in (i for i, ch in enumerate(candidate) if ch == "{"):
            try:
                value, _ = decoder.raw_decode(candidate, start)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                return value
    raise ValueError("no JSON object in the answer")


def parse(output: str, content: str) -> _Answer:
    """The stage answer in ``content``; ValueError with a short reason otherwise."""
    return parse_as(OUTPUTS[output], content)


def parse_as(model: type[M], content: str) -> M:
    """``content`` as a ``model`` answer; ValueError with a short reason otherwise."""
    try:
        return model.model_validate(extract_json(content))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValueError(f"{'.'.join(map(str, first['loc'])) or 'answer'}: {first['msg']}") from exc
