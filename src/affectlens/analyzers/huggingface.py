"""The ``transformers`` backend: a local Hugging Face model directory (never a hub download).

    affectlens analyze --backend transformers --model-dir ./my-emotion-model "text"
    affectlens.get_analyzer("transformers", model_dir="./my-llm", mode="generation")

- **Sequence classification** (the model's architecture ends in ``ForSequenceClassification``):
  the model's own labels (``id2label``) are normalised into the requested taxonomy through
  the open vocabulary — "furious" counts for anger — and their probabilities (sigmoid for
  multi-label models, softmax otherwise) combine by noisy-OR. Model labels that map to
  nothing are reported when they fire. Texts longer than the model's window are cut, with
  a warning. VAD is the score-weighted mean of the decided labels' anchors.
- **Generation** (any causal language model): the perceive → reason → verify pipeline of the
  openai backend, with the model generating locally (no schema-constrained decoding, so
  malformed answers are asked for again and then reported).

Needs ``pip install 'affectlens[transformers]'`` (torch and transformers).
"""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from affectlens.analyzers.base import AnalyzeOptions, Analyzer
from affectlens.analyzers.openai_backend import run_coroutine
from affectlens.errors import ConfigError, MissingDependencyError, ModelAssetError
from affectlens.llm.client import Usage
from affectlens.llm.pipeline import Context, analyze_texts
from affectlens.llm.strategies import load_strategy
from affectlens.reasoning.calibration import bounded_confidence
from affectlens.reasoning.projection import neutral_apart, sentiment_of
from affectlens.schema import VAD, Analysis, dominant_label
from affectlens.settings import BackendSettings
from affectlens.taxonomy import Taxonomy, map_label

__all__ = ["TransformersAnalyzer"]

Mode = Literal["auto", "classification", "generation"]


def _import() -> tuple[Any, Any]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise MissingDependencyError("transformers", "transformers", "the transformers backend") from exc
    return torch, transformers


class _LocalCompleter:
    """Chat completion by a local causal LM, for :mod:`affectlens.llm.pipeline`."""

    def __init__(self, model: Any, tokenizer: Any, torch: Any, *, max_new_tokens: int, temperature: float) -> None:
        self.model, self.tokenizer, self.torch = model, tokenizer, torch
        self.max_new_tokens, self.temperature = max_new_tokens, temperature
        self.usage = Usage()
        self._lock = threading.Lock()

    def _prompt(self, messages: list[dict[str, str]]) -> str:
        if getattr(self.tokenizer, "chat_template", None):
            return str(self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))
        lines = [f"{m['role'].capitalize()}: {m['content']}" for m in messages]
        return "\n\n".join([*lines, "Assistant:"])

    def _generate(self, prompt: str, sample: int) -> str:
        with self._lock, self.torch.no_grad():
            self.torch.manual_seed(sample)
            inputs = self.tokenizer(prompt, return_tensors="pt")
            pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.tokenizer.eos_token_id
            output = self.model.generate(
                **inputs,
                max_new_tokens=self.max_new_tokens,
                do_sample=self.temperature > 0,
                temperature=self.temperature if self.temperature > 0 else None,
                pad_token_id=pad,
            )
            new = output[0, inputs["input_ids"].shape[1] :]
            self.usage.requests += 1
            self.usage.prompt_tokens += int(inputs["input_ids"].shape[1])
            self.usage.completion_tokens += int(new.shape[0])
            return str(self.tokenizer.decode(new, skip_special_tokens=True))

    async def complete(
        self, messages: list[dict[str, str]], *, stage: str, schema_name: str, schema: dict[str, Any], sample: int = 0
    ) -> str:
        return await asyncio.to_thread(self._generate, self._prompt(messages), sample)


class TransformersSettings(BackendSettings):
    model_dir: Path = Field(description="a local Hugging Face model folder (config.json, weights, tokenizer)")
    mode: Mode = Field("auto", description="classification or generation [default: from the model's architecture]")
    strategy: str = Field("zero-shot", description="prompt strategy for generation (affectlens.llm.strategies)")
    samples: int = Field(1, ge=1, le=20, description="self-consistency: reason this many times")
    temperature: float | None = Field(None, ge=0.0, le=2.0, description="default 0, or 0.7 with samples > 1")
    max_new_tokens: int = Field(400, ge=16)
    parse_retries: int = Field(1, ge=0, le=5)
    batch_size: int = Field(16, ge=1)


