"""Images in, :class:`~affectlens.schema.MediaAnalysis` out: faces, each with its own Analysis.

A face is read by the calibrated expression model (:mod:`affectlens.media.faces`) in its
native taxonomy, Ekman's; any other taxonomy is reached through the same label mapping as
text (:class:`~affectlens.reasoning.projection.TaxonomyProjector`). The model is single-label
(FER-2013 has one label per face): a face's label is the most probable class and its
``confidence`` is that class's calibrated probability, the chance the label is right (ECE on
FER-2013 test in docs/benchmarks.md). VAD is the probability-weighted mean of the Ekman labels'
anchors. No face: a warning and no labels — never a guess.

::

    >>> from affectlens.media import ImageAnalyzer            # doctest: +SKIP
    >>> ImageAnalyzer().analyze_image("party.jpg").faces[0].analysis.dominant
    'joy'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from affectlens.analyzers.base import AnalyzeOptions, _abstain
from affectlens.media.faces import FACE_CLASSES, MIN_DROP, FaceBox, FaceDetector, FaceModel, crop_face, region_box
from affectlens.media.images import DEFAULT_MAX_PIXELS, LoadedImage, load_image
from affectlens.reasoning.calibration import TaxonomyCalibration
from affectlens.reasoning.projection import Decisions, TaxonomyProjector, sentiment_of
from affectlens.schema import VAD, Analysis, Box, Evidence, Face, MediaAnalysis
from affectlens.taxonomy import load_taxonomy, map_label

__all__ = ["FACE_MODES", "NO_FACE_WARNING", "SMALL_FACE", "ImageAnalyzer", "analyze_image"]

NO_FACE_WARNING = "no face found: no emotion is read from this image (if the images are face crops, use --faces whole)"
FACE_MODES = ("detect", "whole")
SMALL_FACE = 40  # pixels: the model learnt from 48-pixel faces; smaller ones are upscaled blur


class ImageAnalyzer:
    """Finds faces in images and reads each one's expression (thread-safe)."""

    def __init__(
        self,
        model_dir: str | Path | None = None,
        *,
        threads: int | None = None,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        profile: bool = True,
        faces: str = "detect",
    ) -> None:
        """``faces``: ``detect`` finds the faces in each image; ``whole`` reads each image as one
        face crop (datasets of aligned faces such as FER-2013), without detection."""
        if faces not in FACE_MODES:
            from affectlens.errors import ConfigError

            raise ConfigError(f"unknown face mode {faces!r}", hint=f"use one of {', '.join(FACE_MODES)}")
        self.faces = faces
        self.model = FaceModel(model_dir, threads=threads)
        self.detector = FaceDetector(profile=profile)
        self.max_pixels = max_pixels
        self.native = load_taxonomy("ekman")
        if tuple(self.native.names) != FACE_CLASSES:
            raise AssertionError(f"the Ekman taxonomy lists {self.native.names}, the face model {FACE_CLASSES}")
        self.projector = TaxonomyProjector(self.native, {"ekman": TaxonomyCalibration.identity("ekman", self.native.names)})
        self.anchors = np.array([label.vad for label in self.native.labels], dtype=np.float64)

    @property
    def backend_id(self) -> str:
        return self.model.backend_id

    # -- whole images ---------------------------------------------------------------------

    def analyze_image(
        self,
        source: str | Path | bytes | LoadedImage,
        *,
        id: str | None = None,
        name: str | None = None,
        options: AnalyzeOptions | None = None,
        faces: str | None = None,
        **overrides: Any,
    ) -> MediaAnalysis:
        """Faces and their expressions in one image (a path, the file's bytes, or a loaded image).

        ``name`` is what the result calls the input (default: the path as given, or "image");
        ``faces`` overrides the analyzer's face mode (``detect`` or ``whole``) for this image.
        A file that is not a readable image raises :class:`~affectlens.media.images.ImageError`.
        """
        options = AnalyzeOptions.build(options, overrides)
        image = source if isinstance(source, LoadedImage) else load_image(source, max_pixels=self.max_pixels)
        label = name if name is not None else (str(source) if isinstance(source, (str, Path)) else "image")
        whole = (faces or self.faces) == "whole"
        boxes = [FaceBox(0, 0, image.width, image.height, 0)] if whole else self.detector.detect(image.grey)
        crops_at = [b.widened(image.width, image.height) for b in boxes]
        crops = np.stack([crop_face(image.grey, c) for c in crops_at]) if boxes else np.zeros((0, 64, 64), np.float32)
        analyses = self.analyze_crops(crops, options=options, crops_at=crops_at)
        found = [
            Face(box=Box(x=b.x, y=b.y, w=b.w, h=b.h), detector_score=float(b.votes) if b.votes else None, analysis=a)
            for b, a in zip(boxes, analyses)
        ]
        for face in found:
            if face.box.w < SMALL_FACE:
                face.analysis.warnings.append(
                    f"the face is {face.box.w} pixels wide, smaller than the {SMALL_FACE} the model reads well: less reliable"
                )
        warnings = list(image.warnings)
        if not found:
            warnings.append(NO_FACE_WARNING)
        summary = self._summary(found, options, warnings)
        return MediaAnalysis(
            id=id,
            source=label,
            kind="image",
            width=image.width,
            height=image.height,
            faces=found,
            summary=summary,
            backend=self.backend_id,
            warnings=warnings,
        )

    # -- face crops -----------------------------------------------------------------------

    def analyze_crops(
        self,
        crops: np.ndarray,
        *,
        options: AnalyzeOptions | None = None,
        crops_at: list[tuple[int, int, int, int]] | None = None,
        **overrides: Any,
    ) -> list[Analysis]:
        """One Analysis per 64×64 grey face crop ``[n, 64, 64]`` (0..255). ``crops_at``: where each
        crop lies in its image (``x0, y0, x1, y1``), for box and region evidence."""
        options = AnalyzeOptions.build(options, overrides)
        if len(crops) == 0:
            return []
        probs = self.model.probabilities(crops)
        return [self._face(crops[i], probs[i], options, crops_at[i] if crops_at else None) for i in range(len(crops))]

    def probabilities(self, crops: np.ndarray) -> np.ndarray:
        """Calibrated native (Ekman) probabilities of face crops ``[n, 7]``."""
        return self.model.probabilities(crops)

    def _face(
        self, crop: np.ndarray, probs: np.ndarray, options: AnalyzeOptions, at: tuple[int, int, int, int] | None
    ) -> Analysis:
        taxonomy = load_taxonomy(options.taxonomy)
        top = int(probs.argmax())
        decided = np.zeros((1, len(probs)), dtype=bool)
        decided[0, top] = True
        native = Decisions(self.native, probs[None].astype(np.float64), decided, np.array([probs[top]], dtype=np.float64))
        target = self.projector.project(native, taxonomy)
        labels = target.labels(0)
        scores = {name: round(float(s), 4) for name, s in zip(taxonomy.names, target.scores[0])}
        dominant = target.dominant(0)
        valence, arousal, dominance = (probs.astype(np.float64) @ self.anchors).round(4).tolist()
        evidence: list[Evidence] = []
        if at is not None:
            x0, y0, x1, y1 = at
            evidence.append(
                Evidence(label=dominant, weight=scores[dominant], kind="box", box=Box(x=x0, y=y0, w=x1 - x0, h=y1 - y0))
            )
        regions: list[tuple[str, float]] = []
        if options.explain:
            for _, region, drop in self.model.regions(crop, probs, [top]):
                regions.append((region, drop))
                targets = [t for t in map_label(self.native.names[top], taxonomy, source=self.native).labels if t in labels]
                for label in targets:
                    rx, ry, rw, rh = region_box(region, at) if at is not None else region_box(region, (0, 0, 64, 64))
                    evidence.append(
                        Evidence(
                            label=label, weight=round(drop, 4), kind="region", region=region, box=Box(x=rx, y=ry, w=rw, h=rh)
                        )
                    )
        analysis = Analysis(
            text="",
            taxonomy=taxonomy.id,
            scores=scores,
            labels=labels,
            dominant=dominant,
            vad=VAD(valence=valence, arousal=arousal, dominance=dominance),
            sentiment=sentiment_of(labels, taxonomy),
            evidence=evidence,
            rationale=_rationale(labels, scores, regions) if options.explain else None,
            confidence=round(float(probs[top]), 4),
            backend=self.backend_id,
        )
        return _abstain(analysis, options.min_confidence) if analysis.confidence < options.min_confidence else analysis

    def _summary(self, faces: list[Face], options: AnalyzeOptions, warnings: list[str]) -> Analysis:
        """The image as one answer (:func:`summarize` over its faces)."""
        return summarize([f.analysis for f in faces], options, self.backend_id, warnings, what="faces")


