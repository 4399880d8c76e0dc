"""A conversation's analysis as a table for people (``conversation analyze`` without -o)."""

from __future__ import annotations

from typing import Any

from affectlens.conversation.schema import ConversationAnalysis
from affectlens.io.terminal import plain

__all__ = ["print_conversation"]


def print_conversation(result: ConversationAnalysis, console: Any) -> None:
    """One conversation as a table of turns, then a line of its dynamics."""
    from rich.table import Table

    shifts = {s.turn: s for s in result.dynamics.shifts}
    causes: dict[int, list[str]] = {}
    for c in result.causes:
        causes.setdefault(c.effect_turn, []).append(f"{c.cause_turn} ({c.score:.2f})")
    tree = any(t.parent != (t.index - 1 if t.index else None) for t in result.turns)  # a reply thread: show who answers whom
    columns = ["#", *(["answers"] if tree else []), "speaker", "text", "emotion", "V / A", "shift", "caused by"]
    table = Table(*columns, header_style="bold", title=result.conversation_id)
    for t in result.turns:
        a = t.analysis
        text = a.text if len(a.text) <= 60 else a.text[:59] + "…"
        shift = ",".join(shifts[t.index].kinds) if t.index in shifts else ""
        emotion = f"{a.dominant} {a.scores.get(a.dominant or '', 0):.2f}" if a.dominant else ""
        table.add_row(
            str(t.index),
            *([str(t.parent) if t.parent is not None else ""] if tree else []),
            plain(t.speaker) if t.speaker is not None else plain("(unknown)", "dim"),
            plain(text),
            emotion,
            f"{a.vad.valence:+.2f} / {a.vad.arousal:+.2f}",
            shift,
            ", ".join(causes.get(t.index, [])),
        )
    console.print(table)
    d = result.dynamics

    def rate(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.2f}"

    console.print(
        f"inertia {rate(d.inertia)} · contagion {rate(d.contagion)} · shifts {len(d.shifts)} · "
        f"escalation {'yes: ' + ', '.join(f'{e.start_turn}-{e.end_turn}' for e in d.escalations) if d.escalations else 'no'}"
        f" · causes by {result.cause_model}",
        highlight=False,
    )
