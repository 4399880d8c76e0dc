"""GoEmotions (28-way, Ekman-grouped, sentiment-grouped), EmoBank, and the minimal-pair suite."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from affectlens.evaluation.datasets import DatasetSpec, EvalData
from affectlens.evaluation.datasets.readers import (
    EMOBANK_SPLITS,
    GOEMOTIONS_SPLITS,
    LabelledTexts,
    read_emobank,
    read_goemotions,
)
from affectlens.taxonomy import load_taxonomy, map_label_sets

_GOEMOTIONS_CITATION = "Demszky et al. (2020). GoEmotions: A Dataset of Fine-Grained Emotions. ACL 2020."
_GOEMOTIONS_LICENCE = "Apache-2.0 (google-research repository)"


def _goemotions_in(taxonomy_name: str) -> Callable[[Path, str], EvalData]:
    def load(data_dir: Path, split: str) -> EvalData:
        data = read_goemotions(data_dir, split)
        source, target = load_taxonomy("goemotions"), load_taxonomy(taxonomy_name)
        if target.name != source.name:
            mapped = [map_label_sets(labels, source, target) for labels in data.labels]
            data = LabelledTexts(data.ids, data.texts, mapped, target.names)
        return EvalData(data.ids, data.texts, data.label_names, data.indicator())

    return load


def _emobank(data_dir: Path, split: str) -> EvalData:
    data = read_emobank(data_dir, split)
    return EvalData(data.ids, data.texts, vad=data.vad)


GOEMOTIONS = DatasetSpec(
    name="goemotions",
    version=1,
    kind="multilabel",
    taxonomy="goemotions",
    splits=GOEMOTIONS_SPLITS,
    licence=_GOEMOTIONS_LICENCE,
    citation=_GOEMOTIONS_CITATION,
    description="Reddit comments, 27 emotions + neutral, multi-label (rater-agreement split)",
    loader=_goemotions_in("goemotions"),
)
GOEMOTIONS_EKMAN = DatasetSpec(
    name="goemotions-ekman",
    version=1,
    kind="multilabel",
    taxonomy="ekman",
    splits=GOEMOTIONS_SPLITS,
    licence=_GOEMOTIONS_LICENCE,
    citation=_GOEMOTIONS_CITATION,
    description="GoEmotions gold labels grouped into Ekman's 6 + neutral by the authors' mapping",
    loader=_goemotions_in("ekman"),
)
GOEMOTIONS_SENTIMENT = DatasetSpec(
    name="goemotions-sentiment",
    version=1,
    kind="multilabel",
    taxonomy="sentiment",
    splits=GOEMOTIONS_SPLITS,
    licence=_GOEMOTIONS_LICENCE,
    citation=_GOEMOTIONS_CITATION,
    description="GoEmotions gold labels grouped into positive / negative / ambiguous / neutral",
    loader=_goemotions_in("sentiment"),
)
EMOBANK = DatasetSpec(
    name="emobank",
    version=1,
    kind="vad",
    taxonomy="goemotions",
    splits=EMOBANK_SPLITS,
    licence="CC BY-SA 4.0",
    citation=(
        "Buechel & Hahn (2017). EmoBank: Studying the Impact of Annotation Perspective and "
        "Representation Format on Dimensional Emotion Analysis. EACL 2017."
    ),
    description="10k English sentences rated for valence, arousal, dominance (1-5; reported on [-1, 1])",
    loader=_emobank,
)


def _shipped_suite(data_dir: Path, split: str) -> EvalData:
    raise AssertionError("the minimal-pair suite ships with affectlens; the runner reads it itself")


def _suite_spec(suite: str, description: str) -> DatasetSpec:
    """A minimal-pair suite that ships in ``evaluation/suites/{suite}.yaml``."""
    return DatasetSpec(
        name=suite.replace("_", "-"),
        version=1,
        kind="pairs",
        taxonomy="goemotions",
        splits=("test",),
        licence="Apache-2.0 (written by the affectlens team)",
        citation=f"affectlens evaluation/suites/{suite}.yaml",
        description=description,
        loader=_shipped_suite,
        suite=suite,
    )


MINIMAL_PAIRS = _suite_spec(
    "minimal_pairs", "155 minimal pairs: negation, contrast, intensifiers, diminishers, sarcasm (ships with affectlens)"
)
MINIMAL_PAIRS_HOLDOUT = _suite_spec(
    "minimal_pairs_holdout", "50 further minimal pairs, held out from every modelling decision (ships with affectlens)"
)
ROBUSTNESS = _suite_spec(
    "robustness", "36 minimal pairs: sarcasm and irony, emoji for laughing and crying, slang praise (development)"
)
EVERYDAY = _suite_spec(
    "everyday", "48 everyday English texts: messages, reviews, support chats, celebrations, loneliness (development)"
)
EVERYDAY_HOLDOUT = _suite_spec(
    "everyday_holdout", "30 held-out everyday English texts; written before the changes they measure"
)
ROBUSTNESS_HOLDOUT = _suite_spec(
    "robustness_holdout", "30 held-out minimal pairs: sarcasm, emoji, slang; written before the changes they measure"
)
