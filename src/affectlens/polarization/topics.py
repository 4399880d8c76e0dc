"""Topics: what a side is, as data.

A topic file names the question people take sides on, each side's stance label with its
definition (what the LLM is told, word for word), a label for posts whose side cannot be
told, the words people use for those who hold each stance (the offline path's clue that
hostility is aimed at a side), and a few labelled examples per stance (the offline stance
classifier's default seed). Two ship, worded by us: ``climate`` and ``guns``; write your own
with the same fields and pass its path.

Every stance has a ``position`` (+1 or −1) on the topic's axis: the opinion value of
Hohmann et al.'s measure, and what "opposite" means.
"""

from __future__ import annotations

import re
from functools import cached_property

from pydantic import BaseModel, ConfigDict, Field, model_validator

from affectlens.polarization.data import load_data, shipped_names

__all__ = ["Stance", "Topic", "list_topics", "load_topic"]

_LABEL = re.compile(r"^[a-z][a-z0-9_-]*$")


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Stance(_Data):
    label: str = Field(description="lower-case label, e.g. 'believes'")
    position: float = Field(description="+1 or -1: the side of the topic's axis")
    definition: str
    people: tuple[str, ...] = Field((), description="words for people who hold this stance (e.g. 'deniers')")
    examples: tuple[str, ...] = Field((), description="short posts that take this stance (the offline classifier's seed)")


class Unknown(_Data):
    label: str = "unclear"
    definition: str
    examples: tuple[str, ...] = ()


class Topic(_Data):
    name: str
    version: int = Field(ge=1)
    title: str
    question: str = Field(description="what posts take sides on, as one sentence")
    source: str = Field("", description="who wrote the definitions and examples")
    stances: tuple[Stance, ...]
    unknown: Unknown

    @model_validator(mode="after")
    def _check(self) -> Topic:
        labels = [s.label for s in self.stances] + [self.unknown.label]
        if len(self.stances) != 2:
            raise ValueError("a topic has two stances (the two sides); posts on neither side take the unknown label")
        if len(set(labels)) != len(labels):
            raise ValueError(f"stance labels must differ: {labels}")
        for label in labels:
            if not _LABEL.match(label):
                raise ValueError(f"stance label {label!r}: use lower-case letters, digits, '_' or '-'")
        if {s.position for s in self.stances} != {1.0, -1.0}:
            raise ValueError("the two stances need positions +1 and -1")
        return self

    @property
    def id(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def labels(self) -> list[str]:
        """The stance labels, then the unknown label."""
        return [s.label for s in self.stances] + [self.unknown.label]

    def stance(self, label: str) -> Stance:
        return next(s for s in self.stances if s.label == label)

    def position(self, label: str | None) -> float | None:
        """+1 / −1 for a side, None for the unknown label or no stance."""
        return next((s.position for s in self.stances if s.label == label), None)

    def other(self, label: str) -> Stance:
        return next(s for s in self.stances if s.label != label)

    @cached_property
    def people_patterns(self) -> dict[str, re.Pattern[str]]:
        """Per stance: a pattern matching its words for people (whole words, any case)."""
        return {
            s.label: re.compile(
                r"(?<!\w)(?:" + "|".join(re.escape(w) for w in sorted(s.people, key=len, reverse=True)) + r")(?!\w)", re.I
            )
            for s in self.stances
            if s.people
        }


def load_topic(name: str) -> Topic:
    """A shipped topic by name (``"climate"``, ``"guns@1"``) or a topic file's path."""
    return load_data("topic", name, Topic)


def list_topics() -> list[Topic]:
    return [load_topic(name) for name in shipped_names("topic")]