def summarize(
    parts: list[Analysis],
    options: AnalyzeOptions,
    backend: str,
    warnings: list[str],
    *,
    what: str,
    weights: list[float] | None = None,
) -> Analysis:
    """A whole item (an image, a recording) as one answer from its parts (faces, segments): the
    part itself when there is one; over several, the (``weights``-weighted) mean scores and VAD,
    the labels any part shows, and the chance every part is right. None: no labels, ``warnings``."""
    taxonomy = load_taxonomy(options.taxonomy)
    if not parts:
        return Analysis(text="", taxonomy=taxonomy.id, backend=backend, warnings=list(warnings))
    if len(parts) == 1:
        only = parts[0]
        return only.model_copy(deep=True, update={"text": "", "evidence": [e for e in only.evidence if e.kind != "span"]})
    w = np.asarray(weights if weights is not None else [1.0] * len(parts), dtype=np.float64)
    w = w / w.sum() if w.sum() > 0 else np.full(len(parts), 1 / len(parts))
    scores = {name: round(float(w @ np.array([a.scores.get(name, 0.0) for a in parts])), 4) for name in taxonomy.names}
    labels = [name for name in taxonomy.names if any(name in a.labels for a in parts)]
    pool = labels or list(scores)
    mean = (w @ np.array([[a.vad.valence, a.vad.arousal, a.vad.dominance] for a in parts])).round(4).tolist()
    return Analysis(
        text="",
        taxonomy=taxonomy.id,
        scores=scores,
        labels=labels,
        dominant=max(pool, key=lambda name: scores[name]),
        vad=VAD(valence=mean[0], arousal=mean[1], dominance=mean[2]),
        sentiment=sentiment_of(labels, taxonomy),
        evidence=[e for a in parts for e in a.evidence if e.kind in ("box", "time")],
        confidence=round(float(np.prod([a.confidence for a in parts])), 4),
        backend=backend,
        warnings=[f"{len(parts)} {what}: scores and VAD are their means, labels those any of them shows"],
    )


_shared: dict[str, ImageAnalyzer] = {}


def analyze_image(image: str | Path | bytes, *, faces: str = "detect", **options: Any) -> MediaAnalysis:
    """The faces in one image (a path or the file's bytes) and what each shows; options as in
    :class:`affectlens.AnalyzeOptions` (``taxonomy`` defaults to ``"ekman"``, the face model's
    own). ``faces="whole"`` reads the image as one face crop. Needs ``affectlens[faces]``."""
    if "analyzer" not in _shared:
        _shared["analyzer"] = ImageAnalyzer()
    return _shared["analyzer"].analyze_image(image, faces=faces, **{"taxonomy": "ekman", **options})


def _rationale(labels: list[str], scores: dict[str, float], regions: list[tuple[str, float]]) -> str:
    if not labels:
        return "No label: the answer is less sure than asked."
    shown = ", ".join(f"{label} ({scores[label]:.2f})" for label in labels)
    if not regions:
        return f"The face reads as {shown}; hiding no single region lowers it by {MIN_DROP:.2f} or more."
    carried = ", ".join(f"{region} (−{drop:.2f})" for region, drop in sorted(regions, key=lambda r: -r[1]))
    return f"The face reads as {shown}; hiding these regions lowers it: {carried}."
