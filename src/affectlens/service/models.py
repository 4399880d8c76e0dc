"""Request and response bodies of the HTTP API (the OpenAPI schema is built from these)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from affectlens.analyzers.base import AnalyzeOptions
from affectlens.schema import Analysis
from affectlens.service.jobs import Job

__all__ = [
    "AnalyzeRequest",
    "AnalyzeResponse",
    "BackendInfo",
    "ConversationRequest",
    "ErrorBody",
    "ImageRequest",
    "JobLinks",
    "JobList",
    "TaxonomyInfo",
    "Turn",
]

_DEFAULTS = AnalyzeOptions()


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ImageRequest(_Body):
    """One image as base64 (or a ``data:image/...;base64,`` URL) in JSON; the same options go
    as form fields beside a multipart ``image`` file."""

    image: str = Field(description="the image file's bytes, base64-encoded (a data URL is accepted)")
    name: str | None = Field(None, max_length=200, description="what the answer calls the image")
    taxonomy: str = Field("ekman", description="label set of the answer (GET /v1/taxonomies); the face model's own is ekman")
    explain: bool = Field(False, description="the facial regions that carry each label (occlusion, verified) and a rationale")
    faces: Literal["detect", "whole"] = Field("detect", description="find the faces, or read the whole image as one face crop")
    min_confidence: float = Field(0.0, ge=0.0, le=1.0, description="abstain (no labels, a warning) below this confidence")
    backend: str = Field(
        "embedded", description="embedded: the offline models; an openai backend (GET /v1/backends): a multimodal model too"
    )


class AnalyzeRequest(_Body):
    """One text (``text``) or several (``texts``, with optional ``ids``), and the options of
    ``affectlens analyze``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"oneOf": [{"required": ["text"]}, {"required": ["texts"]}]})

    text: str | None = Field(None, description="one text")
    texts: list[str] | None = Field(None, description="several texts (at most the service's max_texts)")
    ids: list[str | None] | None = Field(None, description="an id per text of `texts`, echoed in each Analysis")
    backend: str = Field("embedded", description="one of GET /v1/backends")
    taxonomy: str = Field(_DEFAULTS.taxonomy, description="label set of the answer (GET /v1/taxonomies)")
    explain: bool = Field(False, description="evidence spans and a rationale")
    min_confidence: float = Field(0.0, ge=0.0, le=1.0, description="abstain (no labels, a warning) below this confidence")
    vad_coverage: float = Field(_DEFAULTS.vad_coverage, gt=0.0, lt=1.0, description="coverage of the VAD intervals")

    @model_validator(mode="after")
    def _one_of(self) -> AnalyzeRequest:
        if (self.text is None) == (self.texts is None):
            raise ValueError("give either `text` (one text) or `texts` (a list), not both and not neither")
        if self.ids is not None and (self.texts is None or len(self.ids) != len(self.texts)):
            raise ValueError("`ids` goes with `texts`, one id per text")
        return self

    @property
    def all_texts(self) -> list[str]:
        return [self.text] if self.text is not None else list(self.texts or [])


class AnalyzeResponse(_Body):
    analyses: list[Analysis]


class Turn(_Body):
    text: str
    speaker: str | None = Field(None, description="who says it (None: unknown, left out of per-speaker dynamics)")
    timestamp: str | None = None
    id: str | None = Field(None, description="the turn's id, for `parent`")
    parent: str | None = Field(None, description="id of the earlier turn this one answers (default: the one before)")


class ConversationRequest(_Body):
    id: str = Field("conversation", description="echoed as conversation_id")
    turns: list[Turn] = Field(min_length=1)


class BackendInfo(_Body):
    name: str
    backend_id: str
    description: str


class TaxonomyInfo(_Body):
    id: str
    title: str
    labels: list[str]
    level: str | None = None


class JobList(_Body):
    jobs: list[Job]


class JobLinks(_Body):
    """Download links that carry a signed token instead of the key (a page cannot add headers to a link)."""

    result_jsonl: str
    result_parquet: str
    report: str | None = Field(None, description="None when the job has no time column")
    expires_in: int = Field(description="seconds the links work")


class _ErrorDetail(_Body):
    type: str = Field(description="stable, machine-readable: invalid_input, overloaded, not_found, …")
    message: str
    hint: str | None


class ErrorBody(_Body):
    error: _ErrorDetail


ResultFormat = Literal["jsonl", "parquet"]
