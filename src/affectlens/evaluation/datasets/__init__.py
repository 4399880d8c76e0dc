"""Evaluation datasets, found by name (``affectlens eval --list``).

Each dataset declares its splits, the taxonomy its gold labels are in, its licence and a
version; loaders read the published files from a directory (the data is not shipped).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from affectlens.registry import Registry

if TYPE_CHECKING:
    from affectlens.evaluation.datasets.dialogues import Dialogue

__all__ = ["DatasetSpec", "EvalData", "datasets"]


@dataclass(frozen=True)
class EvalData:
    """One split: texts with gold label indicators ``[n, L]`` or gold VAD ``[n, 3]``; or,
    for conversation datasets, whole dialogues with their gold labels and causes."""

    ids: list[str]
    texts: list[str]
    label_names: list[str] | None = None
    gold: np.ndarray | None = None
    vad: np.ndarray | None = None
    dialogues: list[Dialogue] | None = None

    def head(self, n: int) -> EvalData:
        """The first ``n`` items, or dialogues for conversation datasets (``eval --limit``)."""
        return EvalData(
            self.ids[:n],
            self.texts[:n],
            self.label_names,
            None if self.gold is None else self.gold[:n],
            None if self.vad is None else self.vad[:n],
            None if self.dialogues is None else self.dialogues[:n],
        )


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    version: int
    kind: Literal["multilabel", "vad", "pairs", "conversation", "causes", "faces"]
    taxonomy: str
    splits: tuple[str, ...]
    licence: str
    citation: str
    description: str
    loader: Callable[[Path, str], EvalData]
    suite: str | None = None  # for kind "pairs": the suite file shipped in evaluation/suites

    @property
    def conversational(self) -> bool:
        """Whether items are whole dialogues (scored by a conversation analyzer)."""
        return self.kind in ("conversation", "causes")

    @property
    def id(self) -> str:
        return f"{self.name}@{self.version}"

    def load(self, data_dir: Path, split: str) -> EvalData:
        return self.loader(data_dir, split)


datasets: Registry[DatasetSpec] = Registry("dataset")
for _name, _attr in (
    ("goemotions", "GOEMOTIONS"),
    ("goemotions-ekman", "GOEMOTIONS_EKMAN"),
    ("goemotions-sentiment", "GOEMOTIONS_SENTIMENT"),
    ("emobank", "EMOBANK"),
    ("minimal-pairs", "MINIMAL_PAIRS"),
    ("minimal-pairs-holdout", "MINIMAL_PAIRS_HOLDOUT"),
    ("robustness", "ROBUSTNESS"),
    ("robustness-holdout", "ROBUSTNESS_HOLDOUT"),
    ("everyday", "EVERYDAY"),
    ("everyday-holdout", "EVERYDAY_HOLDOUT"),
):
    datasets.register(_name, f"affectlens.evaluation.datasets.standard:{_attr}")
for _name, _attr in (("meld", "MELD"), ("dailydialog", "DAILYDIALOG"), ("reccon", "RECCON")):
    datasets.register(_name, f"affectlens.evaluation.datasets.conversations:{_attr}")
datasets.register("fer2013", "affectlens.evaluation.datasets.faces:FER2013")
