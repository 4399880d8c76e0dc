"""Few-shot demonstrations retrieved by embedding similarity from a labelled pool.

The pool is a JSONL file of ``{"text": ..., "labels": [...]}`` rows (labels in any
taxonomy or emotion words; they are shown to the model as written). Texts are embedded
with the embedded backend's encoder (offline), and each text gets its ``k`` nearest
neighbours by cosine similarity.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from affectlens.errors import InputError

__all__ = ["FewShotPool"]


class FewShotPool:
    def __init__(self, path: Path, *, k: int = 4) -> None:
        from affectlens.analyzers.embedded import default_model_dir
        from affectlens.analyzers.encoder import OnnxEncoder

        rows = []
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise InputError(f"cannot read the few-shot pool {str(path)!r}: {exc.strerror}") from exc
        for n, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                rows.append((str(row["text"]), [str(label) for label in row["labels"]]))
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise InputError(f"few-shot pool {str(path)!r} line {n}: expected {{'text': ..., 'labels': [...]}}") from exc
        if not rows:
            raise InputError(f"the few-shot pool {str(path)!r} is empty")
        self.rows = rows
        self.k = min(k, len(rows))
        self._encoder = OnnxEncoder(default_model_dir())
        self._vectors = self._embed([t for t, _ in rows])

    def _embed(self, texts: list[str]) -> np.ndarray:
        vectors = np.stack([e.pooled.mean(axis=0) for e in self._encoder.encode(texts)])
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)

    def __call__(self, text: str) -> list[tuple[str, list[str]]]:
        similarity = self._vectors @ self._embed([text])[0]
        best = np.argsort(-similarity)[: self.k]
        return [self.rows[i] for i in best if self.rows[i][0] != text]
