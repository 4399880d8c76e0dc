"""Readers for the published files of the public datasets (the data is never shipped).

Each reader takes the dataset directory (``<data_dir>/goemotions`` etc.), checks that the
files are there and in the published format, and returns plain Python/numpy values. They
depend on nothing heavier than numpy so the training recipe can use them anywhere.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from affectlens.errors import DatasetError

__all__ = [
    "EMOBANK_SPLITS",
    "GOEMOTIONS_SPLITS",
    "LabelledTexts",
    "RatedTexts",
    "read_emobank",
    "read_goemotions",
    "resolve_data_dir",
]

GOEMOTIONS_SPLITS = ("train", "dev", "test")
EMOBANK_SPLITS = ("train", "dev", "test")
ENV_DATA_DIR = "AFFECTLENS_DATA_DIR"


@dataclass(frozen=True)
class LabelledTexts:
    """Texts with gold label sets (multi-label), in a fixed label order."""

    ids: list[str]
    texts: list[str]
    labels: list[list[str]]
    label_names: list[str]

    def indicator(self) -> np.ndarray:
        """Gold labels as a 0/1 matrix ``[n, len(label_names)]``."""
        index = {name: i for i, name in enumerate(self.label_names)}
        out = np.zeros((len(self.texts), len(self.label_names)), dtype=np.float32)
        for row, labels in enumerate(self.labels):
            for label in labels:
                out[row, index[label]] = 1.0
        return out


@dataclass(frozen=True)
class RatedTexts:
    """Texts with valence, arousal, dominance ratings mapped to [-1, 1]."""

    ids: list[str]
    texts: list[str]
    vad: np.ndarray  # [n, 3]
    skipped: int = 0


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Where the public datasets are: ``explicit``, else ``$AFFECTLENS_DATA_DIR``, else
    ``../shared/data`` when it exists."""
    for candidate, origin in (
        (explicit, "--data-dir"),
        (os.environ.get(ENV_DATA_DIR), f"${ENV_DATA_DIR}"),
    ):
        if candidate:
            path = Path(candidate).expanduser()
            if not path.is_dir():
                raise DatasetError(f"data directory {str(path)!r} (from {origin}) does not exist")
            return path
    default = Path("..") / "shared" / "data"
    if default.is_dir():
        return default
    raise DatasetError(
        "no data directory given",
        hint=f"pass --data-dir DIR or set {ENV_DATA_DIR}; see docs/evaluation.md for the layout",
    )


def _require(path: Path, what: str) -> Path:
    if not path.is_file():
        raise DatasetError(f"{what}: file {str(path)!r} not found", hint="check --data-dir")
    return path


def _check_split(split: str, known: tuple[str, ...], dataset: str) -> None:
    if split not in known:
        raise DatasetError(f"{dataset} has no split {split!r}; splits: {', '.join(known)}")


def read_goemotions(data_dir: Path, split: str) -> LabelledTexts:
    """GoEmotions ``{split}.tsv``: text, comma-separated label ids, comment id (no header).

    Some texts are CSV-quoted with doubled inner quotes, so the file is read as
    tab-separated CSV with ``"`` as the quote character.
    """
    _check_split(split, GOEMOTIONS_SPLITS, "goemotions")
    folder = data_dir / "goemotions"
    names_text = _require(folder / "emotions.txt", "goemotions").read_text(encoding="utf-8")
    names = names_text.split()
    if len(names) != 28:
        raise DatasetError(f"goemotions/emotions.txt lists {len(names)} labels, expected 28")
    ids, texts, labels = [], [], []
    path = _require(folder / f"{split}.tsv", "goemotions")
    with path.open(encoding="utf-8", newline="") as f:
        for line_no, row in enumerate(csv.reader(f, delimiter="\t", quotechar='"'), start=1):
            if len(row) != 3:
                raise DatasetError(f"{path}:{line_no}: expected 3 tab-separated fields")
            text, label_ids, comment_id = row
            try:
                labels.append([names[int(i)] for i in label_ids.split(",")])
            except (ValueError, IndexError) as exc:
                raise DatasetError(f"{path}:{line_no}: bad label ids {label_ids!r}") from exc
            ids.append(comment_id)
            texts.append(text)
    return LabelledTexts(ids, texts, labels, names)


def read_emobank(data_dir: Path, split: str) -> RatedTexts:
    """EmoBank ``emobank.csv`` (id, split, V, A, D, text); ratings 1–5 → ``(x - 3) / 2``.

    Rows with empty text are skipped and counted in ``skipped``.
    """
    _check_split(split, EMOBANK_SPLITS, "emobank")
    path = _require(data_dir / "emobank" / "emobank.csv", "emobank")
    ids, texts, vad, skipped = [], [], [], 0
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        missing = {"id", "split", "V", "A", "D", "text"} - set(reader.fieldnames or ())
        if missing:
            raise DatasetError(f"{path}: missing columns {sorted(missing)}")
        for row in reader:
            if row["split"] != split:
                continue
            if not row["text"].strip():
                skipped += 1
                continue
            ids.append(row["id"])
            texts.append(row["text"])
            vad.append([(float(row[k]) - 3.0) / 2.0 for k in ("V", "A", "D")])
    return RatedTexts(ids, texts, np.asarray(vad, dtype=np.float32), skipped)
