"""Open-vocabulary emotion words: from any word to GoEmotions labels.

The table is data (``taxonomy/data/synonyms.yaml``); inflected forms are reduced to
candidate base words by stripping common suffixes ("annoyingly" → "annoying" → "annoy").
From GoEmotions a word reaches every other taxonomy through the mapping rules, so
``map_label("livid", ekman)`` is ``anger``; a word found nowhere is reported as unmapped.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from affectlens.io.yamltext import load_yaml

__all__ = ["base_forms", "synonym_labels"]

_SUFFIXES = ("ingly", "edly", "ness", "ment", "ful", "ing", "ed", "ly", "es", "s", "d")


def base_forms(word: str) -> list[str]:
    """``word`` and the base words it may be an inflection of, most literal first.

    >>> "annoy" in base_forms("annoyingly")
    True
    """
    word = word.strip().lower()
    out = [word]
    frontier = [word]
    while frontier:
        current = frontier.pop(0)
        for suffix in _SUFFIXES:
            if current.endswith(suffix) and len(current) - len(suffix) >= 3:
                stem = current[: -len(suffix)]
                doubled = stem[:-1] if stem[-1:] == stem[-2:-1] else None  # "sadd" -> "sad"
                y_form = stem[:-1] + "y" if stem.endswith("i") else None  # "happi" -> "happy"
                for candidate in (stem, stem + "e", doubled, y_form):
                    if candidate and candidate not in out:
                        out.append(candidate)
                        frontier.append(candidate)
    return out


@cache
def _table() -> dict[str, tuple[str, ...]]:
    text = (resources.files("affectlens.taxonomy") / "data" / "synonyms.yaml").read_text(encoding="utf-8")
    index: dict[str, list[str]] = {}
    for label, words in load_yaml(text)["words"].items():
        for word in words:
            index.setdefault(word.lower(), []).append(label)
    return {word: tuple(labels) for word, labels in index.items()}


def synonym_labels(word: str) -> tuple[str, tuple[str, ...]] | None:
    """``(matched form, GoEmotions labels)`` for ``word`` or one of its base forms."""
    table = _table()
    for form in base_forms(word):
        if form in table:
            return form, table[form]
    return None
