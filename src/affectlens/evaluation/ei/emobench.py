"""EmoBench (Sabour et al., ACL 2024): emotional understanding (EU: which emotion, and why) and
emotional application (EA: the most effective response or action), multiple choice, English and
Chinese. Data: ``emobench/`` (``EU.jsonl``, ``EA.jsonl``, ``prompts.yaml``, ``response.yaml``,
MIT; github.com/Sahandfer/EmoBench at 3b4f843).

**Prompts** as upstream builds them (``src/model.py`` ``LLM.init_prompt``, ``src/utils.py``
``get_response_format``, ``src/data.py`` ``DataLoader.generate_responses`` and ``rank_choices``):
the system prompt ``sys[lang]`` + the base answer-format statement and JSON keys; the user
prompt from ``prompts.yaml`` with the choices lettered "A) …" in file order.

**Upstream scoring** (``src/data.py`` ``DataLoader.evaluate_results``, ``src/utils.py``
``parse_json_response``), reproduced in :func:`upstream_parse` and :meth:`EmoBench.upstream_score`:
the answer is JSON (optionally in a ```json fence); EA is right when ``answer`` equals the gold
letter exactly, EU when both ``answer_q1`` and ``answer_q2`` do; accuracy per category and
"Overall". Its defects, fixed in affectlens's own figures:

- ``LLM.gen_response`` returns an empty answer from inside its ``except``: retries never fire,
  a parse failure is scored as a wrong answer. affectlens asks again with the reason
  (``parse_retries``), and counts an answer that never parses as *unusable*, apart;
- answers are compared as exact strings: "a", "A)", "A) text" or " A" are wrong. affectlens
  reads a letter however it is written, or the text of a choice, and refuses anything else;
- gold positions are skewed (en EU emotion: A 72 of 200; en EA: C 74 of 200) — the result
  reports the accuracy of always answering the same letter, the floor a position-biased model
  gets for free.

Upstream's model calls sample at temperature 0.6; affectlens uses the backend's temperature
(0 by default) and a JSON schema for the answer's keys (no enum: the model may still write "A)").
"""

from __future__ import annotations

import json
import re
import string
from pathlib import Path
from typing import Any

from affectlens.errors import ConfigError, DatasetError
from affectlens.evaluation.ei.base import Benchmark, Item, Parsed
from affectlens.io.yamltext import load_yaml
from affectlens.llm.schemas import extract_json

__all__ = ["EmoBench", "upstream_parse"]

LETTERS = string.ascii_uppercase
_FENCE = re.compile(r"```json\s*([\s\S]*?)```", re.DOTALL)
_LETTER = re.compile(r"^\(?([A-Za-z])(?:[).:]|\s*$)")  # a letter alone, or followed by ")", "." or ":"


def upstream_parse(content: str | None) -> dict[str, Any] | None:
    """``parse_json_response`` of EmoBench's ``src/utils.py``: the JSON of a ```json fence, or the
    whole answer as JSON; None when that fails."""
    try:
        if content is None:
            return None
        if "```json" in content:
            match = _FENCE.search(content)
            content = match.group(0).replace("```json", "").replace("```", "")  # type: ignore[union-attr]
        value = json.loads(content)
        return value if isinstance(value, dict) else None
    except (ValueError, AttributeError, TypeError):
        return None


def rank_choices(choices: list[str]) -> str:
    return "\n".join(f"{LETTERS[i]}) {c}" for i, c in enumerate(choices))


