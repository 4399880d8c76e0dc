"""A local causal language model and its hidden states, layer by layer."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from affectlens.errors import InputError, MissingDependencyError

__all__ = ["LocalModel", "load_model"]


@dataclass
class LocalModel:
    """A model, its tokenizer, and where it came from (``source``: a folder or a GGUF file)."""

    model: Any
    tokenizer: Any
    source: Path
    id: str  # the file's name and the first 12 hex digits of its SHA-256 (a folder: its config's)

    @property
    def layers(self) -> Any:
        """The decoder blocks, whose outputs are the residual stream steered and probed."""
        inner = getattr(self.model, "model", self.model)
        blocks = getattr(inner, "layers", None)
        if blocks is None:
            raise InputError(f"{self.source.name}: no decoder layers found (model.model.layers)", hint="a decoder-only model")
        return blocks

    def hidden_states(self, texts: list[str], *, batch: int = 16) -> tuple[np.ndarray, np.ndarray]:
        """Per text and layer (0 = the embeddings), the mean hidden state over the text's tokens,
        ``[n, layers + 1, hidden]``; and per layer the mean norm of a token's hidden state."""
        import torch

        pooled, norms, tokens = [], None, 0
        for start in range(0, len(texts), batch):
            encoded = self.tokenizer(
                texts[start : start + batch], return_tensors="pt", padding=True, truncation=True, max_length=128
            )
            with torch.no_grad():
                states = self.model(**encoded, output_hidden_states=True).hidden_states
            mask = encoded["attention_mask"].unsqueeze(-1).to(states[0].dtype)
            stacked = torch.stack(states, dim=1)  # [b, layers + 1, t, h]
            summed = (stacked * mask.unsqueeze(1)).sum(dim=2)
            pooled.append((summed / mask.sum(dim=1).unsqueeze(1)).float().numpy())
            token_norms = (stacked.norm(dim=-1) * mask.squeeze(-1).unsqueeze(1)).sum(dim=(0, 2))
            norms = token_norms if norms is None else norms + token_norms
            tokens += int(mask.sum())
        return np.concatenate(pooled), (norms / max(tokens, 1)).float().numpy()  # type: ignore[union-attr]


def load_model(path: str | Path, *, threads: int | None = None) -> LocalModel:
    """A transformers model folder, or a ``.gguf`` file (dequantised to float32 by transformers)."""
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:
        raise MissingDependencyError("transformers", "interp", "probing and steering a local model") from exc
    source = Path(path).expanduser()
    if not source.exists():
        raise InputError(f"no model at {str(source)!r}", hint="a transformers model folder or a .gguf file")
    if threads:
        torch.set_num_threads(threads)
    kwargs: dict[str, Any] = {}
    folder = source
    if source.is_file():
        if source.suffix.lower() != ".gguf":
            raise InputError(f"{source.name} is neither a model folder nor a .gguf file")
        try:
            import accelerate  # noqa: F401  (transformers needs it to read GGUF)
            import gguf  # noqa: F401
        except ImportError as exc:
            raise MissingDependencyError("gguf", "interp", "reading a GGUF model") from exc
        folder, kwargs = source.parent, {"gguf_file": source.name}
    tokenizer = AutoTokenizer.from_pretrained(folder, **kwargs)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, **kwargs)
    model.eval()
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "right"  # pooling masks the padding; generation pads nothing (one prompt at a time)
    return LocalModel(model, tokenizer, source, _identity(source))


def _identity(source: Path) -> str:
    target = source if source.is_file() else source / "config.json"
    digest = hashlib.sha256()
    with open(target, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return f"{source.name}@{digest.hexdigest()[:12]}"