class TransformersAnalyzer(Analyzer):
    name = "transformers"
    description = "a local Hugging Face model directory: sequence classification or generation (needs affectlens[transformers])"
    settings_model = TransformersSettings

    def __init__(
        self,
        *,
        model_dir: str | Path,
        mode: Mode = "auto",
        strategy: str = "zero-shot",
        samples: int = 1,
        temperature: float | None = None,
        max_new_tokens: int = 400,
        parse_retries: int = 1,
        batch_size: int = 16,
    ) -> None:
        torch, transformers = _import()
        self.model_dir = Path(model_dir)
        if not (self.model_dir / "config.json").is_file():
            raise ConfigError(f"{str(self.model_dir)!r} is not a Hugging Face model directory (no config.json)")
        try:
            config = transformers.AutoConfig.from_pretrained(self.model_dir, local_files_only=True)
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(self.model_dir, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ModelAssetError(f"cannot load the model in {self.model_dir}: {exc}") from exc
        architectures = getattr(config, "architectures", None) or []
        if mode == "auto":
            mode = "classification" if any(a.endswith("ForSequenceClassification") for a in architectures) else "generation"
        self.mode = mode
        self.torch = torch
        self.batch_size = batch_size
        self.usage = Usage()
        loader = (
            transformers.AutoModelForSequenceClassification if mode == "classification" else transformers.AutoModelForCausalLM
        )
        try:
            self.model = loader.from_pretrained(self.model_dir, local_files_only=True).eval()
        except (OSError, ValueError) as exc:
            raise ModelAssetError(f"cannot load {self.model_dir} as a {mode} model: {exc}") from exc
        if mode == "classification":
            self.model_labels = [str(config.id2label[i]) for i in range(len(config.id2label))]
            self.multi_label = config.problem_type == "multi_label_classification"
            self.max_length = int(getattr(config, "max_position_embeddings", 512))
        else:
            self.strategy = load_strategy(strategy)
            self.samples = samples
            self.parse_retries = parse_retries
            self.completer = _LocalCompleter(
                self.model,
                self.tokenizer,
                torch,
                max_new_tokens=max_new_tokens,
                temperature=temperature if temperature is not None else (0.7 if samples > 1 else 0.0),
            )
            self.usage = self.completer.usage

    @property
    def backend_id(self) -> str:
        detail = "classification" if self.mode == "classification" else self.strategy.id
        return f"transformers/{self.model_dir.name}+{detail}"

    def _analyze_texts(
        self, texts: list[str], ids: list[str | None], options: AnalyzeOptions, taxonomy: Taxonomy
    ) -> list[Analysis]:
        if self.mode == "generation":
            ctx = Context(
                client=self.completer,
                strategy=self.strategy,
                taxonomy=taxonomy,
                samples=self.samples,
                parse_retries=self.parse_retries,
                backend_id=self.backend_id,
            )
            return run_coroutine(analyze_texts(ctx, texts, ids))
        return self._classify(texts, ids, taxonomy)

    def _classify(self, texts: list[str], ids: list[str | None], taxonomy: Taxonomy) -> list[Analysis]:
        targets = [map_label(label, taxonomy).labels for label in self.model_labels]
        matrix = np.zeros((len(self.model_labels), len(taxonomy.names)))
        for i, labels in enumerate(targets):
            for label in labels:
                matrix[i, taxonomy.index(label)] = 1.0
        out: list[Analysis] = []
        for start in range(0, len(texts), self.batch_size):
            chunk = texts[start : start + self.batch_size]
            encoded = self.tokenizer(chunk, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
            with self.torch.no_grad():
                logits = self.model(**encoded).logits.float().numpy()
            probs = 1 / (1 + np.exp(-logits)) if self.multi_label else _softmax(logits)
            full_lengths = [len(ids_) for ids_ in self.tokenizer(chunk, truncation=False)["input_ids"]]
            for row, text in enumerate(chunk):
                out.append(self._analysis(text, ids[start + row], probs[row], matrix, targets, taxonomy, full_lengths[row]))
        return out

    def _analysis(
        self,
        text: str,
        id_: str | None,
        probs: np.ndarray,
        matrix: np.ndarray,
        targets: list[list[str]],
        taxonomy: Taxonomy,
        length: int,
    ) -> Analysis:
        contrib = np.clip(probs[:, None] * matrix, 0.0, 1.0 - 1e-9)
        scores = 1.0 - np.prod(1.0 - contrib, axis=0)
        fired = [i for i, p in enumerate(probs) if p >= 0.5] if self.multi_label else [int(np.argmax(probs))]
        chosen = neutral_apart(sorted({label for i in fired for label in targets[i]}, key=taxonomy.names.index), taxonomy)
        warnings = [
            f"the model's label {self.model_labels[i]!r} maps to nothing in {taxonomy.id} and was ignored"
            for i in fired
            if not targets[i]
        ]
        if length > self.max_length:
            warnings.append(f"text is {length} tokens; the model reads {self.max_length}, so only the start was analysed")
        weights = np.asarray([scores[taxonomy.index(label)] for label in chosen])
        vad = np.zeros(3)
        if chosen:
            vad = np.average([taxonomy.label(label).vad for label in chosen], axis=0, weights=weights)
        confidence = (
            float(np.prod([p if i in fired else 1 - p for i, p in enumerate(probs)])) if self.multi_label else float(probs.max())
        )
        return Analysis(
            id=id_,
            text=text,
            taxonomy=taxonomy.id,
            scores={name: round(float(s), 4) for name, s in zip(taxonomy.names, scores)},
            labels=chosen,
            dominant=dominant_label(dict(zip(taxonomy.names, scores.tolist())), chosen),
            vad=VAD(valence=round(float(vad[0]), 4), arousal=round(float(vad[1]), 4), dominance=round(float(vad[2]), 4)),
            sentiment=sentiment_of(chosen, taxonomy),
            confidence=round(bounded_confidence(confidence), 4),
            backend=self.backend_id,
            warnings=warnings,
        )

    def usage_report(self) -> dict[str, Any]:
        return self.usage.as_dict()


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)
