"""Rich tables of analyses, for people reading a terminal."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from affectlens.schema import Analysis

__all__ = ["analyses_table"]

_TEXT_WIDTH = 60


def _short(text: str, width: int = _TEXT_WIDTH) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def analyses_table(analyses: list[Analysis], *, top: int = 3) -> Table:
    """One row per analysis: text, labels with scores, dominant, VAD, sentiment, confidence."""
    table = Table(show_lines=False, header_style="bold", expand=False)
    table.add_column("#", justify="right", style="dim")
    table.add_column("text", max_width=_TEXT_WIDTH, overflow="fold")
    table.add_column("labels (score)")
    table.add_column("V / A / D", justify="right")
    table.add_column("sentiment")
    table.add_column("conf.", justify="right")
    for n, a in enumerate(analyses, start=1):
        shown = a.labels or ([a.dominant] if a.dominant else [])
        ranked = sorted(shown, key=lambda label: -a.scores.get(label, 0.0))[:top]
        labels = Text(", ".join(f"{label} {a.scores.get(label, 0.0):.2f}" for label in ranked) or "—")
        if not a.labels and a.dominant:
            labels.stylize("dim")
        vad = f"{a.vad.valence:+.2f} / {a.vad.arousal:+.2f} / {a.vad.dominance:+.2f}"
        table.add_row(a.id or str(n), _short(a.text), labels, vad, a.sentiment, f"{a.confidence:.2f}")
    return table
