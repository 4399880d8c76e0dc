"""The shipped conversation model: per-turn Ekman emotions read with the preceding turns.

Files (``assets/minilm-meld-context-v1``): ``encoder.onnx`` (int8), ``heads.npz`` (the
7-way head), ``calibration.json`` (a softmax temperature fitted on MELD dev) and
``MANIFEST.json``. The tokenizer and word-embedding table are the embedded model's (the
word embeddings stayed frozen in training), found through the manifest's ``vocab_from``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from affectlens.analyzers.embedded import verify_assets
from affectlens.analyzers.encoder import OnnxEncoder
from affectlens.conversation.context import context_input
from affectlens.conversation.schema import MELD_LABELS
from affectlens.errors import ModelAssetError

__all__ = ["CONTEXT_MODEL", "ContextModel", "softmax"]

CONTEXT_MODEL = "minilm-meld-context-v1"


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _asset(name: str) -> Path:
    return Path(str(resources.files("affectlens") / "assets" / name))


class ContextModel:
    """Calibrated probabilities over :data:`MELD_LABELS` for every turn of a conversation."""

    labels = MELD_LABELS

    def __init__(self, model_dir: str | Path | None = None, *, threads: int | None = None, head: Path | None = None) -> None:
        """``head``: another head over the same encoder (a locally built ``.npz``), uncalibrated."""
        self.model_dir = Path(model_dir) if model_dir is not None else _asset(CONTEXT_MODEL)
        self.manifest = verify_assets(self.model_dir)
        vocab_dir = self.model_dir / self.manifest["vocab_from"] if self.manifest.get("vocab_from") else None
        self.encoder = OnnxEncoder(self.model_dir, threads=threads, vocab_dir=vocab_dir)
        try:
            heads = np.load(head or self.model_dir / "heads.npz")
            self._w, self._b = heads["emotion_w"], heads["emotion_b"]
            calibration = json.loads((self.model_dir / "calibration.json").read_text())
            self.temperature = 1.0 if head else float(calibration["temperature"])
        except (OSError, KeyError, ValueError) as exc:
            raise ModelAssetError(f"cannot load the conversation model heads ({head or self.model_dir}): {exc}") from exc
        self.head_name = head.stem if head else None
        self.context_turns = int(self.manifest.get("context_turns", 3))

    @property
    def model_id(self) -> str:
        model = f"{self.manifest['name']}@{self.manifest['version']}"
        return f"{model}+{self.head_name}" if self.head_name else model

    def inputs(self, texts: Sequence[str], parents: Sequence[int | None] | None = None) -> list[str]:
        """Each turn with the turns it answers (``parents``; default, the turns before)."""
        return [
            context_input(texts, i, count_tokens=self.encoder.count_tokens, turns=self.context_turns, parents=parents)
            for i in range(len(texts))
        ]

    def pooled(self, inputs: Sequence[str]) -> np.ndarray:
        """One vector per input (windows of an over-long turn averaged)."""
        return (
            np.stack([e.pooled.mean(axis=0) for e in self.encoder.encode(inputs)])
            if inputs
            else np.zeros((0, self.encoder.hidden))
        )

    def logits(self, texts: Sequence[str], parents: Sequence[int | None] | None = None) -> np.ndarray:
        return self.pooled(self.inputs(texts, parents)) @ self._w + self._b

    def probabilities(self, texts: Sequence[str], parents: Sequence[int | None] | None = None) -> np.ndarray:
        """``[turns, 7]`` calibrated probabilities for the turns of one conversation, in order."""
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        return softmax(self.logits(texts, parents), self.temperature)

    def info(self) -> dict[str, Any]:
        return {"model": self.model_id, "labels": list(self.labels), "scores": self.manifest.get("scores", {})}
