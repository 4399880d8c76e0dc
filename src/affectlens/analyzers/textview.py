"""What the model reads, and where each character of it came from in the user's text.

The encoder's vocabulary has no emojis: every one of them becomes the same ``[UNK]``. The
model therefore reads each emoji (and other pictographic symbol) as its Unicode name —
``😂`` as ``face with tears of joy`` — and lone surrogates (which cannot be encoded) as
U+FFFD. Letter-like compatibility characters are read in their compatibility form (NFKC):
fullwidth and halfwidth forms, mathematical alphabets, circled, superscript and subscript
characters, and ligatures that fold into letters — so ``Ｉ ａｍ ａｎｇｒｙ``, ``𝐈 𝐚𝐦 𝐚𝐧𝐠𝐫𝐲``
and ``ﬁ`` read as the letters they are. Other compatibility characters (``…``, ``™``) stay
as the model learnt them. ``origin`` maps every character of the view back to the index of
the character of the original text it came from, so token offsets computed on the view
point into the original text. Training uses the same view (pure Python, no dependencies).

    >>> v = model_view("so funny 😂")
    >>> v.text
    'so funny  face with tears of joy '
    >>> v.to_original(10, 32)
    (9, 10)
    >>> model_view("Ｉ ａｍ ａｎｇｒｙ").text
    'I am angry'
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

__all__ = ["TextView", "model_view"]

_BRAILLE = range(0x2800, 0x2900)  # used for ASCII art, and its names are noise
# compatibility decompositions read as what they fold into (<compat> only when that is letters)
_FOLDED = {"<wide>", "<narrow>", "<font>", "<circle>", "<super>", "<sub>", "<small>", "<compat>"}


@dataclass(frozen=True)
class TextView:
    text: str
    origin: tuple[int, ...] | None  # None: the view is the original (same offsets)

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that view characters ``[start, end)`` came from."""
        if self.origin is None or end <= start:
            return start, end
        return self.origin[start], self.origin[end - 1] + 1


def _replacement(ch: str) -> str | None:
    code = ord(ch)
    if 0xD800 <= code <= 0xDFFF:
        return "\ufffd"
    if code >= 0x2000 and code not in _BRAILLE and unicodedata.category(ch) == "So":
        name = unicodedata.name(ch, "")
        if name:
            return f" {name.lower()} "
    tag = unicodedata.decomposition(ch).split(" ", 1)[0]
    if tag not in _FOLDED:
        return None
    folded = unicodedata.normalize("NFKC", ch)
    if folded == ch or (tag == "<compat>" and not folded.isalnum()):
        return None
    return folded


def model_view(text: str) -> TextView:
    """The text the model reads (see module docstring)."""
    if text.isascii():
        return TextView(text, None)
    pieces: list[str] = []
    origin: list[int] = []
    changed = False
    for i, ch in enumerate(text):
        new = _replacement(ch)
        if new is None:
            pieces.append(ch)
            origin.append(i)
        else:
            changed = True
            pieces.append(new)
            origin.extend([i] * len(new))
    if not changed:
        return TextView(text, None)
    return TextView("".join(pieces), tuple(origin))
