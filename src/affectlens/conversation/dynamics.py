"""Emotion dynamics of one conversation, from its turns' speakers, labels and VAD.

Definitions (docs/conversations.md has a worked example of each):

"Before" and "adjacent" follow the conversation's parents (:mod:`affectlens.conversation.tree`):
a speaker's previous turn is their nearest turn up the chain of turns that turn *i* answers,
and the turn *i* reacts to is its parent. With the default parents (each turn answers the
one before it) these are the turns before, and in a reply thread a sibling branch never
counts as "before".

- **trajectory** of a speaker: their turns' valence, arousal and dominance, in order.
- **shift** at turn *i* of speaker *s*, against *s*'s previous turn *j*: ``"label"`` when the
  dominant labels differ, ``"vad"`` when valence or arousal moved by more than
  ``shift_threshold`` (default 0.5 on the [-1, 1] scale). A turn can shift in both ways.
- **inertia**: over all pairs (*j*, *i*) of a speaker's consecutive turns, the share whose
  dominant label stays the same; ``valence_inertia`` is the Pearson r of valence over the
  same pairs.
- **contagion**: over all pairs (parent of *i*, *i*) by different speakers where the parent
  carries an emotion (not neutral), the share where turn *i* has the same dominant label;
  ``valence_contagion`` is the Pearson r of valence over all such cross-speaker pairs.
- **escalation**: one speaker's ``escalation_turns`` (default 4) turns in a row, answering
  someone (another speaker's turn lies between them, all within twice that many turns),
  each with valence below −0.1, arousal rising by at least 0.2 from the first to the last
  and never falling by more than 0.05 on the way; a speaker's overlapping runs merge into
  one span (:class:`EscalationRule`); in a reply thread, along each branch. The rule was tightened until it almost never fires on
  turns that do not answer each other (``benchmarks/escalation.py``: 1 of 1,400 shuffled
  MELD dialogues, 1.5% of 100-turn shuffled threads, none of 100 runs of 300 unrelated
  Reddit comments); it is conservative, and misses escalations that show in the words more
  than in the arousal the model reads (docs/conversations.md).

Rates are ``None`` when there is no pair to count, correlations when there are fewer than
three pairs or no variance.

The turns given are the ones that count (the analyzer leaves out empty turns and turns it
did not analyse); ``turns`` names their indices in the conversation and ``parents`` their
links among themselves (a turn whose parent does not count answers its nearest ancestor
that does), so "adjacent" means adjacent among the turns that count, and every index
reported is the conversation's. A turn
whose speaker is None (unknown) belongs to no trajectory, and no pair with it is counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from affectlens.conversation.schema import Dynamics, Escalation, Shift, Trajectory
from affectlens.conversation.tree import ancestors, linear_parents, paths

__all__ = ["DEFAULT_ESCALATION_TURNS", "DEFAULT_SHIFT_THRESHOLD", "EscalationRule", "dynamics", "escalations"]

DEFAULT_SHIFT_THRESHOLD = 0.5
DEFAULT_ESCALATION_TURNS = 4
NEUTRAL = "neutral"


def _rate(hits: list[bool]) -> float | None:
    return round(sum(hits) / len(hits), 4) if hits else None


def _pearson(pairs: list[tuple[float, float]]) -> float | None:
    if len(pairs) < 3:
        return None
    a, b = np.asarray(pairs, dtype=float).T
    if a.std() == 0 or b.std() == 0:
        return None
    return round(float(np.corrcoef(a, b)[0, 1]), 4)


def dynamics(
    speakers: Sequence[str | None],
    labels: Sequence[str | None],
    vad: np.ndarray,
    *,
    turns: Sequence[int] | None = None,
    shift_threshold: float = DEFAULT_SHIFT_THRESHOLD,
    escalation_turns: int = DEFAULT_ESCALATION_TURNS,
    parents: Sequence[int | None] | None = None,
) -> Dynamics:
    """The dynamics of turns with ``speakers``, dominant ``labels`` and ``vad`` ``[n, 3]``;
    ``turns``: their indices in the conversation (default ``0..n-1``); ``parents``: the
    turn each answers, as positions among these turns (default: the one before)."""
    n = len(speakers)
    index = list(turns) if turns is not None else list(range(n))
    links = list(parents) if parents is not None else linear_parents(n)
    vad = np.asarray(vad, dtype=float).reshape(n, 3)
    shifts: list[Shift] = []
    same_pairs: list[tuple[int, int]] = []
    trajectories: dict[str, Trajectory] = {}
    for i, speaker in enumerate(speakers):
        if speaker is None:
            continue
        t = trajectories.setdefault(speaker, Trajectory(speaker=speaker))
        t.turns.append(index[i])
        t.valence.append(round(float(vad[i, 0]), 4))
        t.arousal.append(round(float(vad[i, 1]), 4))
        t.dominance.append(round(float(vad[i, 2]), 4))
        j = next((a for a in ancestors(links, i) if speakers[a] == speaker), None)
        if j is None:
            continue
        same_pairs.append((j, i))
        kinds = []
        if labels[i] != labels[j]:
            kinds.append("label")
        dv, da = float(vad[i, 0] - vad[j, 0]), float(vad[i, 1] - vad[j, 1])
        if max(abs(dv), abs(da)) > shift_threshold:
            kinds.append("vad")
        if kinds:
            shifts.append(
                Shift(
                    turn=index[i],
                    speaker=speaker,
                    previous_turn=index[j],
                    kinds=kinds,
                    from_label=labels[j],
                    to_label=labels[i],
                    delta_valence=round(dv, 4),
                    delta_arousal=round(da, 4),
                )
            )
    for t in trajectories.values():
        pairs = [(j, i) for j, i in same_pairs if speakers[i] == t.speaker]
        t.inertia = _rate([labels[i] == labels[j] for j, i in pairs])

    cross = [
        (p, i)
        for i, p in enumerate(links)
        if p is not None and None not in (speakers[i], speakers[p]) and speakers[i] != speakers[p]
    ]
    rule = EscalationRule(turns=escalation_turns)
    found = escalations(vad, speakers, rule, index, links)
    return Dynamics(
        trajectories=list(trajectories.values()),
        shifts=shifts,
        inertia=_rate([labels[i] == labels[j] for j, i in same_pairs]),
        valence_inertia=_pearson([(vad[j, 0], vad[i, 0]) for j, i in same_pairs]),
        contagion=_rate([labels[i] == labels[j] for j, i in cross if labels[j] not in (None, NEUTRAL)]),
        valence_contagion=_pearson([(vad[j, 0], vad[i, 0]) for j, i in cross]),
        escalations=found,
        escalation=bool(found),
        shift_threshold=shift_threshold,
        escalation_turns=escalation_turns,
        escalation_rule=rule.describe(),
    )


@dataclass(frozen=True)
class EscalationRule:
    """When one speaker escalates: ``turns`` of their turns in a row, answering someone (another
    speaker's turn lies between the first and the last, and all lie within ``2 * turns``
    turns of the conversation), every one with valence below ``max_valence``, arousal never
    falling by more than ``tolerance`` from one to the next and rising by at least
    ``min_rise`` from the first to the last."""

    turns: int = DEFAULT_ESCALATION_TURNS
    max_valence: float = -0.1
    min_rise: float = 0.2
    tolerance: float = 0.05

    def describe(self) -> str:
        return (
            f"one speaker's {self.turns} turns within {2 * self.turns} turns, valence < {self.max_valence:g}, "
            f"arousal up by >= {self.min_rise:g}, never down by > {self.tolerance:g}"
        )


def escalations(
    vad: np.ndarray,
    speakers: Sequence[str | None],
    rule: EscalationRule,
    index: Sequence[int] | None = None,
    parents: Sequence[int | None] | None = None,
) -> list[Escalation]:
    """Spans where a speaker escalates under ``rule``, along each root-to-leaf branch of
    ``parents`` (default: the one line of turns); a speaker's overlapping windows merge."""
    index = list(index) if index is not None else list(range(len(vad)))
    links = list(parents) if parents is not None else linear_parents(len(vad))
    found: dict[tuple[int, int, str], Escalation] = {}
    for branch in paths(links):
        for e in _escalations_in_line(vad[branch], [speakers[k] for k in branch], rule, [index[k] for k in branch]):
            found.setdefault((e.start_turn, e.end_turn, e.speaker or ""), e)
    return [found[key] for key in sorted(found)]


