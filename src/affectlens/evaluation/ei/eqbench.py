"""EQ-Bench v2 (Paech 2023): rate four emotions of a character at the end of a dialogue, 0–10,
scored against reference ratings. Data: ``eqbench_v2/eq_bench_v2_questions_171.json`` (English)
and ``…_de.json`` (German), MIT; github.com/EQ-bench/EQ-Bench at d28c60c.

**Prompts** as upstream sends them: the question's ``prompt``, as the only user message; without
``--revise`` the critique-and-revise part is cut out as ``lib/run_bench_helper_functions.py``
``remove_revision_instructions`` does (the upstream default).

**Upstream scoring** (``lib/scoring.py``), reproduced function by function: :func:`parse_answers`
and :func:`parse_answers_de` (``Name: score`` pairs), :func:`calculate_score` (v1, which upstream's
``lib/eq_bench_utils.py`` ``process_question`` uses to decide whether an answer parsed),
:func:`calculate_score_fullscale` (the v2 question score, ``10 − 0.7477 × Σ scaled |difference|``)
and :func:`calculate_eq_bench_score` (``100 × mean / 10`` over parseable questions, revised or
first pass, averaged over iterations). Its defects, fixed in affectlens's own figures:

- unparseable answers are dropped from the mean, not scored: a model that fails the hard items
  is not penalised. affectlens reports that figure (``score_usable_only``) and its own
  ``score``, where an unusable answer counts as a random one (0, the floor upstream's constant
  was chosen for), with the number of unusable answers beside it;
- iterations without scores are skipped but still counted in the average (it is pulled down);
- emotion names must match case-sensitively, a score needs whitespace after the colon
  ("Angry:5" fails), decimals are truncated ("7.5" reads as 7 — the regex takes the digits
  before the point), and an all-zero answer counts as unparseable (the v1 check). affectlens
  matches names case-insensitively, takes "Angry:5", reads 7.5 as 7.5, and accepts all zeros as
  an answer (a poor one) — a score above 10 is unusable.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from affectlens.errors import ConfigError, DatasetError
from affectlens.evaluation.ei.base import Benchmark, Item, Parsed

__all__ = [
    "EQBench",
    "calculate_eq_bench_score",
    "calculate_score",
    "calculate_score_fullscale",
    "parse_answers",
    "parse_answers_de",
    "remove_revision_instructions",
]

_PAIR = re.compile(r"(\w+):\s+(\d+)")
_PAIR_DE = re.compile(r"([a-zA-ZäöüßÄÖÜ\s]+):\s*\**(\d+(?:,\d+)?)\**")


# -- upstream, reproduced (lib/scoring.py and lib/run_bench_helper_functions.py at d28c60c) --


def parse_answers(text: str, revise: bool) -> tuple[dict[str, str], dict[str, str]]:
    """First-pass and revised ``{name: digits}`` (the pinned version strips no markdown)."""
    first: dict[str, str] = {}
    revised: dict[str, str] = {}
    if revise:
        match = re.search(r"First pass scores:(.*?)Revised scores:", text, re.DOTALL)
        if match:
            first = dict(_PAIR.findall(match.group(1)))
        match = re.search(r"Revised scores:(.*?)$", text, re.DOTALL)
        if match:
            revised = dict(_PAIR.findall(match.group(1)))
    else:
        first = dict(_PAIR.findall(text))
    return first, revised


def parse_answers_de(text: str, revise: bool) -> tuple[dict[str, str], dict[str, str]]:
    def pairs(section: str) -> dict[str, str]:
        return {label.strip(): score.replace("*", "") for label, score in _PAIR_DE.findall(section)}

    first: dict[str, str] = {}
    revised: dict[str, str] = {}
    if revise:
        match = re.search(r"(Erste.*?):\s*(.*?)(?=Überarbeitete|$)", text, re.IGNORECASE | re.DOTALL)
        if match:
            first = pairs(match.group(2))
        match = re.search(r"(Überarbeitete.*?):\s*(.*)", text, re.IGNORECASE | re.DOTALL)
        if match:
            revised = pairs(match.group(2))
    else:
        first = pairs(text)
    return first, revised


def _four_named(reference: dict[str, Any], user: dict[str, Any]) -> bool:
    if len(user) != 4:
        return False
    names = {reference[f"emotion{i}"] for i in range(1, 5)}
    return len({emotion for emotion in user if emotion in names}) == 4


def calculate_score(reference: dict[str, Any], user: dict[str, Any]) -> float | None:
    """v1: scores normalised to sum to 10, ``10 − Σ |difference|``; None when not four matching
    names or the scores sum to 0 or less."""
    if not _four_named(reference, user):
        return None
    total = sum(float(score) for score in user.values())
    if total <= 0:
        return None
    normalised = {emotion: float(score) / total * 10 for emotion, score in user.items()}
    tally = 0.0
    for emotion, score in normalised.items():
        for i in range(1, 5):
            if emotion == reference[f"emotion{i}"]:
                tally += abs(score - float(reference[f"emotion{i}_score"]))
    return 10 - tally


def scaled_difference(d: float) -> float:
    """0 when equal; an S-curve ``6.5 / (1 + e^(−1.2 (d − 4)))`` up to 5; the difference itself beyond."""
    if d == 0:
        return 0.0
    if d <= 5:
        return 6.5 * (1 / (1 + math.e ** (-1.2 * (d - 4))))
    return d


def calculate_score_fullscale(reference: dict[str, Any], user: dict[str, Any]) -> float | None:
    """v2: ``10 − 0.7477 × Σ scaled |difference|``; None when not four case-sensitively matching names."""
    if not _four_named(reference, user):
        return None
    tally = 0.0
    for emotion, score in user.items():
        for i in range(1, 5):
            if emotion == reference[f"emotion{i}"]:
                tally += scaled_difference(abs(float(score) - float(reference[f"emotion{i}_score"])))
    return 10 - tally * 0.7477


def calculate_eq_bench_score(iterations: list[dict[str, dict[str, Any]] | None]) -> tuple[float, float]:
    """v2 (fullscale) benchmark score and parseable count, averaged over iterations as upstream
    does: each iteration is ``{question_id: {"first_pass_score", "revised_score"}}`` or None for
    one without scores — skipped, yet counted in the average (upstream's defect, kept here)."""
    score_tally = 0.0
    parseable_tally = 0
    for scores in iterations:
        if scores is None:
            continue
        first = [r["first_pass_score"] for r in scores.values() if r.get("first_pass_score") is not None]
        revised = [r["revised_score"] for r in scores.values() if r.get("revised_score") is not None]
        score_first = 100 * (sum(first) / len(first) / 10) if first else 0
        score_revised = 100 * (sum(revised) / len(revised) / 10) if revised else 0
        if score_revised >= score_first and len(revised) >= 0.95 * len(first):
            final, parseable = score_revised, len(revised)
        else:
            final, parseable = score_first, len(first)
        score_tally += final
        parseable_tally += parseable
    n = len(iterations)
    return round(score_tally / n, 2), round(parseable_tally / n, 2)


def remove_revision_instructions(prompt: str, language: str) -> str:
    """The prompt without its critique-and-revise part (upstream's default, ``-revise`` off)."""
    if language == "en":
        prompt = prompt.replace(
            " Then critique your answer by thinking it through step by step. Finally, give your revised scores.", ""
        )
        prompt = prompt.replace("First pass scores:\n", "")
        prompt = prompt[: prompt.find("Critique: <your critique here>")] + "\n" + prompt[prompt.find("[End of answer]") :]
        prompt += "\nYour answer:\n"
    elif language == "de":
        match = "Geben Sie jeder dieser möglichen Emotionen"
        replacement = (
            "Geben Sie jeder dieser möglichen Emotionen eine Punktzahl von 0-10 für die relative Intensität, "
            "die sie wahrscheinlich fühlen werden."
        )
        start = prompt.find(match)
        end = prompt.find("\n", start)
        prompt = prompt[:start] + replacement + prompt[end:]
        prompt = prompt.replace("Erste Bewertung:\n", "")
        prompt = prompt[: prompt.find("Kritik: <Ihre Kritik hier>")] + "\n" + prompt[prompt.find("[Ende der Antwort]") :]
        prompt += "\nIhre Antwort:\n"
    return prompt


# -- the benchmark -----------------------------------------------------------------------

_OURS = re.compile(r"([^\W\d_][\w' -]*?)\s*[:=]\s*\**\s*(\d+(?:[.,]\d+)?)")
_REVISED = {
    "en": re.compile(r"Revised scores\s*:", re.IGNORECASE),
    "de": re.compile(r"Überarbeitete\w*\s*\w*\s*:", re.IGNORECASE),
}


class EQBench(Benchmark):
    name = "eqbench-v2"
    version = 1
    folder = "eqbench_v2"
    upstream = (
        "github.com/EQ-bench/EQ-Bench@d28c60c514fe6667dc5818114ed10088f91f09f3: lib/scoring.py parse_answers, "
        "parse_answers_de, calculate_score, calculate_score_fullscale, calculate_eq_bench_score; "
        "lib/run_bench_helper_functions.py remove_revision_instructions; lib/eq_bench_utils.py process_question"
    )

    def check_options(self, options: dict[str, Any]) -> dict[str, Any]:
        language = str(options.get("language") or "en").lower()
        if language not in ("en", "de"):
            raise ConfigError(f"EQ-Bench v2 is in en and de, not {language!r}", hint="--language en or --language de")
        return {"language": language, "revise": bool(options.get("revise", False))}

    def files(self) -> list[Path]:
        suffix = "_de" if self.options["language"] == "de" else ""
        return [self.root / f"eq_bench_v2_questions_171{suffix}.json"]

    def items(self) -> list[Item]:
        (path,) = self.files()
        if not path.is_file():
            raise DatasetError(f"EQ-Bench v2: {str(path)!r} not found", hint="check --data-dir")
        out = []
        for qid, question in json.loads(path.read_text(encoding="utf-8")).items():
            prompt = question["prompt"]
            if not self.options["revise"]:
                prompt = remove_revision_instructions(prompt, self.options["language"])
            reference = question["reference_answer_fullscale"]
            gold = {reference[f"emotion{i}"]: float(reference[f"emotion{i}_score"]) for i in range(1, 5)}
            meta = {"reference": reference, "reference_v1": question["reference_answer"]}
            out.append(Item(id=str(qid), messages=[{"role": "user", "content": prompt}], gold=gold, meta=meta))
        return out

    def parse(self, item: Item, content: str) -> Parsed:
        text = content.replace("*", "").replace("#", "")
        if self.options["revise"]:
            revised = _REVISED[self.options["language"]].split(text)
            if len(revised) > 1:  # the revised scores when there are four; else the first pass
                found = self._four(item, revised[-1])
                if found.ok:
                    return found
        return self._four(item, text)

    @staticmethod
    def _four(item: Item, text: str) -> Parsed:
        names = {name.lower(): name for name in item.gold}
        found: dict[str, float] = {}
        for label, value in _OURS.findall(text):
            name = names.get(label.strip().lower())
            if name is not None:
                found[name] = float(value.replace(",", "."))
        missing = [name for name in item.gold if name not in found]
        if missing:
            return Parsed(None, f"no score for {', '.join(missing)} (answer each as 'Name: score')")
        over = [name for name, v in found.items() if v > 10]
        if over:
            return Parsed(None, f"{', '.join(over)} scored above 10")
        return Parsed(found)

    def score(self, item: Item, answer: Any) -> float:
        tally = sum(scaled_difference(abs(answer[name] - item.gold[name])) for name in item.gold)
        return round(10 * (10 - tally * 0.7477), 4)  # on upstream's 0–100 scale; random answers ≈ 0

    def upstream_item(self, item: Item, contents: list[str]) -> dict[str, Any]:
        """``process_question``: the first answer that parses (v1 check), scored fullscale; a
        revised-mode partial result is kept when none does; nothing when nothing parsed."""
        revise, parser = self.options["revise"], parse_answers_de if self.options["language"] == "de" else parse_answers
        partial = None
        for content in contents:
            first, revised = parser(content, revise)
            first_v1 = calculate_score(item.meta["reference_v1"], first)
            revised_v1 = calculate_score(item.meta["reference_v1"], revised) if revise else None
            result = {
                "first_pass_score": calculate_score_fullscale(item.meta["reference"], first),
                "revised_score": calculate_score_fullscale(item.meta["reference"], revised) if revise else None,
            }
            if first_v1 is None or (revise and revised_v1 is None):
                if revise and partial is None and (first_v1 is not None or revised_v1 is not None):
                    partial = result
                continue
            return {"scores": result, "parsed": True}
        return {"scores": partial, "parsed": partial is not None}

    def upstream_score(self, items: list[Item], records: list[dict[str, Any]]) -> dict[str, Any]:
        scores = {r["id"]: r["upstream"]["scores"] for r in records if r["upstream"]["scores"] is not None}
        score, parseable = calculate_eq_bench_score([scores])
        return {"score": score, "parseable": parseable, "n": len(records)}
