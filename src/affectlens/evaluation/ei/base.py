"""What a benchmark is to the runner: its items, and how an answer is parsed and scored — the
upstream way and the affectlens way."""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from affectlens.errors import DatasetError

__all__ = ["Benchmark", "Item", "Parsed", "file_sha256"]


@dataclass(frozen=True)
class Item:
    """One benchmark question: the upstream prompt as chat messages, what it is about, the gold answer."""

    id: str
    messages: list[dict[str, str]]
    gold: Any
    group: str = ""  # the category it is reported under
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Parsed:
    """An answer as affectlens reads it: ``answer`` None when it cannot be used, ``reason`` says why."""

    answer: Any
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.answer is not None


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Benchmark(ABC):
    """A benchmark over the files in ``data_dir / folder``, with its options (task, language…)."""

    name: ClassVar[str]
    version: ClassVar[int]
    folder: ClassVar[str]
    #: where the upstream scorer lives: repository, commit, files and functions reproduced
    upstream: ClassVar[str]
    #: a JSON schema that constrains the answer's form (None: free text, as upstream asks)
    schema: ClassVar[dict[str, Any] | None] = None
    #: the per-item score when an answer cannot be used (a wrong answer; random for EQ-Bench)
    unusable_score: ClassVar[float] = 0.0

    def __init__(self, data_dir: Path, **options: Any) -> None:
        self.root = data_dir / self.folder
        if not self.root.is_dir():
            raise DatasetError(f"{self.name}: folder {str(self.root)!r} not found", hint="check --data-dir")
        self.options = self.check_options(options)

    @property
    def id(self) -> str:
        return f"{self.name}@{self.version}"

    def check_options(self, options: dict[str, Any]) -> dict[str, Any]:
        return options

    @abstractmethod
    def files(self) -> list[Path]:
        """The published files the items come from (their hashes go into the result record)."""

    @abstractmethod
    def items(self) -> list[Item]:
        """The questions, in the published order."""

    @abstractmethod
    def parse(self, item: Item, content: str) -> Parsed:
        """The model's answer, read leniently but never guessed."""

    @abstractmethod
    def score(self, item: Item, answer: Any) -> float:
        """The item's score for a usable answer (1/0 for a right/wrong choice)."""

    @abstractmethod
    def upstream_item(self, item: Item, contents: list[str]) -> dict[str, Any]:
        """What the upstream code records for this item, given the answers it would have seen."""

    @abstractmethod
    def upstream_score(self, items: list[Item], records: list[dict[str, Any]]) -> dict[str, Any]:
        """The upstream figures over the items' upstream records."""

    def summary(self, items: list[Item], records: list[dict[str, Any]]) -> dict[str, Any]:
        """affectlens's figures: the mean score with unusable answers at :attr:`unusable_score`,
        the mean over usable answers, how many were unusable, and per group."""
        by_id = {item.id: item for item in items}
        scores = [r["score"] for r in records]
        usable = [r["score"] for r in records if r["parsed"]]
        groups: dict[str, list[float]] = {}
        for r in records:
            groups.setdefault(by_id[r["id"]].group, []).append(r["score"])
        return {
            "score": _mean(scores),
            "score_usable_only": _mean(usable),
            "n": len(records),
            "unusable": sum(not r["parsed"] for r in records),
            "by_group": {g: {"score": _mean(v), "n": len(v)} for g, v in sorted(groups.items()) if g},
        }


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None
