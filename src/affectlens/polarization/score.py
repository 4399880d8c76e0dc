"""Scoring: annotated posts → interactions (a reply and its parent, scored by a rule set) →
threads (the mean of their scored interactions).

An interaction's facts are the reply's stance, affect and agreement and the parent's stance
and affect, each taken from that post's own annotation (the paper does the same: a parent's
stance is what it was annotated as, not re-judged per reply). Offline, agreement is derived
here from the two stances. A fact whose annotation failed is unknown to the rules, and the
interaction remembers which facts failed; the rule set decides what unknowns do
(:mod:`affectlens.polarization.rules`).

Threads: ``score`` is the mean over the thread's scored interactions (None when it has none),
``levels`` the rule set's levels that contain it; the counts say what kept the rest from
being scored. A thread's ``time`` is its first post's (the root's) ``created_at``, or its
earliest post's when the root has none.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from affectlens.polarization.rules import Facts, RuleSet

__all__ = ["Interaction", "Scores", "ThreadScore", "score_posts"]


@dataclass
class Interaction:
    post: int
    id: str
    parent_id: str
    thread: str
    topic: str
    author: str | None
    parent_author: str | None
    time: str | None
    reply_stance: str | None
    parent_stance: str | None
    reply_affect: str | None
    parent_affect: str | None
    agreement: str | None
    agreement_from: str  # "model" or "stances"
    relation: str | None
    affect: str | None
    agreement_used: str | None
    score: float | None
    unscored: str | None
    failed: list[str] = field(default_factory=list)  # facts whose annotation failed: "reply stance", "parent affect"…


@dataclass
class ThreadScore:
    thread: str
    topic: str
    time: str | None
    posts: int = 0
    replies: int = 0
    interactions: int = 0
    scored: int = 0
    unscored_unknown: int = 0
    unscored_failed: int = 0
    failed_posts: int = 0
    unknown_facts: int = 0
    score: float | None = None
    levels: list[str] = field(default_factory=list)


@dataclass
class Scores:
    rules: str
    interactions: list[Interaction]
    threads: list[ThreadScore]

    def summary(self) -> dict[str, Any]:
        scored = [t.score for t in self.threads if t.score is not None]
        return {
            "rules": self.rules,
            "threads": len(self.threads),
            "threads_scored": len(scored),
            "interactions": len(self.interactions),
            "scored": sum(i.score is not None for i in self.interactions),
            "unscored_unknown": sum(i.score is None and not i.failed for i in self.interactions),
            "unscored_failed": sum(i.score is None and bool(i.failed) for i in self.interactions),
            "mean_thread_score": round(sum(scored) / len(scored), 4) if scored else None,
        }


def score_posts(posts: dict[str, list[Any]], notes: dict[str, list[Any]], rules: RuleSet) -> Scores:
    """Score every reply of ``posts`` (columns of ``posts.parquet``) with the annotations
    ``notes`` (columns of the parts, indexed by ``post``), under ``rules``."""
    n = len(posts["post"])
    where = {int(p): k for k, p in enumerate(notes["post"])}
    row = [where.get(int(p)) for p in posts["post"]]
    by_id = {posts["id"][k]: k for k in range(n)}

    as_said = rules.unverified == "as-said"

    def fact(k: int, name: str) -> tuple[str | None, str]:
        """A post's fact: (value, status); under ``unverified: as-said`` a failed fact whose
        label was allowed (only its quote failed) counts as said."""
        r = row[k]
        if r is None:
            return None, "failed"
        status = notes[f"{name}_status"][r]
        if status == "failed" and as_said and notes[f"{name}_said"][r] is not None:
            return notes[f"{name}_said"][r], "ok"
        return notes[name][r], status

    interactions: list[Interaction] = []
    threads: dict[str, ThreadScore] = {}
    first_time: dict[str, str | None] = {}
    for k in range(n):
        thread = posts["thread"][k]
        t = threads.setdefault(thread, ThreadScore(thread, posts["topic"][k], None))
        first_time.setdefault(thread, posts["time"][k])
        if posts["time"][k] and (t.time is None or posts["time"][k] < t.time):
            t.time = posts["time"][k]
        t.posts += 1
        statuses = ["failed" if row[k] is None else notes[f"{name}_status"][row[k]] for name in ("stance", "agreement", "affect")]
        t.failed_posts += "failed" in statuses
        t.unknown_facts += statuses.count("unknown")
        if not posts["is_reply"][k]:
            continue
        t.replies += 1
        parent = by_id.get(posts["parent_id"][k])
        if parent is None:  # cannot happen for a reply of posts.parquet; kept safe
            continue
        failed = []
        values = {}
        for who, index in (("reply", k), ("parent", parent)):
            for name in ("stance", "affect"):
                value, status = fact(index, name)
                values[f"{who}_{name}"] = value if status == "ok" else None
                if status == "failed":
                    failed.append(f"{who} {name}")
        agreement, status = fact(k, "agreement")
        agreement_from = "model"
        if status == "derived":
            agreement_from = "stances"
            a, b = values["reply_stance"], values["parent_stance"]
            agreement = None if a is None or b is None else ("yes" if a == b else "no")
        elif status != "ok":
            agreement = None
            if status == "failed":
                failed.append("agreement")
        facts = Facts(values["reply_stance"], values["parent_stance"], values["reply_affect"], values["parent_affect"], agreement)
        scored = rules.score(facts)
        interactions.append(
            Interaction(
                post=int(posts["post"][k]),
                id=posts["id"][k],
                parent_id=posts["parent_id"][k],
                thread=thread,
                topic=posts["topic"][k],
                author=posts["author"][k],
                parent_author=posts["author"][parent],
                time=posts["time"][k],
                reply_stance=facts.reply_stance,
                parent_stance=facts.parent_stance,
                reply_affect=facts.reply_affect,
                parent_affect=facts.parent_affect,
                agreement=agreement,
                agreement_from=agreement_from,
                relation=scored.stance,
                affect=scored.affect,
                agreement_used=scored.agreement,
                score=scored.score,
                unscored=scored.unscored,
                failed=failed,
            )
        )
        t.interactions += 1
        if scored.score is not None:
            t.scored += 1
        elif failed:
            t.unscored_failed += 1
        else:
            t.unscored_unknown += 1
    sums: dict[str, float] = {}
    for i in interactions:
        if i.score is not None:
            sums[i.thread] = sums.get(i.thread, 0.0) + i.score
    for name, t in threads.items():
        if first_time[name]:
            t.time = first_time[name]
        if t.scored:
            t.score = round(sums[name] / t.scored, 6)
            t.levels = rules.levels_of(t.score)
    return Scores(rules.id, interactions, list(threads.values()))


def parse_utc(value: str | None) -> dt.datetime | None:
    """A stored ISO time back to a datetime (None stays None)."""
    if not value:
        return None
    moment = dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def finite(values: list[float | None]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]
