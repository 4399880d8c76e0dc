"""The output of ``affectlens conversation``: one :class:`ConversationAnalysis` per conversation."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from affectlens.schema import Analysis

__all__ = ["MELD_LABELS", "Cause", "ConversationAnalysis", "Dynamics", "Escalation", "Shift", "Trajectory", "TurnAnalysis"]


# The conversation model's classes: Ekman's six and neutral, in MELD's (and DailyDialog's) order.
MELD_LABELS = ("neutral", "joy", "surprise", "anger", "sadness", "disgust", "fear")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TurnAnalysis(_Model):
    index: int = Field(description="0-based position in the conversation")
    id: str | None = Field(None, description="the turn's own id, when the input has one")
    parent: int | None = Field(None, description="index of the turn this one answers (by default the one before); None: none")
    speaker: str | None = Field(description="None when the input row had no speaker")
    timestamp: str | None = None
    analysis: Analysis


class Trajectory(_Model):
    speaker: str
    turns: list[int] = Field(default_factory=list)
    valence: list[float] = Field(default_factory=list)
    arousal: list[float] = Field(default_factory=list)
    dominance: list[float] = Field(default_factory=list)
    inertia: float | None = Field(None, description="share of this speaker's consecutive turns keeping their label")


class Shift(_Model):
    turn: int
    speaker: str
    previous_turn: int = Field(description="the same speaker's previous turn")
    kinds: list[Literal["label", "vad"]]
    from_label: str | None
    to_label: str | None
    delta_valence: float
    delta_arousal: float


class Escalation(_Model):
    start_turn: int = Field(description="the escalating speaker's first turn of the run")
    end_turn: int = Field(description="their last turn of the run")
    speaker: str | None = Field(None, description="who escalates")
    arousal_from: float
    arousal_to: float


class Dynamics(_Model):
    trajectories: list[Trajectory]
    shifts: list[Shift]
    inertia: float | None
    valence_inertia: float | None
    contagion: float | None
    valence_contagion: float | None
    escalations: list[Escalation]
    escalation: bool = Field(description="whether any escalation was found")
    shift_threshold: float
    escalation_turns: int
    escalation_rule: str = Field("", description="the escalation rule, in words")


class Cause(_Model):
    effect_turn: int
    cause_turn: int
    label: str = Field(description="the effect turn's emotion")
    score: float = Field(ge=0.0, le=1.0)


class ConversationAnalysis(_Model):
    conversation_id: str
    backend: str
    turns: list[TurnAnalysis]
    dynamics: Dynamics
    causes: list[Cause]
    cause_model: str
    warnings: list[str] = Field(default_factory=list)
