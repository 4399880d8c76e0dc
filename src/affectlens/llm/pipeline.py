"""Perceive → reason → verify, for one text, with any chat client.

1. **Perceive**: the model quotes cues from the text. Each quote is grounded
   (:mod:`affectlens.llm.grounding`) — repaired to its real position, or dropped and
   reported — *before* the next stage sees it, so reasoning rests on words that exist.
2. **Reason** (after any middle hops of the strategy, e.g. aspect → opinion): labels with
   probabilities and the cue ids that carry them, VAD, a rationale, a confidence; once, or
   ``samples`` times for self-consistency (label frequencies become the probabilities, and
   the share of samples agreeing on the majority label set the confidence).
3. **Verify**: every label must be in the requested taxonomy or map to it through the
   open-vocabulary normaliser; others are dropped with a warning. Evidence is the grounded
   cues a kept label cites. The model's rationale is verified like evidence: one that quotes
   words not in the text, or names an emotion outside the final labels (not negated: "no
   anger" is fine), is replaced by one built from the verified evidence, with a warning.

The text is always data: it travels as the value of ``"text"`` in a JSON object, under a
system message that says so; nothing in it can change the instructions or the answer format
(an answer in another format fails validation and is asked for again).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from pydantic import BaseModel

from affectlens.errors import BackendError, RunStoppedError
from affectlens.llm.client import Usage
from affectlens.llm.grounding import ground
from affectlens.llm.schemas import OUTPUTS, CuesAnswer, EmotionsAnswer, parse_as, strict_schema
from affectlens.llm.strategies import SYSTEM, Stage, Strategy
from affectlens.reasoning.calibration import bounded_confidence
from affectlens.reasoning.projection import neutral_apart, sentiment_of
from affectlens.reasoning.rationale import rationale as template_rationale
from affectlens.schema import VAD, Analysis, Evidence, dominant_label
from affectlens.taxonomy import Taxonomy, map_label

__all__ = ["Completer", "Context", "Notes", "analyze_text", "analyze_texts", "ask_json", "ask_parsed", "decide", "truncation"]

_QUOTED = re.compile(r"[\"“‘']([^\"”’']{3,})[\"”’']")
_WORD = re.compile(r"[a-z][a-z'-]*")
_NEGATORS = {"no", "not", "without", "nor", "never", "lack", "absence", "instead", "rather", "than", "isn't", "aren't"}
# words of the open vocabulary that a rationale uses about the text rather than to name a feeling
_NOT_NAMES = {
    "positive",
    "negative",
    "neutral",
    "mixed",
    "kind",
    "interest",
    "concern",
    "care",
    "content",
    "object",
    "lost",
    "aware",
    "critical",
    "agree",
    "agreement",
    "understanding",
    "recognition",
    "loss",
    "okay",
    "calm",
    "peace",
    "tension",
    "want",
    "wish",
    "trust",
    "confidence",
    "down",
    "blue",
    "hurt",
    "upset",
    "cheer",
}


class Completer(Protocol):
    usage: Usage

    async def complete(
        self, messages: list[dict[str, Any]], *, stage: str, schema_name: str, schema: dict[str, Any], sample: int = 0
    ) -> str: ...


@dataclass
class Context:
    client: Completer
    strategy: Strategy
    taxonomy: Taxonomy
    samples: int
    parse_retries: int
    backend_id: str
    stimulus: str | None = None
    demonstrations: Callable[[str], list[tuple[str, list[str]]]] | None = None


@dataclass
class Notes:
    """Warnings for one answer, each once."""

    warnings: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)


def _instruction(ctx: Context, stage: Stage, text: str) -> str:
    labels = ", ".join(ctx.taxonomy.names)
    instruction = stage.instruction.replace("{taxonomy}", ctx.taxonomy.id).replace("{labels}", labels)
    if stage.output == "emotions":
        if ctx.demonstrations is not None:
            demos = ctx.demonstrations(text)
            if demos:
                lines = "\n".join(f"- {json.dumps(t, ensure_ascii=False)} -> {', '.join(ls) or 'no emotion'}" for t, ls in demos)
                instruction += f"\nLabelled examples of similar texts:\n{lines}"
        if ctx.stimulus:
            instruction += f"\n{ctx.stimulus}"
    return f"{SYSTEM}\n\nTask: {instruction}"


async def ask_json(
    client: Completer,
    messages: list[dict[str, Any]],
    *,
    stage: str,
    schema_name: str,
    model: type[BaseModel],
    parse_retries: int,
    sample: int = 0,
) -> tuple[Any, str]:
    """The model's answer as ``model``, asking again (with the reason) when it does not
    parse; ``(None, reason)`` when it never does (counted in ``client.usage``)."""
    answer, reason, _ = await ask_parsed(
        client, messages, stage=stage, schema_name=schema_name, schema=strict_schema(model),
        parse=lambda content: parse_as(model, content), parse_retries=parse_retries, sample=sample,
    )  # fmt: skip
    return answer, reason


async def ask_parsed(
    client: Completer,
    messages: list[dict[str, Any]],
    *,
    stage: str,
    schema_name: str,
    schema: dict[str, Any],
    parse: Callable[[str], Any],
    parse_retries: int,
    sample: int = 0,
    again: str = "Answer again with JSON only, as asked.",
) -> tuple[Any, str, list[str]]:
    """``parse(answer)`` (which raises ValueError with a reason when it cannot use it), asking
    again with the reason and ``again`` up to ``parse_retries`` times; ``(None, reason, …)`` when
    no answer is usable (counted in ``client.usage``). Every answer the model gave is returned."""
    reason = ""
    contents: list[str] = []
    for attempt in range(parse_retries + 1):
        content = await client.complete(messages, stage=stage, schema_name=schema_name, schema=schema, sample=sample)
        contents.append(content)
        try:
            return parse(content), "", contents
        except ValueError as exc:
            reason = truncation(content, str(exc))
            if attempt < parse_retries:
                client.usage.parse_retries += 1
                messages = [
                    *messages,
                    {"role": "assistant", "content": content[:2000]},
                    {"role": "user", "content": f"That answer could not be used ({reason}). {again}"},
                ]
    client.usage.parse_failures += 1
    client.usage.truncated += getattr(contents[-1], "truncated", False)
    return None, reason, contents


def truncation(content: str, reason: str) -> str:
    """``reason``, led by the usual cause with a small model when the server cut the answer."""
    if getattr(content, "truncated", False):
        return f"the answer was cut off at max_tokens (raise -O max_tokens): {reason}"
    return reason


async def _ask(ctx: Context, stage: Stage, text: str, payload: dict[str, Any], notes: Notes, sample: int = 0) -> Any:
    """The stage's validated answer, asking again on a malformed one; None if it never parses."""
    messages = [
        {"role": "system", "content": _instruction(ctx, stage, text)},
        {"role": "user", "content": json.dumps({"text": text, **payload}, ensure_ascii=False)},
    ]
    answer, reason = await ask_json(
        ctx.client,
        messages,
        stage=stage.name,
        schema_name=stage.output,
        model=OUTPUTS[stage.output],
        parse_retries=ctx.parse_retries,
        sample=sample,
    )
    if answer is None:
        notes.add(f"the model's {stage.name} answer could not be parsed after {ctx.parse_retries + 1} attempts ({reason})")
    return answer


