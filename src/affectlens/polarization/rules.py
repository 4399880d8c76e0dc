"""Rule sets: how the facts of one reply and its parent become an interaction score, as data.

Facts, each known or unknown (``None``): the reply's and the parent's stance (a topic label;
the topic's unknown label counts as unknown), each post's affect toward the other side
(``yes``/``no``) and whether the reply agrees with its parent (``yes``/``no``). A rule set
derives three inputs — stance relation (``same``/``opposite``), affect (by default either
post's: ``yes`` when one is yes, ``no`` when both are no) and agreement — and looks them up
in a table with one score per combination.

A fact whose quote could not be verified is failed (unknown) unless the rule set says
``unverified: as-said`` (take the label as the model gave it, as code that never checked
quotes did). What an unknown fact does is part of the rule set (``unknown``): ``unscored`` (the default:
no score, counted as unscored with the reason), or for the stance ``as-label`` (the unknown
label is compared like a side: two unknowns are the *same* stance, an unknown and a side
are *opposite*), and for affect and agreement ``no``/``yes`` (read as that value). The
shipped ``asonam2025@1`` keeps unknowns unscored; ``asonam2025-compat@1`` does what the
paper's code does, so its figures can be reproduced.

Thread levels (``levels``) are intervals of the thread score; each says whether its ends
belong to it, so a rule set can have them overlap (the paper's code counts 2.5 and 7.5 in
two levels each) or not.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from affectlens.polarization.data import load_data, shipped_names

__all__ = ["DEFAULT_RULES", "Facts", "Level", "RuleRow", "RuleSet", "Scored", "list_rules", "load_rules"]

DEFAULT_RULES = "asonam2025"
YesNo = Literal["yes", "no"]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RuleRow(_Data):
    stance: Literal["same", "opposite"]
    affect: YesNo
    agreement: YesNo
    score: float
    meaning: str = ""


class Unknowns(_Data):
    stance: Literal["unscored", "as-label"] = "unscored"
    affect: Literal["unscored", "yes", "no"] = "unscored"
    agreement: Literal["unscored", "yes", "no"] = "unscored"


class Level(_Data):
    name: str
    lower: float | None = None
    upper: float | None = None
    include_lower: bool = True
    include_upper: bool = False

    def contains(self, x: float) -> bool:
        if self.lower is not None and (x < self.lower or (x == self.lower and not self.include_lower)):
            return False
        return not (self.upper is not None and (x > self.upper or (x == self.upper and not self.include_upper)))

    def describe(self) -> str:
        low = "" if self.lower is None else f"{self.lower:g} {'<=' if self.include_lower else '<'} "
        high = "" if self.upper is None else f" {'<=' if self.include_upper else '<'} {self.upper:g}"
        return f"{low}x{high}"


class RuleSet(_Data):
    name: str
    version: int = Field(ge=1)
    title: str
    citation: str = ""
    code: str = ""
    description: str = ""
    affect_of: Literal["either", "reply"] = Field("either", description="whose affect counts: either post's, or the reply's")
    unknown: Unknowns = Unknowns()
    unverified: Literal["failed", "as-said"] = Field(
        "failed", description="a label whose quote is not in the post: failed (unknown), or taken as said (no check)"
    )
    table: tuple[RuleRow, ...]
    levels: tuple[Level, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> RuleSet:
        keys = [(r.stance, r.affect, r.agreement) for r in self.table]
        every = set(itertools.product(("same", "opposite"), ("yes", "no"), ("yes", "no")))
        if len(set(keys)) != len(keys):
            raise ValueError("the table has a combination twice")
        missing = every - set(keys)
        if missing:
            raise ValueError(f"the table has no score for {', '.join('/'.join(m) for m in sorted(missing))}")
        return self

    @property
    def id(self) -> str:
        return f"{self.name}@{self.version}"

    def score(self, facts: Facts) -> Scored:
        """The interaction's score, or why it has none."""
        relation = self._relation(facts)
        affect = self._affect(facts)
        agreement = facts.agreement if facts.agreement is not None else _as(self.unknown.agreement)
        missing = [name for name, v in (("stance", relation), ("affect", affect), ("agreement", agreement)) if v is None]
        if missing:
            names = missing[0] if len(missing) == 1 else f"{', '.join(missing[:-1])} and {missing[-1]}"
            return Scored(None, relation, affect, agreement, f"{names} unknown")
        row = next(r for r in self.table if (r.stance, r.affect, r.agreement) == (relation, affect, agreement))
        return Scored(row.score, relation, affect, agreement, None)

    def levels_of(self, x: float) -> list[str]:
        return [level.name for level in self.levels if level.contains(x)]

    def _relation(self, facts: Facts) -> str | None:
        a, b = facts.reply_stance, facts.parent_stance
        if a is not None and b is not None:
            return "same" if a == b else "opposite"
        if self.unknown.stance == "as-label":  # the unknown label is a label like the sides
            return "same" if a == b else "opposite"
        return None

    def _affect(self, facts: Facts) -> str | None:
        fill = _as(self.unknown.affect)
        mine = facts.reply_affect if facts.reply_affect is not None else fill
        if self.affect_of == "reply":
            return mine
        theirs = facts.parent_affect if facts.parent_affect is not None else fill
        if "yes" in (mine, theirs):
            return "yes"
        return "no" if mine == theirs == "no" else None


def _as(policy: str) -> str | None:
    return None if policy == "unscored" else policy


@dataclass(frozen=True)
class Facts:
    """One reply and its parent; None is unknown (unclear, or an answer that failed)."""

    reply_stance: str | None
    parent_stance: str | None
    reply_affect: str | None
    parent_affect: str | None
    agreement: str | None


@dataclass(frozen=True)
class Scored:
    score: float | None
    stance: str | None  # the relation used: same / opposite
    affect: str | None
    agreement: str | None
    unscored: str | None  # why there is no score


def load_rules(name: str = DEFAULT_RULES) -> RuleSet:
    """A shipped rule set by name (``"asonam2025"``, ``"asonam2025-compat@1"``) or a rule file's path."""
    return load_data("rule", name, RuleSet)


def list_rules() -> list[RuleSet]:
    return [load_rules(name) for name in shipped_names("rule")]
