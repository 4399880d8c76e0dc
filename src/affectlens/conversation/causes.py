"""Emotion causes: which turns (the turn itself included) cause an emotional turn.

This is causal emotion entailment as RECCON defines it: for an effect turn *t* with an
emotion, every turn *j* ≤ *t* is a candidate, and a cause when the annotators marked it. In a
reply thread the candidates are the turn and the posts it answers, up the thread (a sibling
branch cannot have caused it).

Two scorers, one interface:

- :class:`TrainedCauses` — logistic regression over features of each (effect, candidate)
  pair: distance (self, 1, 2, 3+ turns back along the replies), same speaker, the cosine similarity of the two
  turns' sentence vectors, the candidate's emotion probability and valence, the valence gap,
  whether the candidate opens the conversation, and the effect's emotion. It is trained on
  RECCON train only (C and the threshold chosen on RECCON valid). RECCON's text is
  DailyDialog's (non-commercial), so the model is not shipped: ``affectlens conversation
  build --data-dir DIR`` trains it into the local model folder.
- :class:`PositionalCauses` — the rule used until then: the turn itself and the turn before
  it are causes, with fixed scores (no training data at all).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from affectlens.conversation.tree import ancestors, linear_parents
from affectlens.errors import ModelAssetError

__all__ = [
    "CAUSE_MODEL_FILE",
    "CAUSE_WINDOW",
    "DAILYDIALOG_HEAD_FILE",
    "CandidateFeatures",
    "PositionalCauses",
    "TrainedCauses",
    "cause_features",
    "load_cause_model",
    "local_model_dir",
    "train_causes",
]

CAUSE_MODEL_FILE = "reccon-causes-v1.json"
DAILYDIALOG_HEAD_FILE = "dailydialog-head-v1.npz"  # the DailyDialog head (:mod:`affectlens.evaluation.conversation_models`)
CAUSE_WINDOW = 10  # `analyze` looks this many turns back for causes (RECCON evaluation looks at all)
EMOTIONS = ("joy", "surprise", "anger", "sadness", "disgust", "fear")
FEATURES = (
    "self",
    "back_1",
    "back_2",
    "back_3_plus",
    "same_speaker",
    "cosine",
    "candidate_emotional",
    "candidate_valence",
    "valence_gap",
    "first_turn",
    *(f"effect_{e}" for e in EMOTIONS),
)


def local_model_dir() -> Path:
    """Where locally built models live: ``$AFFECTLENS_MODEL_DIR``, else the user data folder."""
    if os.environ.get("AFFECTLENS_MODEL_DIR"):
        return Path(os.environ["AFFECTLENS_MODEL_DIR"]).expanduser()
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "affectlens" / "models"


@dataclass
class CandidateFeatures:
    pairs: list[tuple[int, int]]  # (effect turn, candidate turn)
    x: np.ndarray  # [pairs, len(FEATURES)]


def cause_features(
    effects: Sequence[int],
    effect_labels: Sequence[str],
    speakers: Sequence[str],
    vectors: np.ndarray,
    emotional: np.ndarray,
    valence: np.ndarray,
    *,
    max_back: int | None = None,
    parents: Sequence[int | None] | None = None,
) -> CandidateFeatures:
    """Features of every (effect, candidate) pair: the effect turn itself and the turns it
    answers (``parents``, :mod:`affectlens.conversation.tree`; default, every turn before
    it), at most ``max_back`` turns back along that chain when given. "Back" counts links.

    ``vectors`` ``[n, d]``: the turns' sentence vectors; ``emotional`` ``[n]``: each turn's
    probability of carrying an emotion (1 − P(neutral)); ``valence`` ``[n]``.
    """
    links = parents if parents is not None else linear_parents(len(speakers))
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    speaker_ids = np.unique(np.asarray(speakers, dtype=object), return_inverse=True)[1] if len(speakers) else np.zeros(0, int)
    emotional, valence = np.asarray(emotional, dtype=np.float64), np.asarray(valence, dtype=np.float64)
    pairs: list[tuple[int, int]] = []
    blocks = []
    for t, label in zip(effects, effect_labels):
        chain = [t, *itertools.islice(ancestors(links, t), max_back)]
        j, back = np.asarray(chain[::-1]), np.arange(len(chain))[::-1]
        block = np.empty((len(j), len(FEATURES)))
        block[:, 0], block[:, 1], block[:, 2], block[:, 3] = back == 0, back == 1, back == 2, back >= 3
        block[:, 4] = speaker_ids[j] == speaker_ids[t]
        block[:, 5] = unit[j] @ unit[t]
        block[:, 6], block[:, 7] = emotional[j], valence[j]
        block[:, 8] = np.abs(valence[t] - valence[j])
        block[:, 9] = [links[k] is None for k in j]  # the turn that opens the conversation (or its thread)
        block[:, 10:] = np.asarray([label == e for e in EMOTIONS], dtype=np.float64)
        blocks.append(block)
        pairs.extend((t, int(k)) for k in j)
    x = np.concatenate(blocks) if blocks else np.zeros((0, len(FEATURES)))
    return CandidateFeatures(pairs, x)


class PositionalCauses:
    """The turn itself and the one before it; no learning."""

    id = "positional-rule@1"
    threshold = 0.5
    by_distance = (0.9, 0.6, 0.3)  # the turn itself, one back, two back; older turns 0.1

    def scores(self, features: CandidateFeatures) -> np.ndarray:
        near = features.x[:, :3]  # self, one back, two back (one-hot; all zero further back)
        return near @ np.asarray(self.by_distance) + 0.1 * (near.sum(axis=1) == 0)


class TrainedCauses:
    """Logistic regression over :data:`FEATURES` (weights in a JSON file)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        if spec.get("features") != list(FEATURES):
            raise ModelAssetError("the cause model was built for other features", hint="rebuild: affectlens conversation build")
        self.spec = spec
        self.id = f"{spec['name']}@{spec['version']}"
        self.threshold = float(spec["threshold"])
        self._mean, self._std = np.asarray(spec["mean"]), np.asarray(spec["std"])
        self._w, self._b = np.asarray(spec["weights"]), float(spec["bias"])

    def scores(self, features: CandidateFeatures) -> np.ndarray:
        z = ((features.x - self._mean) / self._std) @ self._w + self._b
        return 1.0 / (1.0 + np.exp(-z))


