"""The default backend: a fine-tuned MiniLM encoder with linear heads, fully offline.

The model directory (shipped under ``affectlens/assets``) holds the encoder files (see
:mod:`affectlens.analyzers.encoder`), ``heads.npz`` (emotion and VAD heads),
``calibration.json`` (fitted on dev splits) and ``MANIFEST.json`` (what data, command and
commit produced it, what it scores, and every file's size and sha256).

Scores: each window of a text is mean-pooled and scored by the linear heads; a text's
emotion logit is the maximum over its windows (an emotion anywhere in the text is in the
text), its VAD the token-weighted mean over windows.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from affectlens.analyzers.base import AnalyzeOptions, Analyzer
from affectlens.analyzers.encoder import EncodedText, OnnxEncoder
from affectlens.errors import ModelAssetError
from affectlens.reasoning.calibration import TaxonomyCalibration
from affectlens.reasoning.projection import TaxonomyProjector
from affectlens.schema import VAD, Analysis
from affectlens.taxonomy import Taxonomy, load_taxonomy

__all__ = ["DEFAULT_MODEL", "EmbeddedAnalyzer", "RawOutputs", "default_model_dir", "verify_assets"]

DEFAULT_MODEL = "minilm-goemotions-v1"


def default_model_dir() -> Path:
    return Path(str(resources.files("affectlens") / "assets" / DEFAULT_MODEL))


def _read_manifest(model_dir: Path) -> dict[str, Any]:
    path = model_dir / "MANIFEST.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelAssetError(
            f"no model manifest at {path}", hint="reinstall affectlens, or rebuild the model (docs/training.md)"
        ) from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelAssetError(f"cannot read the model manifest {path}: {exc}") from exc


def verify_assets(model_dir: Path, *, checksums: bool = False) -> dict[str, Any]:
    """Check every file listed in the manifest exists with its size (and sha256 if asked)."""
    manifest = _read_manifest(model_dir)
    for name, meta in manifest["files"].items():
        path = model_dir / name
        if not path.is_file():
            raise ModelAssetError(f"model file {path} is missing", hint="reinstall affectlens")
        if path.stat().st_size != meta["bytes"]:
            raise ModelAssetError(
                f"model file {path} has {path.stat().st_size} bytes, the manifest says {meta['bytes']}",
                hint="the file is damaged or a placeholder (e.g. a Git LFS pointer); reinstall affectlens",
            )
        if checksums and hashlib.sha256(path.read_bytes()).hexdigest() != meta["sha256"]:
            raise ModelAssetError(f"model file {path} does not match its sha256 in the manifest")
    return manifest


@dataclass
class RawOutputs:
    """Uncalibrated model outputs for a batch: emotion logits ``[n, 28]``, VAD ``[n, 3]``."""

    logits: np.ndarray
    vad: np.ndarray
    encoded: list[EncodedText]


class EmbeddedAnalyzer(Analyzer):
    """Offline emotions, VAD and sentiment from the model shipped with affectlens."""

    name = "embedded"
    description = "fine-tuned MiniLM encoder + linear heads, onnxruntime int8, offline (default)"

    def __init__(self, *, model_dir: str | Path | None = None, threads: int | None = None, batch_size: int = 64) -> None:
        self.model_dir = Path(model_dir) if model_dir is not None else default_model_dir()
        self.manifest = verify_assets(self.model_dir)
        self.encoder = OnnxEncoder(self.model_dir, threads=threads, batch_size=batch_size)
        try:
            heads = np.load(self.model_dir / "heads.npz")
            self._emotion_w, self._emotion_b = heads["emotion_w"], heads["emotion_b"]
            self._vad_w, self._vad_b = heads["vad_w"], heads["vad_b"]
            calibration = json.loads((self.model_dir / "calibration.json").read_text(encoding="utf-8"))
            self.native_taxonomy = load_taxonomy(self.manifest["native_taxonomy"])
            self.projector = TaxonomyProjector(
                self.native_taxonomy,
                {name: TaxonomyCalibration.from_json(c) for name, c in calibration["taxonomies"].items()},
            )
        except (OSError, KeyError, ValueError) as exc:
            raise ModelAssetError(f"cannot load the embedded model heads from {self.model_dir}: {exc}") from exc

    @property
    def backend_id(self) -> str:
        return f"embedded/{self.manifest['name']}@{self.manifest['version']}"

    def predict_raw(self, texts: list[str]) -> RawOutputs:
        """Uncalibrated logits and VAD (what calibration is fitted on)."""
        encoded = self.encoder.encode(texts)
        logits = np.empty((len(texts), self._emotion_w.shape[1]), dtype=np.float32)
        vad = np.empty((len(texts), 3), dtype=np.float32)
        for i, enc in enumerate(encoded):
            window_logits = enc.pooled @ self._emotion_w + self._emotion_b
            window_vad = enc.pooled @ self._vad_w + self._vad_b
            sizes = np.asarray([b - a + 2 for a, b in enc.windows], dtype=np.float32)
            logits[i] = window_logits.max(axis=0)
            vad[i] = (window_vad * sizes[:, None]).sum(axis=0) / sizes.sum()
        return RawOutputs(logits, np.clip(vad, -1.0, 1.0), encoded)

    def _analyze_texts(
        self, texts: list[str], ids: list[str | None], options: AnalyzeOptions, taxonomy: Taxonomy
    ) -> list[Analysis]:
        raw = self.predict_raw(texts)
        native = self.projector.from_logits(raw.logits)
        decisions = self.projector.project(native, taxonomy)
        sentiments = self.projector.sentiment(native)
        out = []
        for i, text in enumerate(texts):
            scores = decisions.scores[i]
            warnings = []
            enc = raw.encoded[i]
            if len(enc.windows) > 1:
                warnings.append(
                    f"text is {enc.n_tokens} tokens, longer than the encoder's {self.encoder.window}-token "
                    f"window: analysed in {len(enc.windows)} overlapping windows (emotion scores are the "
                    "maximum over windows, VAD the average)"
                )
            out.append(
                Analysis(
                    id=ids[i],
                    text=text,
                    taxonomy=taxonomy.id,
                    scores={name: round(float(s), 4) for name, s in zip(taxonomy.names, scores)},
                    labels=decisions.labels(i),
                    dominant=taxonomy.names[int(scores.argmax())],
                    vad=VAD(**{k: round(float(v), 4) for k, v in zip(("valence", "arousal", "dominance"), raw.vad[i])}),
                    sentiment=sentiments[i],
                    confidence=round(float(decisions.confidence[i]), 4),
                    backend=self.backend_id,
                    warnings=warnings,
                )
            )
        return out

    def info(self) -> dict[str, Any]:
        return {
            **super().info(),
            "model_dir": str(self.model_dir),
            "native_taxonomy": self.native_taxonomy.id,
            "scores": self.manifest.get("scores", {}),
        }
