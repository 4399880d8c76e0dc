"""Reading images: every format and mode, EXIF orientation, and every hostile file refused with one reason."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest

from affectlens.media.images import ImageError, load_image
from tests.media.conftest import ASTRONAUT, encode

Image = pytest.importorskip("PIL.Image")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "BMP", "GIF"])
def test_every_format_decodes_to_the_same_grey_picture(fmt):
    source = Image.open(ASTRONAUT).convert("RGB")
    image = load_image(encode(source, fmt))
    assert (image.width, image.height) == source.size
    reference = np.asarray(source.convert("L"), dtype=np.float64)
    # lossy formats and GIF's palette change pixels a little, never the picture
    assert np.abs(image.grey.astype(np.float64) - reference).mean() < 12


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "P", "I;16", "LA", "1"])
def test_every_pixel_mode_gives_uint8_grey(mode):
    source = Image.open(ASTRONAUT).convert("RGB").resize((64, 48))
    converted = source.convert(mode) if mode != "I;16" else Image.fromarray(np.asarray(source.convert("L"), np.uint16) * 256)
    image = load_image(encode(converted, "PNG"))
    assert image.grey.dtype == np.uint8 and image.grey.shape == (48, 64)
    assert image.grey.std() > 10  # the picture survived the conversion


def test_transparent_pixels_are_white_not_black():
    rgba = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    assert load_image(encode(rgba, "PNG")).grey.min() == 255


def test_exif_orientation_is_applied():
    source = Image.open(ASTRONAUT).convert("RGB").resize((120, 80))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    image = load_image(encode(source, "JPEG", exif=exif))
    assert (image.width, image.height) == (80, 120)


def test_animated_gif_is_read_at_its_first_frame_with_a_warning():
    frames = [Image.new("L", (20, 20), value) for value in (0, 255, 128)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    image = load_image(data)
    assert image.grey.max() == 0
    assert any("3 frames" in w and "first frame" in w for w in image.warnings)


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` × ``height`` and whose data is a few bytes: a decompression bomb."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"hello, I am a text file\n", "not an image"),
        (b"%PDF-1.7\n" + b"\0" * 100, "not an image"),
        (_png_header(100_000, 100_000), "before decoding"),
        (_png_header(9_000, 9_000), "81 megapixels, over the limit of 50"),
    ],
)
def test_hostile_bytes_are_one_clear_reason(data, reason):
    with pytest.raises(ImageError, match=reason):
        load_image(data)


def test_a_bomb_is_refused_before_decoding(monkeypatch):
    decoded = []
    monkeypatch.setattr(Image.Image, "load", lambda self: decoded.append(True))
    with pytest.raises(ImageError, match="refused before decoding"):
        load_image(_png_header(60_000, 60_000))
    assert not decoded


def test_truncated_jpeg_is_refused_not_half_read():
    data = encode(Image.open(ASTRONAUT), "JPEG")
    with pytest.raises(ImageError, match=r"truncated|readable"):
        load_image(data[: len(data) // 3])


def test_limits_on_bytes_and_pixels():
    data = encode(Image.open(ASTRONAUT), "PNG")
    with pytest.raises(ImageError, match="over the limit"):
        load_image(data, max_bytes=1024)
    with pytest.raises(ImageError, match="megapixels"):
        load_image(data, max_pixels=100 * 100)


def test_paths_that_are_not_image_files(tmp_path):
    with pytest.raises(ImageError, match="does not exist"):
        load_image(tmp_path / "gone.jpg")
    with pytest.raises(ImageError, match="folder"):
        load_image(tmp_path)


def test_an_image_outside_the_allowed_folders_is_refused_when_opened(tmp_path):
    from affectlens.errors import InputError
    from affectlens.io.files import confined

    inside, outside = tmp_path / "in", tmp_path / "out"
    inside.mkdir()
    outside.mkdir()
    (outside / "a.jpg").write_bytes(ASTRONAUT.read_bytes())
    (inside / "link.jpg").symlink_to(outside / "a.jpg")
    with confined([inside]), pytest.raises(InputError):
        load_image(inside / "link.jpg")
