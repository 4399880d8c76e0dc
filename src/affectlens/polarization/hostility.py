"""The hostility head at run time: the probability that a post insults or attacks a person or a
group, from what the embedded model already computed for it — its sentence vector, its 28
GoEmotions scores and its valence, arousal and dominance — through one logistic regression
(``hostility.npz`` beside the model; trained by ``python -m affectlens.training hostility``,
see :mod:`affectlens.training.hostility`). Swearing among friends, at oneself or at a thing,
and disagreement without an insult are what it was taught to leave alone.

A post is as hostile as its most hostile clause: mean pooling dilutes "It's a hoax, you
brainwashed idiot." with its first clause, so each clause of three words or more (cut at
sentence ends, commas, semicolons and dashes) is also read alone, and the highest
probability counts (:meth:`HostilityHead.score`; the threshold is fitted the same way).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from affectlens.errors import ModelAssetError
from affectlens.schema import Analysis
from affectlens.taxonomy import load_taxonomy

__all__ = ["HostilityHead", "clauses", "hostility_features"]

FILE = "hostility.npz"
_CLAUSE = re.compile(r"[^.!?;,\n\u2014\u2013]+")
_WORD = re.compile(r"\w+")


def clauses(text: str) -> list[str]:
    """The clauses of ``text`` of three words or more, when it has more than one (else [])."""
    parts = [m.group().strip() for m in _CLAUSE.finditer(text)]
    parts = [p for p in parts if len(_WORD.findall(p)) >= 3]
    return parts if len(parts) > 1 else []


def hostility_features(analyses: Sequence[Analysis], vectors: np.ndarray) -> np.ndarray:
    """``[n, hidden + 28 + 3]``: each text's vector, GoEmotions scores and VAD (GoEmotions
    analyses, as :meth:`EmbeddedAnalyzer.analyze_with_vectors` returns them)."""
    names = load_taxonomy("goemotions").names
    extra = np.asarray(
        [[a.scores.get(n, 0.0) for n in names] + [a.vad.valence, a.vad.arousal, a.vad.dominance] for a in analyses],
        dtype=np.float32,
    ).reshape(len(analyses), len(names) + 3)
    return np.hstack([np.asarray(vectors, dtype=np.float32), extra])


@dataclass(frozen=True)
class HostilityHead:
    weight: np.ndarray
    bias: float
    threshold: float

    @classmethod
    def load(cls, model_dir: Path) -> HostilityHead | None:
        """The head beside a model, or None for a model folder built without one."""
        path = model_dir / FILE
        if not path.exists():
            return None
        try:
            with np.load(path) as f:
                return cls(np.asarray(f["weight"], dtype=np.float32), float(f["bias"]), float(f["threshold"]))
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:  # a truncated or foreign file
            raise ModelAssetError(f"cannot load the hostility head {path}: {exc}") from exc

    def score(self, analyzer: Any, texts: Sequence[str], analyses: Sequence[Analysis], vectors: np.ndarray) -> np.ndarray:
        """Per text: the highest probability of the whole text and of each of its :func:`clauses`
        (``analyses`` and ``vectors`` of the whole texts, from ``analyzer.analyze_with_vectors``
        with the GoEmotions taxonomy; the clauses take one more pass)."""
        from affectlens.analyzers.base import AnalyzeOptions

        out = self.probability(hostility_features(analyses, vectors))
        pieces: list[str] = []
        owner: list[int] = []
        for k, text in enumerate(texts):
            parts = clauses(text)
            pieces += parts
            owner += [k] * len(parts)
        if pieces:
            more, more_vectors = analyzer.analyze_with_vectors(pieces, options=AnalyzeOptions(taxonomy="goemotions"))
            np.maximum.at(out, np.asarray(owner), self.probability(hostility_features(more, more_vectors)))
        return out

    def probability(self, features: np.ndarray) -> np.ndarray:
        if features.shape[1] != self.weight.shape[0]:
            raise ValueError(f"the hostility head reads {self.weight.shape[0]} features, got {features.shape[1]}")
        return 1.0 / (1.0 + np.exp(-(features.astype(np.float64) @ self.weight + self.bias)))
