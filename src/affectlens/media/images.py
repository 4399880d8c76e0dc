"""Reading an image safely: hostile files are one clear reason, never a traceback or a blown memory.

:func:`load_image` opens a path through :func:`affectlens.io.files.open_input` (so a run's
allowed folders are checked when the file is opened) or takes bytes, and:

- refuses an empty file, a file over ``max_bytes``, and anything Pillow cannot identify as
  JPEG, PNG, WebP, BMP or GIF;
- reads the pixel count from the header and refuses more than ``max_pixels`` **before
  decoding** (a decompression bomb never gets its memory);
- decodes fully, so a truncated file is refused here, not half-analysed;
- applies the EXIF orientation (boxes are in the picture as people see it);
- takes the first frame of an animated image, with a warning;
- gives the grey pixels the models read (grey, RGB, RGBA, palette and 16-bit images alike).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from affectlens.errors import InputError, MissingDependencyError
from affectlens.io.readers import IMAGE_SUFFIXES

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "IMAGE_FORMATS",
    "IMAGE_SUFFIXES",
    "ImageError",
    "LoadedImage",
    "MediaError",
    "load_image",
    "open_media",
]

IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "GIF")  # Pillow opens MPO (camera JPEGs) as JPEG
DEFAULT_MAX_PIXELS = 50_000_000  # 50 megapixels: any camera photo; a bomb is far beyond
DEFAULT_MAX_BYTES = 64 << 20
_BOMB_HINT = "if the image is real, resize it or raise the limit (--max-pixels; the service's max_image_pixels)"


class MediaError(InputError):
    """A media file affectlens cannot read; the message says why (a bad row in a run, a 422 in the service)."""


class ImageError(MediaError):
    """An input that is not an image affectlens can read."""


@dataclass
class LoadedImage:
    grey: np.ndarray  # uint8 [height, width]
    width: int
    height: int
    format: str
    warnings: list[str] = field(default_factory=list)
    rgb: np.ndarray | None = None  # uint8 [height, width, 3], when asked for


def load_image(
    source: str | Path | bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    keep_rgb: bool = False,
) -> LoadedImage:
    """The decoded image of ``source`` (a path or the file's bytes); :class:`ImageError` says what is wrong."""
    try:
        from PIL import Image, ImageOps, UnidentifiedImageError
    except ImportError as exc:
        raise MissingDependencyError("pillow", "faces", "images") from exc

    data = _read(source, max_bytes) if not isinstance(source, bytes) else source
    if not data:
        raise ImageError("is empty (0 bytes)")
    if len(data) > max_bytes:
        raise ImageError(f"is {len(data) / 2**20:.1f} MiB, over the limit of {max_bytes / 2**20:.0f} MiB")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow's own bomb warning: our limit below is the rule
        try:
            image = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
        except UnidentifiedImageError:
            raise ImageError("is not an image affectlens reads (JPEG, PNG, WebP, BMP, GIF)") from None
        except Image.DecompressionBombError as exc:  # Pillow's own limit, also from the header alone
            raise ImageError(f"is refused before decoding as a decompression bomb ({_short(exc)})", hint=_BOMB_HINT) from None
        except (OSError, ValueError, SyntaxError) as exc:
            raise ImageError(f"is not a readable image: {_short(exc)}") from None
        width, height = image.size
        if width <= 0 or height <= 0:
            raise ImageError(f"has no pixels ({width}×{height})")
        if width * height > max_pixels:
            raise ImageError(
                f"has {width}×{height} = {width * height / 1e6:.0f} megapixels, over the limit of {max_pixels / 1e6:g} "
                "(refused before decoding: a decompression bomb, or a very large image)",
                hint=_BOMB_HINT,
            )
        notes = []
        frames = getattr(image, "n_frames", 1)
        if frames > 1:
            notes.append(f"animated {image.format} with {frames} frames: only the first frame was analysed")
        try:
            image.seek(0)
            image.load()
            shown = ImageOps.exif_transpose(image)
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            raise ImageError(f"cannot be decoded ({_short(exc)}): the file is truncated or damaged") from None
    fmt = image.format or "?"
    grey, rgb = _pixels(shown, keep_rgb)
    return LoadedImage(grey, grey.shape[1], grey.shape[0], fmt, notes, rgb)


def open_media(source: str | Path | bytes, error: type[MediaError] = MediaError) -> Any:
    """A binary stream of a media file (bytes as they are), opened through
    :func:`affectlens.io.files.open_input` so a run's allowed folders are checked when it is
    opened; a file that is gone, a folder, unreadable or empty raises ``error`` with one reason."""
    if isinstance(source, bytes):
        if not source:
            raise error("is empty (0 bytes)")
        return io.BytesIO(source)
    from affectlens.io.files import open_input

    try:
        stream = open_input(source)
    except FileNotFoundError:
        raise error("does not exist (it may have been moved or deleted)") from None
    except IsADirectoryError:
        raise error("is a folder, not a file") from None
    except PermissionError:
        raise error("cannot be read: permission denied") from None
    except OSError as exc:
        raise error(f"cannot be read: {exc.strerror or exc}") from None
    if stream.read(1) == b"":
        stream.close()
        raise error("is empty (0 bytes)")
    stream.seek(0)
    return stream


def _read(path: str | Path, max_bytes: int) -> bytes:
    with open_media(path, ImageError) as f:
        return bytes(f.read(max_bytes + 1))


def _pixels(image: object, keep_rgb: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Grey uint8 pixels (alpha composited on white), and RGB when asked."""
    from PIL import Image

    assert isinstance(image, Image.Image)
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(image, dtype=np.float64)
        span = arr.max() - arr.min()
        image = Image.fromarray(((arr - arr.min()) / (span or 1) * 255).astype(np.uint8))
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    rgb = np.asarray(image.convert("RGB")) if keep_rgb else None
    grey = np.asarray(image.convert("L"))
    return np.ascontiguousarray(grey), rgb


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) < 120 else text[:117] + "..."
