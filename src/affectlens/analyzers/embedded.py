"""The default backend: a fine-tuned MiniLM encoder with linear heads, fully offline.

The model directory (shipped under ``affectlens/assets``) holds the encoder files (see
:mod:`affectlens.analyzers.encoder`), ``heads.npz`` (emotion and VAD heads),
``calibration.json`` (fitted on dev splits) and ``MANIFEST.json`` (what data, command and
commit produced it, what it scores, and every file's size and sha256).

Scores: each window of a text is mean-pooled and scored by the linear heads; a text's
emotion logit is the maximum over its windows (an emotion anywhere in the text is in the
text), its VAD the token-weighted mean over windows. VAD intervals are split-conformal,
fitted on EmoBank dev.

A text that is not English (:mod:`affectlens.reasoning.language`) gets a warning and a
lower ``confidence``.

Evidence (``explain=True``): a label's logit is a sum over the tokens of its best window,
``Σ_i (h_i · w) / n + b``; those per-token terms propose phrases, and a phrase is kept only
if deleting it from the text lowers the label's calibrated probability
(:mod:`affectlens.reasoning.evidence`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field

from affectlens.analyzers.base import EMPTY_WARNING, AnalyzeOptions, Analyzer
from affectlens.analyzers.encoder import EncodedText, OnnxEncoder
from affectlens.errors import ModelAssetError
from affectlens.reasoning.calibration import TaxonomyCalibration
from affectlens.reasoning.conformal import DIMENSIONS, ConformalVAD
from affectlens.reasoning.evidence import phrase_candidates, verify
from affectlens.reasoning.language import language_adjusted
from affectlens.reasoning.projection import Decisions, TaxonomyProjector
from affectlens.reasoning.rationale import rationale
from affectlens.schema import VAD, Analysis, Evidence
from affectlens.settings import BackendSettings
from affectlens.taxonomy import Taxonomy, load_taxonomy, mapping_matrix

__all__ = ["DEFAULT_MODEL", "EmbeddedAnalyzer", "EmbeddedSettings", "RawOutputs", "default_model_dir", "verify_assets"]

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


class EmbeddedSettings(BackendSettings):
    model_dir: Path | None = Field(None, description="a model folder of the same layout [default: the shipped model]")
    threads: int | None = Field(None, ge=1, description="onnxruntime intra-op threads [default: all cores in one process]")
    batch_size: int = Field(64, ge=1, le=4096, description="texts per forward pass (results do not depend on it)")
    spinning: bool = Field(
        False, description="let idle onnxruntime threads spin: ~15% faster on a quiet machine, much slower on a busy one"
    )


class EmbeddedAnalyzer(Analyzer):
    """Offline emotions, VAD and sentiment from the model shipped with affectlens."""

    name = "embedded"
    description = "fine-tuned MiniLM encoder + linear heads, onnxruntime int8, offline (default)"
    settings_model = EmbeddedSettings
    cpu_bound = True

    def __init__(
        self, *, model_dir: str | Path | None = None, threads: int | None = None, batch_size: int = 64, spinning: bool = False
    ) -> None:
        self.model_dir = Path(model_dir) if model_dir is not None else default_model_dir()
        self.manifest = verify_assets(self.model_dir)
        self.encoder = OnnxEncoder(self.model_dir, threads=threads, batch_size=batch_size, spinning=spinning)
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
            conformal = calibration.get("vad_conformal")
            self.conformal = ConformalVAD.from_json(conformal) if conformal else None
        except (OSError, KeyError, ValueError) as exc:
            raise ModelAssetError(f"cannot load the embedded model heads from {self.model_dir}: {exc}") from exc

    @property
    def backend_id(self) -> str:
        return f"embedded/{self.manifest['name']}@{self.manifest['version']}"

    def predict_raw(self, texts: list[str], *, keep_states: bool = False) -> RawOutputs:
        """Uncalibrated logits and VAD (what calibration is fitted on)."""
        encoded = self.encoder.encode(texts, keep_states=keep_states)
        logits = np.empty((len(texts), self._emotion_w.shape[1]), dtype=np.float32)
        vad = np.empty((len(texts), 3), dtype=np.float32)
        for i, enc in enumerate(encoded):
            window_logits = enc.pooled @ self._emotion_w + self._emotion_b
            window_vad = enc.pooled @ self._vad_w + self._vad_b
            sizes = np.asarray([b - a + 2 for a, b in enc.windows], dtype=np.float32)
            logits[i] = window_logits.max(axis=0)
            vad[i] = (window_vad * sizes[:, None]).sum(axis=0) / sizes.sum()
        return RawOutputs(logits, np.clip(vad, -1.0, 1.0), encoded)

    def native_probabilities(self, texts: list[str]) -> np.ndarray:
        """Calibrated native-taxonomy probabilities ``[n, labels]`` (used for occlusion)."""
        return self.projector.from_logits(self.predict_raw(texts).logits).scores

    def analyze_with_vectors(
        self, texts: list[str], *, options: AnalyzeOptions | None = None, **overrides: Any
    ) -> tuple[list[Analysis], np.ndarray]:
        """:meth:`analyze_batch`, and each text's sentence vector (the mean of its windows'
        pooled states; zeros for an empty text) from the same encoder pass."""
        self._vectors: list[np.ndarray] | None = []
        try:
            analyses = self.analyze_batch(texts, options=options, **overrides)
            captured = self._vectors
        finally:
            self._vectors = None
        vectors = np.zeros((len(texts), self.encoder.hidden), dtype=np.float32)
        analysed = [n for n, a in enumerate(analyses) if EMPTY_WARNING not in a.warnings]
        if analysed:
            vectors[analysed] = np.concatenate(captured)
        return analyses, vectors

    def _analyze_texts(
        self, texts: list[str], ids: list[str | None], options: AnalyzeOptions, taxonomy: Taxonomy
    ) -> list[Analysis]:
        raw = self.predict_raw(texts, keep_states=options.explain)
        if getattr(self, "_vectors", None) is not None:
            self._vectors.append(np.stack([e.pooled.mean(axis=0) for e in raw.encoded]))  # type: ignore[union-attr]
        native = self.projector.from_logits(raw.logits)
        decisions = self.projector.project(native, taxonomy)
        sentiments = self.projector.sentiment(native)
        vads = raw.vad.astype(np.float64).round(4)
        intervals = self.conformal.intervals(vads, options.vad_coverage) if self.conformal else None
        evidence = self._evidence(texts, raw, native, decisions) if options.explain else None
        out = []
        for i, text in enumerate(texts):
            scores = decisions.scores[i]
            labels = decisions.labels(i)
            enc = raw.encoded[i]
            warnings = []
            if len(enc.windows) > 1:
                warnings.append(
                    f"text is {enc.n_tokens} tokens, longer than the encoder's {self.encoder.window}-token "
                    f"window: analysed in {len(enc.windows)} overlapping windows (emotion scores are the "
                    "maximum over windows, VAD the average)"
                )
            vad: dict[str, Any] = dict(zip(DIMENSIONS, (float(v) for v in vads[i])))
            if intervals is not None:
                vad.update(coverage=options.vad_coverage, intervals=intervals[i])
            confidence, language_warning = language_adjusted(text, float(decisions.confidence[i]))
            if language_warning:
                warnings.append(language_warning)
            spans = evidence[i] if evidence is not None else []
            dominant = decisions.dominant(i)
            explained = (
                rationale(
                    [
                        (label, float(scores[taxonomy.index(label)]), [e.text for e in spans if e.label == label])
                        for label in labels
                    ],
                    dominant=(dominant, float(scores[taxonomy.index(dominant)])),
                )
                if options.explain
                else None
            )
            out.append(
                Analysis(
                    id=ids[i],
                    text=text,
                    taxonomy=taxonomy.id,
                    scores={name: round(float(s), 4) for name, s in zip(taxonomy.names, scores)},
                    labels=labels,
                    dominant=dominant,
                    vad=VAD(**vad),
                    sentiment=sentiments[i],
                    evidence=spans,
                    rationale=explained,
                    confidence=round(confidence, 4),
                    backend=self.backend_id,
                    warnings=warnings,
                )
            )
        return out

    def native_evidence(
        self, texts: list[str], labels: Collection[str], *, within: Sequence[Sequence[tuple[int, int]]] | None = None
    ) -> list[list[Evidence]]:
        """Verified evidence for ``labels`` (native-taxonomy names) where they are decided, per
        text — the spans ``explain=True`` gives for them, without proposing and verifying
        phrases for every other label. ``within``: per text, the character ranges a span must
        start in (candidates elsewhere are not verified)."""
        unknown = set(labels) - set(self.native_taxonomy.names)
        if unknown:
            raise ValueError(f"not labels of {self.native_taxonomy.id}: {', '.join(sorted(unknown))}")
        raw = self.predict_raw(texts, keep_states=True)
        native = self.projector.from_logits(raw.logits)
        only = {self.native_taxonomy.index(label) for label in labels}
        return self._evidence(texts, raw, native, native, only=only, within=within)

    def _evidence(
        self,
        texts: list[str],
        raw: RawOutputs,
        native: Decisions,
        target: Decisions,
        *,
        only: set[int] | None = None,
        within: Sequence[Sequence[tuple[int, int]]] | None = None,
    ) -> list[list[Evidence]]:
        """Verified evidence for the decided labels of ``target`` (of the native labels in
        ``only``, starting in the ranges ``within``, when given), per text."""
        neutral = self.native_taxonomy.neutral
        requests = []
        for i, enc in enumerate(raw.encoded):
            assert enc.states is not None
            for label in np.flatnonzero(native.decided[i]):
                if self.native_taxonomy.names[label] == neutral or (only is not None and label not in only):
                    continue
                weights = self._emotion_w[:, label]
                w = int(np.argmax(enc.pooled @ weights))
                start, end = enc.windows[w]
                states = enc.states[w]
                contributions = states[1:-1] @ weights / len(states)
                for candidate in phrase_candidates(texts[i], enc.offsets[start:end], contributions):
                    if within is None or any(a <= candidate.start < b for a, b in within[i]):
                        requests.append((i, int(label), candidate))
        drops = verify(texts, requests, native.scores, self.native_probabilities)
        native_spans: list[dict[int, list[tuple[int, int, float]]]] = [{} for _ in texts]
        for (i, label, c), drop in zip(requests, drops):
            if drop is not None:
                native_spans[i].setdefault(label, []).append((c.start, c.end, drop))
        matrix = mapping_matrix(self.native_taxonomy.id, target.taxonomy.id) >= 0.5
        out = []
        for i, text in enumerate(texts):
            found: dict[tuple[str, int, int], float] = {}
            for t in np.flatnonzero(target.decided[i]):
                for s, spans in native_spans[i].items():
                    if matrix[s, t]:
                        for a, b, drop in spans:
                            key = (target.taxonomy.names[t], a, b)
                            found[key] = max(found.get(key, 0.0), drop)
            ranked = sorted(found.items(), key=lambda kv: -kv[1])
            out.append([Evidence(label=label, start=a, end=b, text=text[a:b], weight=w) for (label, a, b), w in ranked])
        return out

    def info(self) -> dict[str, Any]:
        return {
            **super().info(),
            "model_dir": str(self.model_dir),
            "native_taxonomy": self.native_taxonomy.id,
            "scores": self.manifest.get("scores", {}),
        }
