"""Evidence spans: which words of a text carry a label, measured on the model itself.

Two steps, model-agnostic here (the embedded backend supplies the numbers):

1. **Candidates** from per-token contributions to a label's logit. Tokens are summed into
   whitespace-delimited words; the best content words seed phrases, which grow over adjacent words
   that also push the label up, and to the left over negation cues and degree modifiers
   ("not happy", "a bit annoyed"), since a reader would quote those together.
   Function words at either edge are trimmed ("happy with the" → "happy").
2. **Verification by occlusion**: each candidate is deleted from the text and the text is
   scored again; a candidate is evidence only if the label's probability drops by at least
   ``min_drop``, and its weight is that measured drop. A candidate that does not move the
   score is never shown.

Spans are character offsets into the original text (``text[start:end]``), trimmed of
surrounding punctuation except ``#``/``@`` and pictographs.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "MIN_DROP",
    "Candidate",
    "delete_spans",
    "keep_spans",
    "phrase_candidates",
    "verify",
    "word_spans",
]

MIN_DROP = 0.05  # smallest fall in a label's probability that makes a span evidence

NEGATION_CUES = frozenset(
    [
        "not",
        "no",
        "never",
        "nothing",
        "nobody",
        "none",
        "neither",
        "nor",
        "hardly",
        "barely",
        "without",
        "cannot",
        "can't",
        "don't",
        "doesn't",
        "didn't",
        "isn't",
        "wasn't",
        "aren't",
        "weren't",
        "won't",
        "wouldn't",
        "couldn't",
        "shouldn't",
        "haven't",
        "hasn't",
        "hadn't",
        "ain't",
        "n't",
    ]
)
DEGREE_WORDS = frozenset(
    [
        "so",
        "very",
        "really",
        "absolutely",
        "utterly",
        "completely",
        "totally",
        "extremely",
        "incredibly",
        "truly",
        "deeply",
        "insanely",
        "a",
        "bit",
        "little",
        "slightly",
        "somewhat",
        "kind",
        "sort",
        "of",
        "fairly",
        "rather",
        "quite",
        "super",
        "too",
        "most",
        "more",
        "less",
        "mildly",
        "tad",
    ]
)
FUNCTION_WORDS = (
    frozenset(
        [
            "i",
            "i'm",
            "im",
            "i've",
            "i'd",
            "i'll",
            "me",
            "my",
            "mine",
            "we",
            "we're",
            "our",
            "us",
            "you",
            "you're",
            "your",
            "he",
            "he's",
            "him",
            "his",
            "she",
            "she's",
            "her",
            "it",
            "it's",
            "its",
            "they",
            "they're",
            "them",
            "their",
            "this",
            "that",
            "these",
            "those",
            "the",
            "an",
            "and",
            "or",
            "but",
            "if",
            "then",
            "than",
            "so",
            "as",
            "at",
            "by",
            "for",
            "from",
            "in",
            "into",
            "on",
            "onto",
            "of",
            "off",
            "to",
            "with",
            "about",
            "over",
            "under",
            "after",
            "before",
            "while",
            "when",
            "how",
            "what",
            "which",
            "who",
            "whom",
            "whose",
            "why",
            "where",
            "there",
            "here",
            "is",
            "am",
            "are",
            "was",
            "were",
            "be",
            "been",
            "being",
            "do",
            "does",
            "did",
            "have",
            "has",
            "had",
            "will",
            "would",
            "can",
            "could",
            "should",
            "may",
            "might",
            "must",
            "just",
            "also",
            "still",
            "even",
        ]
    )
    - NEGATION_CUES
)
_WORD = re.compile(r"\S+")
_TRIM_LEFT = set(string.punctuation) - {"#", "@"}
_TRIM_RIGHT = set(string.punctuation)


@dataclass(frozen=True)
class Candidate:
    start: int
    end: int
    score: float  # summed contribution of its words (for ranking only)


def word_spans(text: str) -> list[tuple[int, int]]:
    """Whitespace-delimited words as ``(start, end)``."""
    return [m.span() for m in _WORD.finditer(text)]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    s, e = start, end
    while s < e and text[s] in _TRIM_LEFT:
        s += 1
    while e > s and text[e - 1] in _TRIM_RIGHT:
        e -= 1
    return (s, e) if s < e else (start, end)


def _content(bare: str) -> bool:
    """Can this word seed a phrase? Not a function word, cue, degree word or bare punctuation."""
    return bool(bare) and bare not in FUNCTION_WORDS and bare not in NEGATION_CUES and bare not in DEGREE_WORDS


def _bare(word: str) -> str:
    return word.strip(string.punctuation + "“”‘’").lower().replace("’", "'")


def phrase_candidates(
    text: str,
    offsets: Sequence[tuple[int, int]],
    token_scores: np.ndarray,
    *,
    max_phrases: int = 2,
    max_words: int = 6,
    grow_ratio: float = 0.4,
) -> list[Candidate]:
    """Up to ``max_phrases`` non-overlapping phrases, best first, from per-token scores."""
    words = word_spans(text)
    if not words:
        return []
    starts = [w[0] for w in words]
    word_score = np.zeros(len(words))
    for (a, _), score in zip(offsets, token_scores):
        index = int(np.searchsorted(starts, a, side="right")) - 1
        if index >= 0:
            word_score[index] += score
    bare_words = [_bare(text[a:b]) for a, b in words]
    used = np.zeros(len(words), dtype=bool)
    out: list[Candidate] = []
    for seed in np.argsort(-word_score):
        if len(out) >= max_phrases or word_score[seed] <= 0:
            break
        if used[seed] or not _content(bare_words[seed]):
            continue
        lo = hi = int(seed)
        floor = grow_ratio * word_score[seed]
        while hi - lo + 1 < max_words:
            left_ok = lo > 0 and not used[lo - 1] and word_score[lo - 1] >= floor
            right_ok = hi + 1 < len(words) and not used[hi + 1] and word_score[hi + 1] >= floor
            if not (left_ok or right_ok):
                break
            if left_ok and (not right_ok or word_score[lo - 1] >= word_score[hi + 1]):
                lo -= 1
            else:
                hi += 1
        for _ in range(3):  # "not", "a bit", "absolutely" belong with what they modify
            if lo == 0 or used[lo - 1] or hi - lo + 1 >= max_words:
                break
            previous = _bare(text[words[lo - 1][0] : words[lo - 1][1]])
            if previous in NEGATION_CUES or previous in DEGREE_WORDS or previous.endswith("n't"):
                lo -= 1
            else:
                break
        bare = [_bare(text[a:b]) for a, b in words[lo : hi + 1]]
        while hi > lo and bare[-1] in FUNCTION_WORDS:  # "happy with how the" -> "happy"
            hi -= 1
            bare.pop()
        while lo < hi and bare[0] in FUNCTION_WORDS and not (bare[0] in DEGREE_WORDS and bare[1] not in FUNCTION_WORDS):
            lo += 1  # "of the interview" -> "interview", but "so happy", "a bit annoyed" stay
            bare.pop(0)
        used[lo : hi + 1] = True
        start, end = _trim(text, words[lo][0], words[hi][1])
        out.append(Candidate(start, end, float(word_score[lo : hi + 1].sum())))
    return out


def delete_spans(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` without ``spans`` (whitespace tidied): what the model sees under occlusion."""
    pieces, cursor = [], 0
    for start, end in sorted(spans):
        pieces.append(text[cursor:start])
        cursor = max(cursor, end)
    pieces.append(text[cursor:])
    return " ".join("".join(pieces).split())


def keep_spans(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """Only ``spans`` of ``text``, joined by spaces (for sufficiency)."""
    return " ".join(text[a:b] for a, b in sorted(spans))


def verify(
    texts: Sequence[str],
    requests: Sequence[tuple[int, int, Candidate]],
    base_probs: np.ndarray,
    score: Callable[[list[str]], np.ndarray],
    *,
    min_drop: float = MIN_DROP,
) -> list[float | None]:
    """For each ``(text index, label index, candidate)``: the drop in that label's probability
    when the candidate is deleted, or None when it is below ``min_drop``.

    ``score`` maps texts to probabilities ``[n, labels]``; all occluded texts go in one call.
    """
    if not requests:
        return []
    occluded = [delete_spans(texts[i], [(c.start, c.end)]) for i, _, c in requests]
    probs = score(occluded)
    out: list[float | None] = []
    for row, (i, label, _) in enumerate(requests):
        drop = float(base_probs[i, label] - probs[row, label])
        out.append(round(drop, 4) if drop >= min_drop else None)
    return out