def _escalations_in_line(
    vad: np.ndarray, speakers: Sequence[str | None], rule: EscalationRule, index: Sequence[int]
) -> list[Escalation]:
    own: dict[str, list[int]] = {}
    for i, speaker in enumerate(speakers):
        if speaker is not None:
            own.setdefault(speaker, []).append(i)
    found: list[tuple[int, int, str]] = []
    for speaker, turns in own.items():
        spans: list[list[int]] = []
        for k in range(len(turns) - rule.turns + 1):
            window = turns[k : k + rule.turns]
            first, last = window[0], window[-1]
            if last - first > 2 * rule.turns or all(speakers[j] == speaker for j in range(first, last + 1)):
                continue
            valence, arousal = vad[window, 0], vad[window, 1]
            steps = np.diff(arousal)
            rises = arousal[-1] - arousal[0] >= rule.min_rise and (steps >= -rule.tolerance).all()
            if rises and (valence < rule.max_valence).all():
                if spans and first <= spans[-1][1]:
                    spans[-1][1] = last
                else:
                    spans.append([first, last])
        found.extend((a, b, speaker) for a, b in spans)
    return [
        Escalation(
            start_turn=index[a],
            end_turn=index[b],
            speaker=speaker,
            arousal_from=round(float(vad[a, 1]), 4),
            arousal_to=round(float(vad[b, 1]), 4),
        )
        for a, b, speaker in sorted(found)
    ]
