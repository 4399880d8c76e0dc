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

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from affectlens.evaluation.crossdomain import load_corpus
from affectlens.taxonomy import load_taxonomy

__all__ = ["SOURCES", "SOURCE_INFO", "Source", "load_sources"]

SOURCES = ("brighter", "emolit")
# what a model's manifest records of each source: its files (relative to the data folder),
# licence and the part read
SOURCE_INFO = {
    "brighter": {
        "files": ["brighter_eng/track_a/train/eng.csv"],
        "licence": "CC BY 4.0",
        "part": "BRIGHTER English (SemEval-2025 Task 11) track A train split",
    },
    "emolit": {
        "files": ["emolit/gold.tsv"],
        "licence": "CC BY-SA 4.0",
        "part": "EmoLit gold, the train part of evaluation.crossdomain.split_of (60%)",
    },
}


@dataclass(frozen=True)
class Source:
    name: str
    texts: list[str]
    targets: np.ndarray  # [n, 28] 0/1 in GoEmotions order
    annotated: np.ndarray  # [n, 28] bool: which targets the source says anything about


def load_sources(data_dir: str | Path, names: Sequence[str]) -> list[Source]:
    """The named sources (``SOURCES``): their train parts, read as the development suite reads
    their dev parts (:func:`affectlens.evaluation.crossdomain.load_corpus`), in the 28 outputs."""
    unknown = sorted(set(names) - set(SOURCES))
    if unknown:
        raise ValueError(f"unknown training sources {unknown}: choose from {', '.join(SOURCES)}")
    outputs = load_taxonomy("goemotions").names
    out = []
    for name in names:
        corpus = load_corpus(name, data_dir, "train")
        assert corpus.labels is not None and corpus.gold is not None
        columns = [outputs.index(label) for label in corpus.labels]
        targets = np.zeros((len(corpus.texts), len(outputs)), dtype=np.float32)
        annotated = np.zeros((len(corpus.texts), len(outputs)), dtype=bool)
        targets[:, columns] = corpus.gold
        annotated[:, columns] = True
        out.append(Source(name, corpus.texts, targets, annotated))
    return out
