"""The one rule for which texts can be analysed: their length, and code points that are not Unicode.

Every door applies these: the readers and the run (a bad row), the analyzers (an
:class:`~affectlens.errors.InputError`), conversations and reply threads (a turn kept in its
place but not analysed), the service (a 422). A text is never cut silently.

- **Length**: a text of more than ``max_chars`` characters (default
  :data:`DEFAULT_MAX_CHARS`) is refused, with :func:`length_problem` saying why.
- **Surrogates**: JSON can carry an unpaired surrogate (``"\\ud800"``), which is not valid
  Unicode and cannot be written out; :func:`replace_surrogates` turns each into U+FFFD (the
  length stays the same, so evidence offsets still point into the text the caller gave),
  and the analysis says so in a warning (:func:`surrogate_warning`).
- **Identity**: :func:`text_key` is the content hash under which identical texts are
  analysed once (the run's deduplication).
"""

from __future__ import annotations

import hashlib
import re

from affectlens.errors import InputError

__all__ = [
    "DEFAULT_MAX_CHARS",
    "check_text",
    "length_problem",
    "replace_surrogates",
    "surrogate_warning",
    "text_key",
]

DEFAULT_MAX_CHARS = 200_000
_SURROGATE = re.compile("[\ud800-\udfff]")


def length_problem(text: str, max_chars: int) -> str | None:
    """Why ``text`` cannot be analysed under the limit — a predicate such as ``"has 250,001
    characters, over the limit of 200,000"`` — or None when it can."""
    if len(text) <= max_chars:
        return None
    return f"has {len(text):,} characters, over the limit of {max_chars:,}"


def check_text(text: object, *, max_chars: int = DEFAULT_MAX_CHARS, where: str = "text", hint: str | None = None) -> str:
    """``text`` if it can be analysed; otherwise an :class:`InputError` naming ``where`` and why."""
    if not isinstance(text, str):
        raise InputError(f"{where} is a {type(text).__name__}, not a string")
    problem = length_problem(text, max_chars)
    if problem is not None:
        raise InputError(f"{where} {problem}", hint=hint or "split it into smaller texts, or raise the limit with --max-chars")
    return text


def replace_surrogates(text: str) -> tuple[str, int]:
    """``text`` with each unpaired surrogate replaced by U+FFFD, and how many there were (same length)."""
    return _SURROGATE.subn("\ufffd", text) if not text.isascii() else (text, 0)


def surrogate_warning(count: int) -> str:
    return f"replaced {count} unpaired surrogate code point(s) (not valid Unicode) with U+FFFD"


def text_key(text: str) -> str:
    """A content hash of ``text`` (surrogates included) under which identical texts are analysed once."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