def _grounded_cues(ctx: Context, text: str, answer: CuesAnswer | None, notes: Notes) -> dict[int, tuple[int, int, str]]:
    cues: dict[int, tuple[int, int, str]] = {}
    for cue in answer.cues if answer else []:
        found = ground(text, cue.quote)
        if found is None:
            ctx.client.usage.dropped_spans += 1
            notes.add(f"dropped the cue {cue.quote[:60]!r}: it does not occur in the text")
            continue
        start, end, how = found
        if how == "fuzzy":
            ctx.client.usage.repaired_spans += 1
        cues[cue.id] = (start, end, cue.type)
    return cues


def _normalise(client: Completer, taxonomy: Taxonomy, answer: EmotionsAnswer, notes: Notes) -> dict[str, tuple[float, set[int]]]:
    """Model labels → taxonomy labels: probability (noisy-OR when several land on one) and cue ids."""
    out: dict[str, tuple[float, set[int]]] = {}
    for emotion in answer.emotions:
        word = emotion.label.strip().lower()
        if word in taxonomy.names:
            targets = [word]
        else:
            mapping = map_label(word, taxonomy)
            targets = mapping.labels
            if targets:
                client.usage.mapped_labels += 1
                notes.add(f"the model's label {emotion.label!r} was mapped to {targets} ({mapping.method})")
            else:
                client.usage.dropped_labels += 1
                notes.add(f"dropped the model's label {emotion.label[:40]!r}: not in {taxonomy.id} nor a known emotion word")
        p = float(np.clip(emotion.probability, 0.0, 1.0))
        for target in targets:
            before, cue_ids = out.get(target, (0.0, set()))
            out[target] = (1 - (1 - before) * (1 - p), cue_ids | set(emotion.cue_ids))
    return out


