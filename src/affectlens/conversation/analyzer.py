"""Analyse whole conversations: per-turn emotions in context, dynamics, causes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from affectlens.conversation.causes import CAUSE_WINDOW, cause_features, load_cause_model
from affectlens.conversation.dynamics import DEFAULT_ESCALATION_TURNS, DEFAULT_SHIFT_THRESHOLD, dynamics
from affectlens.conversation.schema import Cause, ConversationAnalysis, TurnAnalysis
from affectlens.conversation.tree import check_parents, linear_parents, restrict
from affectlens.errors import ConfigError
from affectlens.reasoning.calibration import bounded_confidence
from affectlens.reasoning.language import language_adjusted
from affectlens.reasoning.projection import sentiment_of
from affectlens.schema import VAD, Analysis
from affectlens.taxonomy import load_taxonomy

__all__ = ["CONTEXT_BACKEND", "Conversation", "ConversationAnalyzer", "TurnSignals"]

CONTEXT_BACKEND = "context"  # the shipped conversation model; any other name is an ordinary backend


@dataclass
class Conversation:
    """Turns in order. ``speakers[i]`` is None when the turn's speaker is unknown; ``held``
    names the turns kept in place but not analysed, and why (e.g. too long).

    ``parents[i]`` is the earlier turn that turn *i* answers (None: it answers nobody); by
    default each turn answers the one before it. A reply thread is a conversation whose
    parents branch (:mod:`affectlens.conversation.tree`). ``ids`` are the turns' own ids,
    when the input has them."""

    id: str
    speakers: list[str | None]
    texts: list[str]
    timestamps: list[str | None] = field(default_factory=list)
    held: dict[int, str] = field(default_factory=dict)
    parents: list[int | None] = field(default_factory=list)
    ids: list[str | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        n = len(self.texts)
        if not self.timestamps:
            self.timestamps = [None] * n
        if not self.parents:
            self.parents = linear_parents(n)
        if not self.ids:
            self.ids = [None] * n
        if not len(self.speakers) == len(self.timestamps) == len(self.parents) == len(self.ids) == n:
            raise ValueError(f"conversation {self.id!r}: every turn needs a speaker, a timestamp, a parent and an id slot")
        check_parents(self.parents)


@dataclass
class TurnSignals:
    """What the models say about each turn, before dynamics and causes."""

    analyses: list[Analysis]
    emotional: np.ndarray  # [n] probability of carrying an emotion
    vad: np.ndarray  # [n, 3]
    vectors: np.ndarray  # [n, d] sentence vectors of the turns alone


class ConversationAnalyzer:
    """Per-turn emotions (Ekman + neutral) read in context, VAD, dynamics and causes.

    ``backend="context"`` (default) uses the shipped conversation model, which reads each
    turn with the turns before it; any other backend name (``embedded``, ``openai``…) scores
    each turn on its own through that backend. VAD and the sentence vectors used for causes
    always come from the embedded model.
    """

    def __init__(
        self,
        *,
        backend: str = CONTEXT_BACKEND,
        model_dir: str | Path | None = None,
        local_dir: str | Path | None = None,
        threads: int | None = None,
        shift_threshold: float = DEFAULT_SHIFT_THRESHOLD,
        escalation_turns: int = DEFAULT_ESCALATION_TURNS,
        head: str = "meld",
        **backend_options: Any,
    ) -> None:
        from affectlens.api import get_analyzer
        from affectlens.conversation.causes import DAILYDIALOG_HEAD_FILE, local_model_dir
        from affectlens.conversation.model import ContextModel

        local = Path(local_dir) if local_dir else local_model_dir()
        head_file = None
        if head == "dailydialog":
            head_file = local / DAILYDIALOG_HEAD_FILE
            if not head_file.is_file():
                raise ConfigError(
                    f"no DailyDialog head in {local}", hint="build it: affectlens conversation build --data-dir DIR"
                )
        elif head != "meld":
            raise ConfigError(f"unknown head {head!r}", hint="meld (shipped) or dailydialog (built locally)")
        self.taxonomy = load_taxonomy("ekman")
        self.embedded = get_analyzer("embedded", threads=threads)
        self.context = ContextModel(model_dir, threads=threads, head=head_file) if backend == CONTEXT_BACKEND else None
        if self.context is None:
            self.turn_backend = (
                self.embedded if backend == "embedded" and not backend_options else get_analyzer(backend, **backend_options)
            )
        self.causes = load_cause_model(local)
        self.shift_threshold = shift_threshold
        self.escalation_turns = escalation_turns

    @property
    def backend_id(self) -> str:
        assert self.context is not None or self.turn_backend is not None
        turns = f"conversation/{self.context.model_id}" if self.context else self.turn_backend.backend_id
        return f"{turns}+causes/{self.causes.id}"

    def signals(self, texts: list[str], parents: list[int | None] | None = None) -> TurnSignals:
        """Signals for the turns ``texts`` (non-empty), each read with the turns it answers
        (``parents``; default, the ones before it)."""
        raw = self.embedded.predict_raw(texts)
        vectors = np.stack([e.pooled.mean(axis=0) for e in raw.encoded]) if texts else np.zeros((0, 384))
        if self.context is None:
            assert self.turn_backend is not None
            analyses = self.turn_backend.analyze_batch(texts, taxonomy="ekman")
            emotional = np.asarray([1.0 - a.scores.get("neutral", 0.0) for a in analyses])
            vad = np.asarray([[a.vad.valence, a.vad.arousal, a.vad.dominance] for a in analyses]).reshape(len(texts), 3)
            return TurnSignals(analyses, emotional, vad, vectors)
        probs = self.context.probabilities(texts, parents)
        labels = self.context.labels
        borrowed = _borrowed_from_context(probs, self.context.probabilities(texts, [None] * len(texts)), labels)
        analyses = []
        for i, text in enumerate(texts):
            if i in borrowed:
                probs[i] = borrowed[i][0]
            scores = {label: round(float(p), 4) for label, p in zip(labels, probs[i])}
            top = labels[int(probs[i].argmax())]
            v, a, d = (round(float(x), 4) for x in raw.vad[i])
            confidence, language_warning = language_adjusted(text, float(probs[i].max()))
            analyses.append(
                Analysis(
                    text=text,
                    taxonomy=self.taxonomy.id,
                    scores=scores,
                    labels=[top],
                    dominant=top,
                    vad=VAD(valence=v, arousal=a, dominance=d),
                    sentiment=sentiment_of([top], self.taxonomy),
                    confidence=round(bounded_confidence(confidence), 4),
                    backend=f"conversation/{self.context.model_id}",
                    warnings=[w for w in (language_warning, borrowed[i][1] if i in borrowed else None) if w],
                )
            )
        return TurnSignals(analyses, 1.0 - probs[:, labels.index("neutral")], raw.vad.astype(float), vectors)

    def analyze(self, conversation: Conversation) -> ConversationAnalysis:
        """Per-turn analyses, dynamics and causes. Turns that are empty or held (too long) keep
        their index and a warning, and are left out: the models read the conversation without
        them, and dynamics and causes do not count them."""
        texts, speakers = conversation.texts, conversation.speakers
        held = dict(conversation.held)
        held.update({i: "empty turn" for i, text in enumerate(texts) if i not in held and not text.strip()})
        active = [i for i in range(len(texts)) if i not in held]
        links = restrict(conversation.parents, active)  # among the active turns
        s = self.signals([texts[i] for i in active], links)
        analyses: dict[int, Analysis] = dict(zip(active, s.analyses))
        for i, why in held.items():
            analyses[i] = Analysis(
                text=texts[i],
                taxonomy=self.taxonomy.id,
                backend=self.backend_id,
                warnings=[f"{why}: not analysed, and left out of dynamics and causes"],
            )
        dominant = [a.dominant for a in s.analyses]
        effects = [k for k, label in enumerate(dominant) if label not in (None, "neutral")]
        causes: list[Cause] = []
        if effects:
            # an unknown speaker is nobody else's turn: give each its own name
            named = [speakers[i] if speakers[i] is not None else f"\x00unknown-{i}" for i in active]
            features = cause_features(
                effects,
                [str(dominant[k]) for k in effects],
                named,
                s.vectors,
                s.emotional,
                s.vad[:, 0],
                max_back=CAUSE_WINDOW,
                parents=links,
            )
            scores = self.causes.scores(features)
            causes = [
                Cause(effect_turn=active[t], cause_turn=active[j], label=str(dominant[t]), score=round(float(p), 4))
                for (t, j), p in zip(features.pairs, scores)
                if p >= self.causes.threshold
            ]
        warnings = []
        if held:
            warnings.append(f"turns {_list(held)} are empty or were not analysed: they are left out of dynamics and causes")
        unknown = [i for i in active if speakers[i] is None]
        if unknown:
            warnings.append(
                f"turns {_list(unknown)} have no speaker: analysed, but left out of trajectories, shifts, inertia and contagion"
            )
        if self.causes.id.startswith("positional"):
            warnings.append("causes come from the positional rule; `affectlens conversation build` trains the RECCON model")
        return ConversationAnalysis(
            conversation_id=conversation.id,
            backend=self.backend_id,
            turns=[
                TurnAnalysis(
                    index=i,
                    id=conversation.ids[i],
                    parent=conversation.parents[i],
                    speaker=speakers[i],
                    timestamp=conversation.timestamps[i],
                    analysis=analyses[i],
                )
                for i in range(len(texts))
            ],
            dynamics=dynamics(
                [speakers[i] for i in active],
                dominant,
                s.vad,
                turns=active,
                shift_threshold=self.shift_threshold,
                escalation_turns=self.escalation_turns,
                parents=links,
            ),
            causes=causes,
            cause_model=self.causes.id,
            warnings=warnings,
        )


#: a turn's emotion must be in the turn: when the turn read alone gives its label less than this
#: share of the probability it has with the turns before, the label came from them. Chosen on
#: MELD dev between 0.5 (weighted-F1 0.598 -> 0.589) and 0.25 (-> 0.600); docs/conversations.md
BORROWED_SHARE = 0.25


def _borrowed_from_context(
    with_context: np.ndarray, alone: np.ndarray, labels: Sequence[str]
) -> dict[int, tuple[np.ndarray, str]]:
    """Turns whose emotion the context model read from the turns they answer rather than from
    the turn itself (an agent's calm "I've issued a full refund" after an angry customer read
    as anger): ``{turn: (the turn-alone probabilities, a warning)}``. Neutral is never borrowed."""
    out = {}
    for i, (ctx, own) in enumerate(zip(with_context, alone)):
        k = int(ctx.argmax())
        if labels[k] == "neutral" or own[k] >= BORROWED_SHARE * ctx[k] or int(own.argmax()) == k:
            continue
        top = labels[int(own.argmax())]
        out[i] = (
            own.copy(),
            f"{labels[k]} ({ctx[k]:.2f}) came from the turns before, not this one (alone {own[k]:.2f}); "
            f"read alone it is {top} ({own.max():.2f})",
        )
    return out


def _list(turns: Iterable[int]) -> str:
    turns = sorted(turns)
    return ", ".join(map(str, turns[:20])) + (f" and {len(turns) - 20} more" if len(turns) > 20 else "")