def load_cause_model(directory: Path | None = None) -> TrainedCauses | PositionalCauses:
    path = (directory or local_model_dir()) / CAUSE_MODEL_FILE
    if not path.is_file():
        return PositionalCauses()
    try:
        return TrainedCauses(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError) as exc:
        raise ModelAssetError(
            f"cannot read the cause model {path}: {exc}", hint="rebuild: affectlens conversation build"
        ) from exc


def cee_scores(gold: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Causal emotion entailment metrics: F1 of the cause class, of the non-cause class, their mean."""

    def f1(g: np.ndarray, p: np.ndarray) -> float:
        tp, fp, fn = float((g & p).sum()), float((~g & p).sum()), float((g & ~p).sum())
        return 2 * tp / (2 * tp + fp + fn) if tp else 0.0

    gold, pred = gold.astype(bool), pred.astype(bool)
    pos, neg = f1(gold, pred), f1(~gold, ~pred)
    return {"pos_f1": round(pos, 4), "neg_f1": round(neg, 4), "macro_f1": round((pos + neg) / 2, 4)}


def train_causes(train: CandidateFeatures, y_train: np.ndarray, valid: CandidateFeatures, y_valid: np.ndarray) -> dict[str, Any]:
    """Fit the logistic regression; choose C and the threshold by macro-F1 on ``valid``."""
    from sklearn.linear_model import LogisticRegression

    mean, std = train.x.mean(axis=0), np.maximum(train.x.std(axis=0), 1e-6)
    best: dict[str, Any] | None = None
    for c in (0.01, 0.1, 1.0, 10.0):
        model = LogisticRegression(C=c, max_iter=2000).fit((train.x - mean) / std, y_train)
        p = model.predict_proba((valid.x - mean) / std)[:, 1]
        for threshold in np.linspace(0.2, 0.8, 25):
            score = cee_scores(y_valid, p >= threshold)["macro_f1"]
            if best is None or score > best["valid_macro_f1"]:
                best = {
                    "C": c,
                    "threshold": round(float(threshold), 4),
                    "valid_macro_f1": score,
                    "weights": model.coef_[0].tolist(),
                    "bias": float(model.intercept_[0]),
                }
    assert best is not None
    return {
        "name": "reccon-causes",
        "version": 1,
        "features": list(FEATURES),
        "mean": mean.tolist(),
        "std": std.tolist(),
        **best,
        "trained_on": "RECCON (DailyDialog) train; C and threshold chosen on RECCON valid",
        "built_at": dt.date.today().isoformat(),
    }
