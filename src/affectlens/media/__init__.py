"""Media: images (faces) now; audio and video follow the same shape (see DESIGN, "Media").

Heavy pieces (Pillow, OpenCV, the ONNX session) load on first use; install them with
``pip install 'affectlens[faces]'``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from affectlens.media.analyzer import ImageAnalyzer
    from affectlens.media.images import ImageError, load_image

__all__ = ["ImageAnalyzer", "ImageError", "load_image"]

_LAZY = {
    "ImageAnalyzer": "affectlens.media.analyzer",
    "ImageError": "affectlens.media.images",
    "load_image": "affectlens.media.images",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)
