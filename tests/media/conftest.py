"""Images made by the tests, and the one real face photo the repository carries (tests/data/faces/SOURCE.txt)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PIL", reason="images need affectlens[faces]")

FACES = Path(__file__).resolve().parents[1] / "data" / "faces"
ASTRONAUT = FACES / "astronaut.jpg"
# where the face is in astronaut.jpg (x, y, w, h), measured by eye on the 256x256 image
ASTRONAUT_FACE = (85, 30, 55, 55)


def encode(image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def no_face_image(size: int = 200):
    """A smooth gradient: nothing a face detector should take for a face."""
    from PIL import Image

    ramp = np.linspace(0, 255, size, dtype=np.float64)
    return Image.fromarray(np.add.outer(ramp, ramp[::-1]).clip(0, 255).astype(np.uint8))


def scene(faces: list[tuple[int, int, int, bool]], size: tuple[int, int] = (900, 600)):
    """The astronaut's face pasted at (x, y) with side ``s`` (mirrored when asked) on a grey canvas."""
    from PIL import Image, ImageOps

    canvas = Image.new("RGB", size, (128, 128, 128))
    head = Image.open(ASTRONAUT).convert("RGB").crop((60, 5, 165, 110))
    for x, y, side, mirrored in faces:
        piece = head.resize((side, side), Image.LANCZOS)
        canvas.paste(ImageOps.mirror(piece) if mirrored else piece, (x, y))
    return canvas


def overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


@pytest.fixture(scope="session")
def image_analyzer():
    pytest.importorskip("cv2", reason="face detection needs affectlens[faces]")
    from affectlens.media import ImageAnalyzer

    return ImageAnalyzer(threads=1)


@pytest.fixture(scope="session")
def audio_analyzer():
    """Speech recognition and prosody; the speech the tests make needs Debian's espeak-ng."""
    import shutil

    if shutil.which("espeak-ng") is None:
        pytest.skip("needs Debian's espeak-ng: run `make test-audio`")
    pytest.importorskip("faster_whisper", reason="needs affectlens[audio]: run `make test-audio`")
    from affectlens.media.audio import AudioAnalyzer

    return AudioAnalyzer(threads=2)
