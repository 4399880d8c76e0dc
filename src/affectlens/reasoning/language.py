"""Is a text English? The embedded models read English only; on other text they still answer,
confidently and wrongly. This check lets them say so.

The decision, measured with ``benchmarks/language_detectors.py`` (docs/benchmarks.md):

1. The text is read in Unicode compatibility form (NFKC), lower-cased, without symbols: so
   fullwidth ``Ｉ ａｍ ａｎｇｒｙ`` and mathematical ``𝐈 𝐚𝐦 𝐚𝐧𝐠𝐫𝐲`` read as ``i am angry``.
2. If most of its letters are not Latin (Japanese, Cyrillic, Arabic, Greek…), it is not
   English — reliable even for a word or two.
3. A text with fewer than 15 letters is not judged further (too short to tell: "ok lol").
4. A text in which at least three different English function words ("the", "you", "was"…)
   make up a quarter of the words is English (80% of English comments end here, at no cost).
5. Otherwise the offline detector py3langid (BSD, on PyPI) gives the probability that the
   text is English; below 0.05 it is not English.

On GoEmotions dev this calls 0.2% of the (English) comments not English; it catches 94% of
3–30-word strings in 23 other languages. The detector loads (about 0.5 s) only when a text
reaches step 5. A text judged not English gets a warning, and the analyzer multiplies its
``confidence`` by the probability that it is English — i.e. it treats a reading of
non-English text as wrong, which is what the model's scores on such text are worth.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["WARNING_PREFIX", "LanguageCheck", "check_language", "language_adjusted"]

MIN_LETTERS = 15
WARNING_PREFIX = "the text looks like "  # how the warning for a text that is not English starts
MAX_P_ENGLISH = 0.05
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_NAMES = {
    "ar": "Arabic", "bg": "Bulgarian", "ca": "Catalan", "cs": "Czech", "da": "Danish", "de": "German", "el": "Greek",
    "es": "Spanish", "fa": "Persian", "fi": "Finnish", "fr": "French", "he": "Hebrew", "hi": "Hindi", "hu": "Hungarian",
    "id": "Indonesian", "it": "Italian", "ja": "Japanese", "ko": "Korean", "nl": "Dutch", "no": "Norwegian",
    "pl": "Polish", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sk": "Slovak", "sr": "Serbian",
    "sv": "Swedish", "th": "Thai", "tr": "Turkish", "uk": "Ukrainian", "vi": "Vietnamese", "zh": "Chinese",
}  # fmt: skip


@dataclass(frozen=True)
class LanguageCheck:
    """``english``: the probability that the text is English (1.0 when it is taken to be);
    ``language``: the detector's best guess when it is not English."""

    english: float = 1.0
    language: str | None = None

    @property
    def is_english(self) -> bool:
        return self.language is None

    def warning(self, confidence_before: float, confidence_after: float) -> str:
        name = _NAMES.get(self.language or "", self.language or "another language")
        return (
            f"{WARNING_PREFIX}{name}, not English: the model reads English only, so these labels are "
            f"unreliable; confidence lowered from {_short(confidence_before)} to {_short(confidence_after)}"
        )


def _short(x: float) -> str:
    return f"{x:.2f}" if x >= 0.01 or x == 0 else f"{x:.1g}"


def language_adjusted(text: str, confidence: float) -> tuple[float, str | None]:
    """``confidence`` for ``text`` after the language check, and the warning to add (if any)."""
    check = check_language(text)
    if check.is_english:
        return confidence, None
    lowered = confidence * check.english
    return lowered, check.warning(confidence, lowered)


@cache
def _function_words() -> frozenset[str]:
    text = (resources.files("affectlens.reasoning") / "data" / "english_function_words.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _reading(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in folded if not unicodedata.category(ch).startswith("S")).lower()


def check_language(text: str) -> LanguageCheck:
    """Whether ``text`` is English (see the module docstring)."""
    reading = _reading(text)
    letters = [ch for ch in reading if ch.isalpha()]
    if not letters:
        return LanguageCheck()
    latin = sum(1 for ch in letters if ch.isascii() or "LATIN" in unicodedata.name(ch, ""))
    mostly_other_script = latin * 2 < len(letters)
    if not mostly_other_script:
        if len(letters) < MIN_LETTERS:
            return LanguageCheck()
        words = _WORD.findall(reading)
        common = [w for w in words if w in _function_words()]
        if len(set(common)) >= 3 and len(common) * 4 >= len(words):
            return LanguageCheck()
    english, best = _detect(reading)
    if mostly_other_script or english < MAX_P_ENGLISH:
        return LanguageCheck(english=english, language=best if best != "en" else None)
    return LanguageCheck()


def _detect(text: str) -> tuple[float, str]:
    """(probability of English, most likely language) from py3langid."""
    ranked = _identifier().rank(text)
    return float(dict(ranked).get("en", 0.0)), str(ranked[0][0])


@cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
