"""FER-2013 (Goodfellow et al. 2013): 48×48 grey face crops, one of seven labels each.

Staged as ``fer2013/{dev,test}/<class>/*.jpg`` (PublicTest as dev, PrivateTest as test; see its
SOURCE.txt). No licence is stated: evaluation and calibration only, never training data for
shipped weights. The folder names are FER-2013's classes; gold is given in Ekman labels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from affectlens.errors import DatasetError
from affectlens.evaluation.datasets import DatasetSpec, EvalData

__all__ = ["FER2013", "FER_FOLDERS", "load_fer2013"]

#: FER-2013 class folder -> Ekman label (the model's output order)
FER_FOLDERS = {
    "angry": "anger",
    "disgust": "disgust",
    "fear": "fear",
    "happy": "joy",
    "sad": "sadness",
    "surprise": "surprise",
    "neutral": "neutral",
}


def load_fer2013(data_dir: Path, split: str) -> EvalData:
    """``texts`` are the image paths (sorted), ``ids`` their names, ``gold`` one-hot in Ekman order."""
    root = data_dir / "fer2013" / split
    if not root.is_dir():
        raise DatasetError(f"FER-2013 {split} not found at {str(root)!r}", hint="see ../shared/data/fer2013/SOURCE.txt")
    labels = list(FER_FOLDERS.values())
    paths, rows = [], []
    for folder, label in FER_FOLDERS.items():
        for path in sorted((root / folder).glob("*.jpg")):
            paths.append(path)
            rows.append(labels.index(label))
    if not paths:
        raise DatasetError(f"no images under {str(root)!r}")
    gold = np.zeros((len(paths), len(labels)), dtype=bool)
    gold[np.arange(len(paths)), rows] = True
    return EvalData(
        ids=[f"{p.parent.name}/{p.name}" for p in paths], texts=[str(p) for p in paths], label_names=labels, gold=gold
    )


FER2013 = DatasetSpec(
    name="fer2013",
    version=1,
    kind="faces",
    taxonomy="ekman",
    splits=("dev", "test"),
    licence="none stated (evaluation only)",
    citation="Goodfellow et al. (2013), Challenges in Representation Learning, ICML workshop",
    description="FER-2013 face crops (PublicTest = dev, PrivateTest = test), 7 classes",
    loader=load_fer2013,
)