def _rationale_problem(taxonomy: Taxonomy, text: str, rationale: str, chosen: list[str]) -> str | None:
    """Why a model-written rationale cannot be shown, or None: it quotes what the text does not
    say, or names an emotion (not negated) that is not among the final labels."""
    for quote in _QUOTED.findall(rationale):
        if ground(text, quote) is None:
            return f"quoted {quote[:40]!r}, which is not in the text"
    words = _WORD.findall(_QUOTED.sub(" ", rationale).lower())
    for n, word in enumerate(words):
        if word in _NOT_NAMES or _NEGATORS & set(words[max(n - 3, 0) : n]):
            continue
        mapping = map_label(word, taxonomy)
        if mapping.method in ("name", "synonym") and mapping.labels and not set(mapping.labels) & set(chosen):
            return f"named {word!r} ({', '.join(mapping.labels)}), which is not among the labels ({', '.join(chosen) or 'none'})"
    return None


async def analyze_text(ctx: Context, text: str, id: str | None) -> Analysis:
    notes = Notes()
    stages = ctx.strategy.stages
    cues = _grounded_cues(ctx, text, await _ask(ctx, stages[0], text, {}, notes), notes)
    payload: dict[str, Any] = {"cues": [{"id": i, "quote": text[a:b], "type": kind} for i, (a, b, kind) in sorted(cues.items())]}
    for stage in stages[1:-1]:
        answer = await _ask(ctx, stage, text, payload, notes)
        if answer is not None:
            payload[stage.output] = answer.model_dump()
    answers = await asyncio.gather(*(_ask(ctx, stages[-1], text, payload, notes, sample=s) for s in range(ctx.samples)))
    spans = {i: Evidence(label="", start=a, end=b, text=text[a:b], weight=0.0) for i, (a, b, _) in cues.items()}
    return decide(ctx.client, ctx.taxonomy, ctx.backend_id, answers, spans, notes, text=text, quotes_from=text, id=id)


