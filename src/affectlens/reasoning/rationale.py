"""Short offline rationales built only from the scores and the verified evidence.

    >>> rationale([("anger", 0.91, ["furious"]), ("sadness", 0.48, ["heartbroken"])], dominant=("anger", 0.91))
    "Reads mostly as anger (0.91) — 'furious'; also sadness (0.48) — 'heartbroken'."

A label is quoted only with spans that passed the occlusion check; a label without such a
span is named with its score and nothing else. No label, no claim.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["rationale"]

_MAX_QUOTES = 2


def _quotes(spans: Sequence[str]) -> str:
    shown = [f"'{s}'" for s in spans[:_MAX_QUOTES]]
    return f" — {', '.join(shown)}" if shown else ""


def rationale(labels: Sequence[tuple[str, float, Sequence[str]]], *, dominant: tuple[str, float] | None) -> str:
    """``labels``: (label, score, evidence texts) for the decided labels, any order."""
    ranked = sorted(labels, key=lambda item: -item[1])
    if not ranked:
        if dominant is None:
            return "Nothing to read: the text is empty."
        name, score = dominant
        return f"No label passes its threshold; the closest is {name} ({score:.2f})."
    (first, first_score, first_spans), *rest = ranked
    lead = "Reads mostly as" if rest else "Reads as"
    parts = [f"{lead} {first} ({first_score:.2f}){_quotes(first_spans)}"]
    parts += [f"also {name} ({score:.2f}){_quotes(spans)}" for name, score, spans in rest]
    return "; ".join(parts) + "."
