"""Readers for the conversation datasets: MELD, DailyDialog (ConvLab unified JSON), RECCON.

Each returns :class:`Dialogue` objects — turns in order with their speaker and gold emotion
(and, for RECCON, the gold cause turns of each emotional turn). Nothing heavier than the
standard library; training and evaluation both use them.
"""

from __future__ import annotations

import csv
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from affectlens.conversation.schema import MELD_LABELS
from affectlens.errors import DatasetError

__all__ = [
    "DAILYDIALOG_LABELS",
    "DAILYDIALOG_SPLITS",
    "MELD_SPLITS",
    "RECCON_SPLITS",
    "Dialogue",
    "read_dailydialog",
    "read_meld",
    "read_reccon",
]

MELD_SPLITS = ("train", "dev", "test")
DAILYDIALOG_SPLITS = ("train", "validation", "test")
RECCON_SPLITS = ("train", "valid", "test")
# Both corpora use Ekman's six plus a neutral class; labels here are Ekman names.
DAILYDIALOG_LABELS = MELD_LABELS
# RECCON's annotation has a few misspelt labels ("happines", "sad")
_DD_NAMES = {"no emotion": "neutral", "happiness": "joy", "happines": "joy", "happy": "joy", "excited": "joy", "sad": "sadness"}


@dataclass
class Dialogue:
    id: str
    speakers: list[str]
    texts: list[str]
    labels: list[str]  # Ekman names, "neutral" for none
    causes: dict[int, set[int]] = field(default_factory=dict)  # effect turn -> cause turns (0-based)


def _require(path: Path, hint: str) -> Path:
    if not path.is_file():
        raise DatasetError(f"{path} not found", hint=hint)
    return path


def read_meld(directory: Path, split: str) -> list[Dialogue]:
    """``<directory>/{split}_sent_emo.csv`` of the MELD repository (text only)."""
    if split not in MELD_SPLITS:
        raise DatasetError(f"MELD has no split {split!r}", hint=f"choose one of {', '.join(MELD_SPLITS)}")
    path = _require(directory / f"{split}_sent_emo.csv", "download MELD's data/MELD/*_sent_emo.csv from its repository")
    dialogues: dict[str, list[tuple[int, str, str, str]]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for n, row in enumerate(csv.DictReader(handle), start=2):
            try:
                label = row["Emotion"].strip().lower()
                if label not in MELD_LABELS:
                    raise DatasetError(f"{path}:{n}: unknown emotion {label!r}")
                turn = (int(row["Utterance_ID"]), row["Speaker"], _clean_meld(row["Utterance"]), label)
                dialogues.setdefault(row["Dialogue_ID"], []).append(turn)
            except (KeyError, ValueError) as exc:
                raise DatasetError(f"{path}:{n}: not a MELD row ({exc})") from exc
    out = []
    for dialogue_id, turns in dialogues.items():
        turns.sort()
        out.append(Dialogue(f"{split}_{dialogue_id}", [t[1] for t in turns], [t[2] for t in turns], [t[3] for t in turns]))
    return out


def _clean_meld(text: str) -> str:
    # MELD's CSVs carry Windows-1252 punctuation decoded as Latin-1 control characters.
    return text.replace("\x92", "'").replace("\x91", "'").replace("\x93", '"').replace("\x94", '"').replace("\x97", "-").strip()


def read_dailydialog(directory: Path, split: str) -> list[Dialogue]:
    """``<directory>/data.zip`` of ConvLab-3's unified DailyDialog (the official split)."""
    if split not in DAILYDIALOG_SPLITS:
        raise DatasetError(f"DailyDialog has no split {split!r}", hint=f"choose one of {', '.join(DAILYDIALOG_SPLITS)}")
    path = _require(directory / "data.zip", "download data/unified_datasets/dailydialog/data.zip from ConvLab-3")
    try:
        with zipfile.ZipFile(path) as archive, archive.open("data/dialogues.json") as handle:
            raw = json.load(handle)
        out = []
        for dialogue in raw:
            if dialogue["data_split"] != split:
                continue
            turns = dialogue["turns"]
            out.append(
                Dialogue(
                    str(dialogue["dialogue_id"]),
                    [t["speaker"] for t in turns],
                    [t["utterance"] for t in turns],
                    [_DD_NAMES.get(t["emotion"], t["emotion"]) for t in turns],
                )
            )
    except (KeyError, TypeError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise DatasetError(f"{path}: not ConvLab's unified DailyDialog ({exc})") from exc
    return out


def read_reccon(directory: Path, split: str) -> list[Dialogue]:
    """``<directory>/dailydialog_{split}.json`` of RECCON (emotion-cause turns)."""
    if split not in RECCON_SPLITS:
        raise DatasetError(f"RECCON has no split {split!r}", hint=f"choose one of {', '.join(RECCON_SPLITS)}")
    path = _require(directory / f"dailydialog_{split}.json", "download RECCON's data/original_annotation/dailydialog_*.json")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        out = []
        for dialogue_id, (turns, *_) in raw.items():
            causes = {}
            for k, t in enumerate(turns):
                evidence = t.get("expanded emotion cause evidence")
                if t["emotion"] != "neutral" and evidence is not None:
                    # "b" marks a cause outside the conversation: it names no turn
                    causes[k] = {e - 1 for e in evidence if isinstance(e, int) and 1 <= e <= k + 1}
            out.append(
                Dialogue(
                    dialogue_id,
                    [t["speaker"] for t in turns],
                    [t["utterance"] for t in turns],
                    [_DD_NAMES.get(t["emotion"], t["emotion"]) for t in turns],
                    causes,
                )
            )
    except (KeyError, TypeError, ValueError) as exc:
        raise DatasetError(f"{path}: not RECCON's annotation format ({exc})") from exc
    return out
