"""The sentence encoder of the embedded backend, run with onnxruntime (no torch).

Files in the model directory:

- ``tokenizer.json`` — the WordPiece tokenizer of all-MiniLM-L6-v2;
- ``embeddings.npz`` — the word-embedding table as int8 with one scale per row;
- ``encoder.onnx`` — the transformer (int8 MatMul weights, per channel), taking
  ``inputs_embeds`` and ``attention_mask`` and returning every token's hidden state.

The word-embedding lookup happens here in numpy, so the quantised table stays small and
the graph only holds the transformer. Texts longer than the window are cut into
overlapping windows; each window is encoded on its own and mean-pooled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from affectlens.analyzers.textview import model_view
from affectlens.errors import ModelAssetError

__all__ = ["EncodedText", "OnnxEncoder", "window_spans"]


@dataclass
class EncodedText:
    """One text, encoded: token character offsets, windows, pooled vectors per window."""

    offsets: list[tuple[int, int]]  # span of each content token in the original text
    windows: list[tuple[int, int]]  # content-token range [start, end) of each window
    pooled: np.ndarray  # [n_windows, hidden] mean of the window's token states
    states: list[np.ndarray] | None = None  # per window [2 + tokens, hidden], when kept

    @property
    def n_tokens(self) -> int:
        return len(self.offsets)


def window_spans(n_tokens: int, size: int, stride: int) -> list[tuple[int, int]]:
    """Content-token ranges covering ``n_tokens`` with windows of ``size`` every ``stride``.

    >>> window_spans(10, 126, 96)
    [(0, 10)]
    >>> window_spans(300, 126, 96)
    [(0, 126), (96, 222), (174, 300)]
    """
    if n_tokens <= size:
        return [(0, n_tokens)]
    spans, start = [], 0
    while start + size < n_tokens:
        spans.append((start, start + size))
        start += stride
    spans.append((n_tokens - size, n_tokens))
    return spans


class OnnxEncoder:
    """Encodes texts into mean-pooled vectors (and, on request, token states)."""

    max_tokens = 128  # the window, special tokens included

    def __init__(
        self,
        model_dir: Path,
        *,
        threads: int | None = None,
        batch_size: int = 64,
        vocab_dir: Path | None = None,
        spinning: bool = False,
    ) -> None:
        """``vocab_dir``: where ``tokenizer.json`` and ``embeddings.npz`` are, when another
        model's (a model fine-tuned with the word embeddings frozen shares them)."""
        from tokenizers import Tokenizer

        from affectlens.analyzers.session import int8_session

        vocab_dir = vocab_dir or model_dir
        try:
            self._tokenizer = Tokenizer.from_file(str(vocab_dir / "tokenizer.json"))
            table = np.load(vocab_dir / "embeddings.npz")
            self._table, self._scale = table["q"], table["scale"].astype(np.float32)
            self._session = int8_session(model_dir / "encoder.onnx", threads=threads, spinning=spinning)
        except Exception as exc:  # tokenizers and onnxruntime raise their own plain types
            raise ModelAssetError(f"cannot load the embedded model from {model_dir}: {exc}") from exc
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        self._cls = self._tokenizer.token_to_id("[CLS]")
        self._sep = self._tokenizer.token_to_id("[SEP]")
        self.batch_size = batch_size
        self.hidden = int(self._table.shape[1])
        self.window = self.max_tokens - 2
        self.stride = self.window - 30

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(model_view(text).text, add_special_tokens=False).ids)

    def encode(self, texts: Sequence[str], *, keep_states: bool = False) -> list[EncodedText]:
        """Encode ``texts``; windows of all texts are batched together, shortest first."""
        views = [model_view(t) for t in texts]
        encodings = self._tokenizer.encode_batch([v.text for v in views], add_special_tokens=False)
        results: list[EncodedText] = []
        sequences: list[tuple[int, int, list[int]]] = []  # (text, window, content ids)
        for i, (view, enc) in enumerate(zip(views, encodings)):
            spans = window_spans(len(enc.ids), self.window, self.stride)
            results.append(
                EncodedText(
                    offsets=[view.to_original(a, b) for a, b in enc.offsets],
                    windows=spans,
                    pooled=np.empty((len(spans), self.hidden), dtype=np.float32),
                    states=[np.empty(0)] * len(spans) if keep_states else None,
                )
            )
            sequences.extend((i, w, enc.ids[a:b]) for w, (a, b) in enumerate(spans))
        order = sorted(range(len(sequences)), key=lambda k: len(sequences[k][2]))
        for start in range(0, len(order), self.batch_size):
            batch = [sequences[k] for k in order[start : start + self.batch_size]]
            states, mask = self._run([ids for _, _, ids in batch])
            pooled = (states * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
            for row, (i, w, ids) in enumerate(batch):
                results[i].pooled[w] = pooled[row]
                if keep_states:
                    assert results[i].states is not None
                    results[i].states[w] = states[row, : len(ids) + 2].copy()
        return results

    def _run(self, batch: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        width = max(len(ids) for ids in batch) + 2
        ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.float32)
        for row, content in enumerate(batch):
            n = len(content)
            ids[row, 0], ids[row, 1 : n + 1], ids[row, n + 1] = self._cls, content, self._sep
            mask[row, : n + 2] = 1.0
        embeds = self._table[ids].astype(np.float32) * self._scale[ids][..., None]
        (states,) = self._session.run(["last_hidden_state"], {"inputs_embeds": embeds, "attention_mask": mask.astype(np.int64)})
        return states, mask
