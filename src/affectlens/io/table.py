"""Rich tables of analyses, for people reading a terminal."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from affectlens.io.terminal import plain
from affectlens.schema import Analysis

__all__ = ["analyses_table"]

_TEXT_WIDTH = 60


def _short(text: str, width: int = _TEXT_WIDTH) -> Text:
    flat = " ".join(text.split())
    return plain(flat if len(flat) <= width else flat[: width - 1] + "…")


_STYLES = ("bold red", "bold blue", "bold green", "bold magenta", "bold yellow", "bold cyan")


def highlighted(analysis: Analysis) -> Text:
    """The full text with each evidence span styled by its label."""
    text = plain(analysis.text)  # same length as the text: evidence offsets still hold
    order = list(dict.fromkeys(e.label for e in analysis.evidence))
    for ev in sorted(analysis.evidence, key=lambda e: e.weight):
        text.stylize(f"{_STYLES[order.index(ev.label) % len(_STYLES)]} underline", ev.start, ev.end)
    return text


def analyses_table(analyses: list[Analysis], *, top: int = 3) -> Table:
    """One row per analysis: text, labels with scores, dominant, VAD, sentiment, confidence.

    With explanations, the whole text is shown with its evidence highlighted, and the
    rationale gets a column of its own.
    """
    explained = any(a.rationale is not None for a in analyses)
    table = Table(show_lines=explained, header_style="bold", expand=False)
    table.add_column("#", justify="right", style="dim")
    table.add_column("text", max_width=_TEXT_WIDTH, overflow="fold")
    table.add_column("labels (score)")
    table.add_column("V / A / D", justify="right")
    table.add_column("sentiment")
    table.add_column("conf.", justify="right")
    if explained:
        table.add_column("why", max_width=_TEXT_WIDTH, overflow="fold")
    for n, a in enumerate(analyses, start=1):
        shown = a.labels or ([a.dominant] if a.dominant else [])
        ranked = sorted(shown, key=lambda label: -a.scores.get(label, 0.0))[:top]
        labels = plain(", ".join(f"{label} {a.scores.get(label, 0.0):.2f}" for label in ranked) or "—")
        if not a.labels and a.dominant:
            labels.stylize("dim")
        vad = f"{a.vad.valence:+.2f} / {a.vad.arousal:+.2f} / {a.vad.dominance:+.2f}"
        row = [
            plain(a.id or str(n)),
            highlighted(a) if explained else _short(a.text),
            labels,
            vad,
            a.sentiment,
            f"{a.confidence:.2f}",
        ]
        if explained:
            row.append(plain(a.rationale or ""))
        table.add_row(*row)
    return table
