"""Few-shot demonstrations retrieved by embedding similarity from a labelled pool.

The pool is a JSONL file of ``{"text": ..., "labels": [...]}`` rows (labels in any
taxonomy or emotion words; they are shown to the model as written). Texts are embedded
with the embedded backend's encoder (offline), and each text gets its ``k`` nearest
neighbours by cosine similarity.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from affectlens.errors import InputError

__all__ = ["FewShotPool"]


class FewShotPool:
    def __init__(self, path: Path, *, k: int = 4) -> None:
        from affectlens.analyzers.embedded import default_model_dir
        from affectlens.analyzers.encoder import OnnxEncoder
        from affectlens.io.readers import read_records
        from affectlens.io.text import replace_surrogates

        rows = []
        expected = "expected {'text': ..., 'labels': [...]}"
        for record in read_records(str(path), input_format="jsonl", extra=("labels",)):
            labels = (record.extra or {}).get("labels")
            if record.error or not isinstance(labels, list):  # a pool is configuration: it must be right
                problem = record.error or "has no list of labels"
                raise InputError(f"few-shot pool {str(path)!r} line {record.line} {problem}; {expected}")
            rows.append((replace_surrogates(record.text or "")[0], [str(label) for label in labels]))
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
