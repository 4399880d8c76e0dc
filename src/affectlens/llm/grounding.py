"""Ground a quote from a model in the text: find where it really occurs, or reject it.

In order: the exact quote; the same ignoring case; the same ignoring differences in
whitespace and in quote or apostrophe characters; then a fuzzy match (a run of the text's
words that matches the quote with a similarity of at least 0.85, for slips like a dropped
letter). Whatever is returned is a span of the original text, so ``text[start:end]`` is
what is shown; a quote that matches nothing is dropped and reported.
"""

from __future__ import annotations

import difflib
import re
import string
from typing import Literal

__all__ = ["FUZZY_MIN", "Grounded", "ground"]

FUZZY_MIN = 0.85
_MAX_FUZZY_WORDS = 3000  # beyond this the fuzzy search is skipped (cost)
_EQUIVALENT = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "`": "'", "´": "'"})
_WORD = re.compile(r"\S+")
_PUNCT = set(string.punctuation) | set("“”‘’")

How = Literal["exact", "case", "normalised", "fuzzy"]
Grounded = tuple[int, int, How]


def _normalised(text: str) -> tuple[str, list[int]]:
    """Lowercased text with unified quotes and single spaces, and each char's origin."""
    chars, origin = [], []
    previous_space = True
    for i, ch in enumerate(text.translate(_EQUIVALENT)):
        if ch.isspace():
            if not previous_space:
                chars.append(" ")
                origin.append(i)
            previous_space = True
            continue
        previous_space = False
        low = ch.lower()
        if len(low) != 1:  # keep a one-to-one map
            low = ch
        chars.append(low)
        origin.append(i)
    return "".join(chars), origin


def ground(text: str, quote: str) -> Grounded | None:
    """``(start, end, how)`` of ``quote`` in ``text``, or None."""
    quote = quote.strip()
    if not quote:
        return None
    i = text.find(quote)
    if i >= 0:
        return i, i + len(quote), "exact"
    low = text.lower()
    if len(low) == len(text):
        i = low.find(quote.lower())
        if i >= 0:
            return i, i + len(quote), "case"
    norm_text, origin = _normalised(text)
    norm_quote, _ = _normalised(quote)
    i = norm_text.find(norm_quote.strip())
    if i >= 0 and norm_quote.strip():
        end = i + len(norm_quote.strip())
        return origin[i], origin[end - 1] + 1, "normalised"
    return _fuzzy(text, quote)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end - 1 and text[start] in _PUNCT:
        start += 1
    while end > start + 1 and text[end - 1] in _PUNCT:
        end -= 1
    return start, end


def _fuzzy(text: str, quote: str) -> Grounded | None:
    words = [m.span() for m in _WORD.finditer(text)]
    n = len(_WORD.findall(quote))
    if not words or n == 0 or len(words) > _MAX_FUZZY_WORDS:
        return None
    target = quote.lower().translate(_EQUIVALENT)
    best: tuple[float, int, int] | None = None
    for size in {max(1, n - 1), n, n + 1}:
        for w in range(0, len(words) - size + 1):
            start, end = _trim(text, words[w][0], words[w + size - 1][1])
            ratio = difflib.SequenceMatcher(None, text[start:end].lower().translate(_EQUIVALENT), target).ratio()
            if best is None or ratio > best[0]:
                best = (ratio, start, end)
    if best is None or best[0] < FUZZY_MIN:
        return None
    return best[1], best[2], "fuzzy"
