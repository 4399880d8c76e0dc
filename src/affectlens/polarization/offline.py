"""The offline annotator: stance, agreement and affect toward the other side without an LLM.

- **Affect toward the other side** — a post is *hostile* when the hostility head
  (:mod:`affectlens.polarization.hostility`: insults and attacks on a person or group, not
  swearing among friends) puts it at or above its threshold; with a model folder built without
  a head, when one of the anger/contempt-like GoEmotions labels (:data:`HOSTILE`: anger,
  annoyance, disgust, disapproval) is among its decided labels and its valence is negative
  (:func:`emotion_rule`). Its hostility is *aimed* when the post names a target — the author it answers (``you``,
  ``your``…, or an ``@mention`` of that author), people of a side (the topic's words, e.g.
  "deniers"; the writer's own side does not count when the writer's stance is known), or
  out-groups in general ("you people", "these people"…). Affect is ``yes`` when the post is
  hostile, aimed, and the hostility sits in a sentence that names the target (with the head:
  those sentences read alone are still hostile, and the first is the evidence; without it: a
  phrase that carries the hostile label, verified by attribution as ``--explain`` does); ``unknown`` when it is
  hostile and aimed but no such phrase is verified; ``no`` otherwise. Evidence: the phrase
  and the target.
- **Stance** — the user's column, or the classifier of :mod:`affectlens.polarization.stance`.
- **Agreement** — left to the scoring step, which derives it from the two stances (same side:
  agree; opposite sides: disagree; either unknown: unknown). So offline, "same stance,
  disagreeing" never occurs: the table rows that need it are the LLM path's.

docs/polarization.md says how far this is from the LLM path, with the figures.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from affectlens.analyzers.base import AnalyzeOptions
from affectlens.polarization.annotation import Annotation, Fact, Span
from affectlens.polarization.hostility import HostilityHead
from affectlens.polarization.stance import StanceModel
from affectlens.polarization.topics import Topic
from affectlens.schema import Analysis

__all__ = ["HOSTILE", "OfflineAnnotator", "PostInput", "emotion_rule", "targets_in"]

HOSTILE = ("anger", "annoyance", "disgust", "disapproval")
_SECOND_PERSON = re.compile(
    r"(?<![\w@])(?:you|your|yours|yourself|yourselves|you're|youre|you've|u|ur|y'all|yall|ya)(?!\w)", re.I
)
_OUT_GROUPS = re.compile(
    r"(?<!\w)(?:you people|people like you|your kind|your side|your lot|you lot|these people|those people|"
    r"the other side|you guys|all of you|every one of you|morons like you|idiots like you)(?!\w)",
    re.I,
)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*", re.S)


def emotion_rule(analysis: Analysis) -> bool:
    """Hostile by the emotions alone: an anger/contempt-like label decided, valence negative."""
    return bool(set(HOSTILE) & set(analysis.labels)) and analysis.vad.valence < 0


@dataclass(frozen=True)
class PostInput:
    post: int
    text: str
    topic: str
    is_reply: bool
    parent_text: str | None = None
    parent_author: str | None = None
    given_stance: str | None = None


def targets_in(
    text: str, topic: Topic, *, is_reply: bool, parent_author: str | None, own_stance: str | None
) -> list[tuple[str, int, int]]:
    """What ``text`` aims at: ``(kind, start, end)`` per mention — ``addressee`` (second
    person, in a reply), ``@author``, ``side:<stance>`` (a word for people of that side, not
    the writer's own), ``out-group``."""
    found: list[tuple[str, int, int]] = []
    if is_reply:
        found += [("addressee", m.start(), m.end()) for m in _SECOND_PERSON.finditer(text)]
        if parent_author:
            mention = re.compile(r"@" + re.escape(parent_author.lstrip("@")) + r"(?!\w)", re.I)
            found += [("@author", m.start(), m.end()) for m in mention.finditer(text)]
    for label, pattern in topic.people_patterns.items():
        if label != own_stance:
            found += [(f"side:{label}", m.start(), m.end()) for m in pattern.finditer(text)]
    found += [("out-group", m.start(), m.end()) for m in _OUT_GROUPS.finditer(text)]
    return sorted(found, key=lambda t: t[1])


def _sentences(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _SENTENCE.finditer(text)] or [(0, len(text))]


def _aimed_sentences(text: str, targets: Sequence[Span]) -> list[tuple[int, int]]:
    """The sentences of ``text`` that name one of ``targets`` (all of a one-sentence text)."""
    sentences = _sentences(text)
    if len(sentences) == 1:
        return [(0, len(text))]
    return [(a, b) for a, b in sentences if any(a <= t.start < b for t in targets)]


class OfflineAnnotator:
    """Annotates posts with the embedded model (one encoder pass for emotions and stance vectors;
    a second, with attribution, only for the posts whose hostility is aimed)."""

    def __init__(
        self,
        topics: dict[str, Topic],
        *,
        stance_models: dict[str, StanceModel] | None = None,
        threads: int | None = None,
        evidence: bool = True,
    ) -> None:
        from affectlens.api import get_analyzer

        self.topics = topics
        self.stance_models = stance_models or {}
        self.analyzer = get_analyzer("embedded", **({"threads": threads} if threads else {}))
        self.head = HostilityHead.load(self.analyzer.model_dir)  # type: ignore[attr-defined]
        self.evidence = evidence

    @property
    def backend_id(self) -> str:
        head = "+hostility-head" if self.head is not None else "+emotion-rule"
        return f"offline/{self.analyzer.backend_id}{head}"

    def annotate(self, posts: Sequence[PostInput]) -> list[Annotation]:
        options = AnalyzeOptions(taxonomy="goemotions")
        analyses, vectors = self.analyzer.analyze_with_vectors([p.text for p in posts], options=options)  # type: ignore[attr-defined]
        stances = self._stances(posts, vectors)
        if self.head is not None:
            probability = self.head.score(self.analyzer, [p.text for p in posts], analyses, vectors)
            flags = probability >= self.head.threshold
        else:
            probability = np.asarray([max((a.scores.get(label, 0.0) for label in HOSTILE), default=0.0) for a in analyses])
            flags = np.asarray([emotion_rule(a) for a in analyses], dtype=bool)
        out = []
        aimed: list[int] = []
        for k, (post, analysis, stance) in enumerate(zip(posts, analyses, stances)):
            topic = self.topics[post.topic]
            hostility, hostile = float(probability[k]), bool(flags[k])
            targets = targets_in(
                post.text, topic, is_reply=post.is_reply, parent_author=post.parent_author, own_stance=stance.value
            )
            if hostile and targets:
                aimed.append(k)
                affect = Fact("yes", "ok", round(hostility, 4))  # confirmed below when evidence is on
            elif hostile:
                affect = Fact("no", "ok", round(hostility, 4), "hostile, but aimed at no person or side")
            else:
                affect = Fact("no", "ok", round(1 - hostility, 4))
            agreement = Fact(None, "derived" if post.is_reply else "none")
            evidence = [Span("affect", a, b, post.text[a:b]) for _, a, b in targets[:5]] if hostile and targets else []
            out.append(
                Annotation(
                    post=post.post,
                    stance=stance,
                    agreement=agreement,
                    affect=affect,
                    evidence=evidence,
                    hostility=round(hostility, 4),
                    hostile=hostile,
                    valence=round(analysis.vad.valence, 4),
                    targets=sorted({kind for kind, _, _ in targets}),
                    backend=self.backend_id,
                )
            )
        if self.evidence and aimed:
            self._verify_aim([posts[k] for k in aimed], [out[k] for k in aimed])
        return out

    def _verify_aim(self, posts: Sequence[PostInput], annotations: Sequence[Annotation]) -> None:
        """Keep affect ``yes`` only where the hostility sits in a sentence that names a target:
        with the head, those sentences read alone are still hostile; without it, a verified
        hostile phrase lies in one of them."""
        within = [_aimed_sentences(post.text, annotation.evidence) for post, annotation in zip(posts, annotations)]
        if self.head is not None:
            self._verify_aim_with_head(posts, annotations, within)
            return
        verified = self.analyzer.native_evidence([p.text for p in posts], HOSTILE, within=within)  # type: ignore[attr-defined]
        for annotation, hits in zip(annotations, verified):
            if hits:
                best = hits[0]
                annotation.evidence = [Span("affect", best.start, best.end, best.text), *annotation.evidence]
            else:
                annotation.affect = Fact(
                    None, "unknown", annotation.affect.confidence, "hostile and aimed, but no hostile phrase verified"
                )

    def _verify_aim_with_head(
        self, posts: Sequence[PostInput], annotations: Sequence[Annotation], within: list[list[tuple[int, int]]]
    ) -> None:
        assert self.head is not None
        partial = [k for k, (post, spans) in enumerate(zip(posts, within)) if spans != [(0, len(post.text))]]
        still = dict.fromkeys(range(len(posts)), True)
        if partial:
            pieces = [" ".join(posts[k].text[a:b].strip() for a, b in within[k]) for k in partial]
            analyses, vectors = self.analyzer.analyze_with_vectors(pieces, options=AnalyzeOptions(taxonomy="goemotions"))  # type: ignore[attr-defined]
            probability = self.head.score(self.analyzer, pieces, analyses, vectors)
            still |= {k: bool(p >= self.head.threshold) for k, p in zip(partial, probability)}
        for k, (post, annotation) in enumerate(zip(posts, annotations)):
            if not still[k] or not within[k]:
                annotation.affect = Fact(
                    None, "unknown", annotation.affect.confidence, "hostile, but not in the sentence that names the target"
                )
                continue
            a, b = within[k][0]
            a += len(post.text[a:b]) - len(post.text[a:b].lstrip())
            b -= len(post.text[a:b]) - len(post.text[a:b].rstrip())
            annotation.evidence = [Span("affect", a, b, post.text[a:b]), *annotation.evidence]

    def _stances(self, posts: Sequence[PostInput], vectors: np.ndarray) -> list[Fact]:
        out: list[Fact] = []
        predicted: dict[int, tuple[str | None, float]] = {}
        by_topic: dict[str, list[int]] = {}
        for k, post in enumerate(posts):
            if post.topic in self.stance_models:
                by_topic.setdefault(post.topic, []).append(k)
        for name, ks in by_topic.items():
            for k, result in zip(ks, self.stance_models[name].predict(vectors[ks], self.topics[name].unknown.label)):
                predicted[k] = result
        for k, post in enumerate(posts):
            topic = self.topics[post.topic]
            if k in predicted:
                label, p = predicted[k]
                out.append(Fact(label, "ok", p) if label else Fact(None, "unknown", p))
                continue
            given = (post.given_stance or "").strip().lower()
            if not given or given == topic.unknown.label:
                out.append(Fact(None, "unknown", None, "no stance in the column" if not given else None))
            elif given in topic.labels:
                out.append(Fact(given, "ok", None))
            else:
                out.append(Fact.failed(f"stance {given!r} in the column is not one of {', '.join(topic.labels)}"))
        return out