def decide(
    client: Completer,
    taxonomy: Taxonomy,
    backend_id: str,
    answers: list[EmotionsAnswer | None],
    cues: dict[int, Evidence],
    notes: Notes,
    *,
    text: str,
    quotes_from: str,
    id: str | None,
) -> Analysis:
    """The verified :class:`Analysis` from the reasoning ``answers`` (one, or several samples for
    self-consistency; None for one that never parsed): labels kept in (or mapped to) ``taxonomy``,
    evidence only from the verified ``cues`` (by id; ``label`` and ``weight`` filled in here) that
    a kept label cites, and the model's rationale only when its quotes are in ``quotes_from`` and
    it names no emotion outside the labels."""
    valid = [a for a in answers if a is not None]
    if not valid:
        return Analysis(id=id, text=text, taxonomy=taxonomy.id, backend=backend_id, warnings=notes.warnings)
    normalised = [_normalise(client, taxonomy, a, notes) for a in valid]
    names = taxonomy.names
    if len(valid) == 1:
        probs = {label: p for label, (p, _) in normalised[0].items()}
        chosen = [label for label in names if probs.get(label, 0.0) >= 0.5]
        confidence = float(np.clip(valid[0].confidence, 0.0, 1.0))
    else:  # self-consistency
        sets = [tuple(label for label in names if n.get(label, (0.0, set()))[0] >= 0.5) for n in normalised]
        counts = Counter(label for s in sets for label in s)
        probs = {label: counts[label] / len(sets) for label in counts}
        majority, agreeing = Counter(sets).most_common(1)[0]
        chosen = list(majority)
        confidence = agreeing / len(sets)
    if not chosen and taxonomy.neutral is not None:
        probs[taxonomy.neutral] = max(probs.get(taxonomy.neutral, 0.0), 1.0 - max(probs.values(), default=0.0))
        chosen = [taxonomy.neutral]
    chosen = neutral_apart(chosen, taxonomy)
    confidence = bounded_confidence(confidence)
    scores = {label: round(float(probs.get(label, 0.0)), 4) for label in names}
    cited = {label: set().union(*(n[label][1] for n in normalised if label in n)) for label in chosen}
    evidence = [
        cues[c].model_copy(update={"label": label, "weight": scores[label]})
        for label in chosen
        for c in sorted(cited[label])
        if c in cues
    ]
    vad = np.clip(np.mean([[a.valence, a.arousal, a.dominance] for a in valid], axis=0), -1.0, 1.0)
    written = valid[0].rationale.strip()
    if not re.search(r"[^\W\d_]", written):  # punctuation or digits alone say nothing
        written = ""
    problem = _rationale_problem(taxonomy, quotes_from, written, chosen) if written else None
    if written and problem is None:
        rationale = written
    else:
        if written:
            notes.add(f"the model's rationale {problem}; it was replaced by one built from the verified evidence")
        spans = {label: [e.text for e in evidence if e.label == label and e.text] for label in chosen}
        dominant = dominant_label(scores, chosen)
        rationale = template_rationale(
            [(label, scores[label], spans[label]) for label in chosen], dominant=(dominant, scores[dominant])
        )
    return Analysis(
        id=id,
        text=text,
        taxonomy=taxonomy.id,
        scores=scores,
        labels=chosen,
        dominant=dominant_label(scores, chosen),
        vad=VAD(valence=round(float(vad[0]), 4), arousal=round(float(vad[1]), 4), dominance=round(float(vad[2]), 4)),
        sentiment=sentiment_of(chosen, taxonomy),
        evidence=evidence,
        rationale=rationale,
        confidence=round(confidence, 4),
        backend=backend_id,
        warnings=notes.warnings,
    )


async def analyze_texts(ctx: Context, texts: list[str], ids: list[str | None]) -> list[Analysis]:
    """All texts concurrently; a text whose requests keep failing gets a warning, and a run in
    which every text fails raises :class:`BackendError`; a run that must stop (the endpoint
    cannot be reached, the deadline passed) raises :class:`RunStoppedError`."""
    results = await asyncio.gather(*(analyze_text(ctx, t, i) for t, i in zip(texts, ids)), return_exceptions=True)
    stopped = next((r for r in results if isinstance(r, RunStoppedError)), None)
    if stopped is not None:
        raise stopped
    out: list[Analysis] = []
    failures = [r for r in results if isinstance(r, BackendError)]
    if failures and len(failures) == len(results):
        raise failures[0]
    for text, id_, result in zip(texts, ids, results):
        if isinstance(result, BackendError):
            ctx.client.usage.failed_texts += 1
            out.append(
                Analysis(
                    id=id_, text=text, taxonomy=ctx.taxonomy.id, backend=ctx.backend_id, warnings=[f"not analysed: {result}"]
                )
            )
        elif isinstance(result, BaseException):
            raise result
        else:
            out.append(result)
    return out
