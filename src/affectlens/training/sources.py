"""More kinds of text for training, each mapped honestly into what the model outputs.

A training text's targets live in one column space, :data:`TARGETS`: the 28 GoEmotions
outputs, then the six Ekman groups of those outputs as the GoEmotions authors publish them
(``ekman:joy`` = joy, amusement, approval, … — :func:`group_matrix`). The model predicts a
group by the noisy-OR of its members, as the Ekman taxonomy is reached at run time, so a
corpus annotated at Ekman level trains exactly the quantity it describes: a BRIGHTER text
with "joy" teaches that *some* joy-group label holds (gratitude will do), one without "joy"
that none does.

A source annotates only some columns. Its ``annotated`` mask says which: the loss reads a
column of a text only where the source annotated it, so a BRIGHTER text says nothing about
"curiosity" beyond what its "surprise" says of the surprise group.

| source | licence (weights may ship) | kind of text | what it trains |
|---|---|---|---|
| ``brighter`` | CC BY 4.0 | Reddit posts, personal narratives | Ekman anger, fear, joy, sadness, surprise (track A train) |
| ``emolit`` | CC BY-SA 4.0 | fiction sentences | the 24 labels it shares with GoEmotions by name (train part, :func:`split_of`) |
| ``fb-va`` | GPL-3.0 | Facebook status updates | the VAD head's valence and arousal (train part, :func:`split_of`) |

Dimensional ratings are aligned to EmoBank by standard scores (each corpus's train mean and
spread): the Facebook raters use a 1–9 scale whose arousal starts at "neutral", EmoBank's
readers a 1–5 scale centred on neutral, so only a rating's place within its own corpus
carries over. Dominance is not rated there and is not trained on those texts.

Not used as labels, and why: COVID worry's ratings are how writers felt, not what their text
says (development r 0.21 for the shipped model), so its texts teach only through a teacher's
soft targets (:mod:`affectlens.training.teacher`); Empathic Reactions rates empathy and
distress, which no output of the model names.

Only training parts are read: BRIGHTER's published train split; the items of EmoLit and the
Facebook posts that :func:`affectlens.evaluation.crossdomain.split_of` puts in train (their
dev parts are in the development suite, their test parts are left for reporting).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from affectlens.evaluation.crossdomain import load_corpus
from affectlens.taxonomy import load_taxonomy, mapping_matrix

__all__ = ["GROUP_PREFIX", "SOURCES", "SOURCE_INFO", "Source", "group_matrix", "load_sources", "targets"]

SOURCES = ("brighter", "emolit", "fb-va")
GROUP_PREFIX = "ekman:"
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
    "fb-va": {
        "files": ["fb_valence_arousal/dataset-fb-valence-arousal-anon.csv"],
        "licence": "GPL-3.0",
        "part": "Facebook posts with valence and arousal, the train part of evaluation.crossdomain.split_of (60%)",
    },
}


@cache
def targets() -> tuple[str, ...]:
    """The training target columns: the 28 outputs, then ``ekman:<group>`` for each Ekman emotion."""
    ekman = load_taxonomy("ekman")
    return (*load_taxonomy("goemotions").names, *(GROUP_PREFIX + n for n in ekman.names if n != ekman.neutral))


@cache
def group_matrix() -> np.ndarray:
    """``[28, len(targets())]`` 0/1: which outputs make each target column (identity for the 28,
    the published GoEmotions → Ekman grouping for the groups)."""
    outputs = load_taxonomy("goemotions").names
    ekman = mapping_matrix("goemotions@1", "ekman@1")
    ekman_names = load_taxonomy("ekman").names
    matrix = np.zeros((len(outputs), len(targets())), dtype=np.float32)
    matrix[:, : len(outputs)] = np.eye(len(outputs))
    for c, name in enumerate(targets()[len(outputs) :], start=len(outputs)):
        matrix[:, c] = ekman[:, ekman_names.index(name[len(GROUP_PREFIX) :])] >= 0.5
    matrix.flags.writeable = False
    return matrix


@dataclass(frozen=True)
class Source:
    name: str
    texts: list[str]
    targets: np.ndarray  # [n, len(targets())] 0/1
    annotated: np.ndarray  # [n, len(targets())] bool: which targets the source says anything about
    vad: np.ndarray  # [n, 3] standard scores in EmoBank's units; NaN where the source rates nothing


def load_sources(data_dir: str | Path, names: Sequence[str]) -> list[Source]:
    """The named sources (``SOURCES``): their train parts, read as the development suite reads
    their dev parts (:func:`affectlens.evaluation.crossdomain.load_corpus`), in the target columns."""
    unknown = sorted(set(names) - set(SOURCES))
    if unknown:
        raise ValueError(f"unknown training sources {unknown}: choose from {', '.join(SOURCES)}")
    columns = targets()
    out = []
    for name in names:
        corpus = load_corpus(name, data_dir, "train")
        n = len(corpus.texts)
        gold = np.zeros((n, len(columns)), dtype=np.float32)
        annotated = np.zeros((n, len(columns)), dtype=bool)
        vad = np.full((n, 3), np.nan, dtype=np.float32)
        if corpus.gold is not None:
            assert corpus.labels is not None
            # BRIGHTER's five are Ekman categories; EmoLit's shared labels are GoEmotions labels
            prefix = GROUP_PREFIX if name == "brighter" else ""
            index = [columns.index(prefix + label) for label in corpus.labels]
            gold[:, index] = corpus.gold
            annotated[:, index] = True
        if corpus.vad is not None:
            rated = corpus.vad.shape[1]
            vad[:, :rated] = (corpus.vad - corpus.vad.mean(axis=0)) / corpus.vad.std(axis=0)
        out.append(Source(name, corpus.texts, gold, annotated, vad))
    return out
