"""More kinds of text for training, each mapped honestly into the model's 28 GoEmotions outputs.

A source annotates only some of the 28 labels. Its ``annotated`` mask says which: the loss
reads a label of a text only where the source annotated it, so a BRIGHTER text without "joy"
teaches "not joy", and says nothing about "admiration", which BRIGHTER never asked about.

| source | licence (weights may ship) | kind of text | labels it annotates |
|---|---|---|---|
| ``brighter`` | CC BY 4.0 | Reddit posts, personal narratives | anger, fear, joy, sadness, surprise (track A train) |
| ``emolit`` | CC BY-SA 4.0 | fiction sentences | the 24 labels it shares with GoEmotions (train part, :func:`split_of`) |

Only training parts are read: BRIGHTER's published train split; EmoLit's items that
:func:`affectlens.evaluation.crossdomain.split_of` puts in train (its dev part is in the
development suite, its test part is left for reporting).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from affectlens.evaluation.crossdomain import BRIGHTER_LABELS, split_of
from affectlens.taxonomy import load_taxonomy

__all__ = ["SOURCES", "Source", "load_sources"]

SOURCES = ("brighter", "emolit")


@dataclass(frozen=True)
class Source:
    name: str
    texts: list[str]
    targets: np.ndarray  # [n, 28] 0/1 in GoEmotions order
    annotated: np.ndarray  # [n, 28] bool: which targets the source says anything about


def _brighter(data_dir: Path, names: list[str]) -> Source:
    with open(data_dir / "brighter_eng" / "track_a" / "train" / "eng.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    targets = np.zeros((len(rows), len(names)), dtype=np.float32)
    annotated = np.zeros((len(rows), len(names)), dtype=bool)
    for label in BRIGHTER_LABELS:
        targets[:, names.index(label)] = [int(r[label]) for r in rows]
        annotated[:, names.index(label)] = True
    return Source("brighter", [r["text"] for r in rows], targets, annotated)


def _emolit(data_dir: Path, names: list[str]) -> Source:
    with open(data_dir / "emolit" / "gold.tsv", encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE) if split_of(f"emolit:{r['tid']}") == "train"]
    targets = np.zeros((len(rows), len(names)), dtype=np.float32)
    annotated = np.zeros((len(rows), len(names)), dtype=bool)
    for k, label in enumerate(names):
        if rows and label in rows[0]:
            targets[:, k] = [int(r[label]) for r in rows]
            annotated[:, k] = True
    return Source("emolit", [r["text"] for r in rows], targets, annotated)


def load_sources(data_dir: str | Path, names: Sequence[str]) -> list[Source]:
    """The named sources (``SOURCES``), read from ``data_dir``."""
    unknown = sorted(set(names) - set(SOURCES))
    if unknown:
        raise ValueError(f"unknown training sources {unknown}: choose from {', '.join(SOURCES)}")
    labels = load_taxonomy("goemotions").names
    readers = {"brighter": _brighter, "emolit": _emolit}
    return [readers[name](Path(data_dir), labels) for name in names]
