"""Showing users' text on a terminal: never read as Rich markup, never as control codes.

Texts, ids, file names and what an LLM wrote can hold ``[red]``, ``[/]``, escape sequences
(``ESC ]0;…`` retitles a terminal) or bidirectional overrides. :func:`safe` escapes markup
and shows control characters as visible placeholders, for use inside a markup string;
:func:`plain` makes a :class:`~rich.text.Text`, which is never parsed as markup.
"""

from __future__ import annotations

import re

from rich.markup import escape
from rich.text import Text

__all__ = ["plain", "safe", "visible"]

# C0 controls but tab and newline; DEL; C1 controls; bidirectional overrides and isolates
# (they reorder what a terminal shows); line and paragraph separators.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _placeholder(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # ␛ for ESC, ␍ for CR, ...
    if code == 0x7F:
        return "\u2421"  # ␡
    if code in (0x2028, 0x2029):
        return "\u2424"  # ␤
    return "\ufffd"


def visible(text: str) -> str:
    """``text`` with every control character replaced by one visible character (same length,
    so character offsets still hold): ESC → ␛, CR → ␍, DEL → ␡, C1 and bidi controls → �.

    >>> visible("a\\x1b]0;title\\x07b")
    'a␛]0;title␇b'
    """
    return _CONTROL.sub(_placeholder, text)


def safe(value: object) -> str:
    """``value`` as text to put inside a Rich markup string: markup escaped, controls visible."""
    return escape(visible(str(value)))


def plain(text: str, style: str = "") -> Text:
    """A Rich :class:`Text` of ``text`` (never parsed as markup), controls made visible."""
    return Text(visible(text), style=style)
