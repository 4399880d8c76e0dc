"""What one post's annotation holds, and its row in a run's annotation parts.

Three facts per post — its ``stance`` on the topic, whether it agrees with the post it
answers (``agreement``; replies only) and whether it shows ``affect`` toward the other side
— each with a value, a status, a confidence and the evidence for it:

- status ``ok``: the value is known (a stance label; ``yes``/``no``);
- ``unknown``: the annotator could not tell (the model said "unclear", the classifier was not
  sure enough, the user's column was empty); the value is None;
- ``failed``: the answer could not be used (not parsable, a label outside the topic, a quote
  that is not in the post, a request that kept failing); the value is None and ``note``
  says why. Failures are counted per thread; nothing is guessed in their place. ``said``
  keeps the label the model gave when only its quote failed (a rule set that reproduces
  code which never checked quotes can use it);
- ``derived``: agreement left for the scoring step to derive from the two stances (offline);
- ``none``: the fact does not apply (agreement of a post that answers nobody).

Evidence items are spans of the post's text (``text == post[start:end]``), each naming the
fact it supports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["FACTS", "Annotation", "Fact", "Span", "annotation_table"]

FACTS = ("stance", "agreement", "affect")
Status = Literal["ok", "unknown", "failed", "derived", "none"]


@dataclass(frozen=True)
class Span:
    fact: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Fact:
    value: str | None = None
    status: Status = "unknown"
    confidence: float | None = None
    note: str | None = None
    said: str | None = None  # an allowed label the model gave, even when its quote failed verification

    @classmethod
    def failed(cls, why: str, said: str | None = None) -> Fact:
        return cls(None, "failed", None, why, said)


@dataclass
class Annotation:
    post: int
    stance: Fact
    agreement: Fact
    affect: Fact
    evidence: list[Span] = field(default_factory=list)
    hostility: float | None = None  # offline: the probability of a hostile emotion
    hostile: bool | None = None  # offline: a hostile label decided, with negative valence (aimed or not)
    valence: float | None = None
    targets: list[str] = field(default_factory=list)  # offline: what the post's hostility is aimed at
    backend: str = ""


def annotation_schema() -> Any:
    import pyarrow as pa

    text, number = pa.string(), pa.float64()
    fields: list[tuple[str, Any]] = [("post", pa.int64())]
    for fact in FACTS:
        fields += [(fact, text), (f"{fact}_status", text), (f"{fact}_confidence", number), (f"{fact}_note", text)]
        fields.append((f"{fact}_said", text))
    span = pa.struct([("fact", text), ("start", pa.int32()), ("end", pa.int32()), ("text", text)])
    fields += [
        ("evidence", pa.list_(span)),
        ("hostility", number),
        ("hostile", pa.bool_()),
        ("valence", number),
        ("targets", pa.list_(text)),
        ("backend", text),
    ]
    return pa.schema(fields)


def annotation_table(annotations: Sequence[Annotation]) -> Any:
    """A Parquet-ready table, one row per annotation."""
    import pyarrow as pa

    schema = annotation_schema()
    columns: dict[str, list[Any]] = {name: [] for name in schema.names}
    for a in annotations:
        columns["post"].append(a.post)
        for name in FACTS:
            fact: Fact = getattr(a, name)
            columns[name].append(fact.value)
            columns[f"{name}_status"].append(fact.status)
            columns[f"{name}_confidence"].append(fact.confidence)
            columns[f"{name}_note"].append(fact.note)
            columns[f"{name}_said"].append(fact.said if fact.status == "failed" else fact.value)
        columns["evidence"].append([s.__dict__ for s in a.evidence])
        columns["hostility"].append(a.hostility)
        columns["hostile"].append(a.hostile)
        columns["valence"].append(a.valence)
        columns["targets"].append(a.targets)
        columns["backend"].append(a.backend)
    return pa.table(columns, schema=schema)