class EmoBench(Benchmark):
    name = "emobench"
    version = 1
    folder = "emobench"
    upstream = (
        "github.com/Sahandfer/EmoBench@3b4f84312541f8469e909965e1fff3691ef85c62: src/data.py DataLoader.evaluate_results, "
        "src/utils.py parse_json_response and get_response_format, src/model.py LLM.init_prompt"
    )

    def check_options(self, options: dict[str, Any]) -> dict[str, Any]:
        task = str(options.get("task") or "EU").upper()
        language = str(options.get("language") or "en").lower()
        if task not in ("EU", "EA"):
            raise ConfigError(f"EmoBench has tasks EU and EA, not {task!r}", hint="--task EU or --task EA")
        if language not in ("en", "zh"):
            raise ConfigError(f"EmoBench is in en and zh, not {language!r}", hint="--language en or --language zh")
        return {"task": task, "language": language}

    @property
    def schema(self) -> dict[str, Any]:  # type: ignore[override]
        keys = ["answer"] if self.options["task"] == "EA" else ["answer_q1", "answer_q2"]
        return {
            "type": "object",
            "properties": {k: {"type": "string"} for k in keys},
            "required": keys,
            "additionalProperties": False,
        }

    def files(self) -> list[Path]:
        return [self.root / f"{self.options['task']}.jsonl", self.root / "prompts.yaml", self.root / "response.yaml"]

    def _system(self, prompts: dict[str, Any], response: dict[str, Any]) -> str:
        task, lang = self.options["task"], self.options["language"]
        statement, conditions = response["base"][lang], response[task][lang]
        output_format = f"\n{statement}\n```json\n    {{\n    {conditions}\n    }}\n``` \n    "
        return str(prompts["sys"][lang]) + output_format

    def items(self) -> list[Item]:
        for path in self.files():
            if not path.is_file():
                raise DatasetError(f"EmoBench: {str(path)!r} not found", hint="check --data-dir")
        task, lang = self.options["task"], self.options["language"]
        prompts = load_yaml(self.files()[1].read_text(encoding="utf-8"))
        response = load_yaml(self.files()[2].read_text(encoding="utf-8"))
        system = self._system(prompts, response)
        template = prompts[task][lang]
        out = []
        for line in self.files()[0].read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            if row["language"] != lang:
                continue
            if task == "EU":
                user = template.format(
                    scenario=row["scenario"], subject=row["subject"],
                    emo_choices=rank_choices(row["emotion_choices"]), cause_choices=rank_choices(row["cause_choices"]),
                )  # fmt: skip
                gold = (
                    LETTERS[row["emotion_choices"].index(row["emotion_label"])],
                    LETTERS[row["cause_choices"].index(row["cause_label"])],
                )
                sizes = (len(row["emotion_choices"]), len(row["cause_choices"]))
                group = row["coarse_category"]
                texts = (row["emotion_choices"], row["cause_choices"])
            else:
                user = template.format(
                    scenario=row["scenario"], subject=row["subject"], choices=rank_choices(row["choices"]),
                    q_type=row["question type"],
                )  # fmt: skip
                gold = (LETTERS[row["choices"].index(row["label"])],)
                sizes, group, texts = (len(row["choices"]),), row["category"], (row["choices"],)
            messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
            out.append(
                Item(id=str(row["qid"]), messages=messages, gold=gold, group=group, meta={"sizes": sizes, "choices": texts})
            )
        return out

    @property
    def _keys(self) -> tuple[str, ...]:
        return ("answer",) if self.options["task"] == "EA" else ("answer_q1", "answer_q2")

    def parse(self, item: Item, content: str) -> Parsed:
        try:
            value = extract_json(content)
        except ValueError as exc:
            return Parsed(None, str(exc))
        letters = []
        for key, size, choices in zip(self._keys, item.meta["sizes"], item.meta["choices"]):
            raw = value.get(key)
            if not isinstance(raw, str) or not raw.strip():
                return Parsed(None, f"no {key!r} in the answer")
            letter = _letter(raw, size, choices)
            if letter is None:
                return Parsed(None, f"{key} = {raw[:40]!r} is not one of the letters A–{LETTERS[size - 1]}")
            letters.append(letter)
        return Parsed(tuple(letters))

    def score(self, item: Item, answer: Any) -> float:
        return float(tuple(answer) == tuple(item.gold))

    def upstream_item(self, item: Item, contents: list[str]) -> dict[str, Any]:
        # retries never fire upstream: the first answer is the one scored; a failure is all ""
        parsed = upstream_parse(contents[0] if contents else None) or {}
        answers = [parsed.get(key, "") for key in self._keys]
        return {"answers": answers, "accuracy": all(a == g for a, g in zip(answers, item.gold))}

    def upstream_score(self, items: list[Item], records: list[dict[str, Any]]) -> dict[str, Any]:
        """``evaluate_results``: the mean of ``accuracy`` per category, and "Overall"."""
        by_id = {item.id: item for item in items}
        groups: dict[str, list[bool]] = {}
        for r in records:
            groups.setdefault(by_id[r["id"]].group, []).append(bool(r["upstream"]["accuracy"]))
        out: dict[str, Any] = {g: sum(v) / len(v) for g, v in sorted(groups.items())}
        every = [bool(r["upstream"]["accuracy"]) for r in records]
        out["Overall"] = sum(every) / len(every) if every else None
        return out

    def summary(self, items: list[Item], records: list[dict[str, Any]]) -> dict[str, Any]:
        out = super().summary(items, records)
        scored = {r["id"] for r in records}
        golds = [item.gold for item in items if item.id in scored]
        floor = 0.0
        for letter in LETTERS[:6]:  # the accuracy of always answering the same letter(s)
            floor = max(floor, sum(all(g == letter for g in gold) for gold in golds) / max(len(golds), 1))
        out["same_letter_floor"] = round(floor, 4)
        return out


def _letter(raw: str, size: int, choices: list[str]) -> str | None:
    """ "A", "a", "(b)", "A)", "C. text", " D" → the letter; the text of a choice → its letter;
    anything else ("I think A", "A or B") → None."""
    text = raw.strip()
    for n, choice in enumerate(choices):
        if text.lower().rstrip(".") == choice.strip().lower().rstrip("."):
            return LETTERS[n]
    match = _LETTER.match(text)
    if match is None:
        return None
    letter = match.group(1).upper()
    return letter if LETTERS.index(letter) < size else None
