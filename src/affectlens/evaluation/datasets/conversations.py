"""Conversation datasets: MELD and DailyDialog (per-turn emotions), RECCON (emotion causes)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from affectlens.evaluation.datasets import DatasetSpec, EvalData
from affectlens.evaluation.datasets.dialogues import (
    DAILYDIALOG_SPLITS,
    MELD_LABELS,
    MELD_SPLITS,
    RECCON_SPLITS,
    Dialogue,
    read_dailydialog,
    read_meld,
    read_reccon,
)


def _dialogues(reader: Callable[[Path, str], list[Dialogue]], folder: str) -> Callable[[Path, str], EvalData]:
    def load(data_dir: Path, split: str) -> EvalData:
        dialogues = reader(data_dir / folder, split)
        return EvalData([d.id for d in dialogues], [], list(MELD_LABELS), dialogues=dialogues)

    return load


MELD = DatasetSpec(
    name="meld",
    version=1,
    kind="conversation",
    taxonomy="ekman",
    splits=MELD_SPLITS,
    licence="GPL-3.0 (MELD repository)",
    citation="Poria et al. (2019). MELD: A Multimodal Multi-Party Dataset for Emotion Recognition in Conversations. ACL 2019.",
    description="Friends dialogues, 7 classes (Ekman + neutral) per utterance, text only; weighted-F1 is the standard",
    loader=_dialogues(read_meld, "meld"),
)
DAILYDIALOG = DatasetSpec(
    name="dailydialog",
    version=1,
    kind="conversation",
    taxonomy="ekman",
    splits=DAILYDIALOG_SPLITS,
    licence="CC BY-NC-SA 4.0",
    citation="Li et al. (2017). DailyDialog: A Manually Labelled Multi-turn Dialogue Dataset. IJCNLP 2017.",
    description="daily-life dialogues, 6 emotions + no emotion per turn; micro-F1 over the six emotions is the standard",
    loader=_dialogues(read_dailydialog, "dailydialog"),
)
RECCON = DatasetSpec(
    name="reccon",
    version=1,
    kind="causes",
    taxonomy="ekman",
    splits=RECCON_SPLITS,
    licence="none stated; the text is DailyDialog's (CC BY-NC-SA 4.0)",
    citation="Poria et al. (2021). Recognizing Emotion Cause in Conversations. Cognitive Computation 13.",
    description="causal emotion entailment: for each emotional turn, which turns up to it cause it (pos/neg/macro F1)",
    loader=_dialogues(read_reccon, "reccon"),
)
