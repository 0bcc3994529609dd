"""sr_core.imaging.io: every accepted format decodes, every bad file gets its one-line message, modes convert
as documented, Y/CbCr round-trips, the size limits hold. All images are made in the test."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from sr_core.errors import UserError
from sr_core.imaging.io import (MAX_INPUT_SIDE, ImageInputError, decode_image, display_zoom, encode_png,
                             image_from_array, rgb_to_ycbcr, ycbcr_to_rgb)


def _bytes(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _rgb(h: int = 12, w: int = 16, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


@pytest.mark.parametrize("fmt", ["PNG", "BMP", "TIFF", "WEBP"])
def test_lossless_formats_decode_exactly(fmt: str) -> None:
    arr = _rgb()
    kw = {"lossless": True} if fmt == "WEBP" else {}
    d = decode_image(_bytes(Image.fromarray(arr), fmt, **kw))
    assert d.pixels.shape == (12, 16, 3) and d.pixels.dtype == np.float32
    np.testing.assert_array_equal(np.rint(d.pixels * 255).astype(np.uint8), arr)


def test_jpeg_decodes_close() -> None:
    arr = np.full((16, 16, 3), (200, 40, 90), np.uint8)
    d = decode_image(_bytes(Image.fromarray(arr), "JPEG", quality=95))
    assert d.is_color and np.abs(d.pixels * 255 - arr).max() < 6


def test_grey_and_equal_channel_rgb_become_grey() -> None:
    g = _rgb()[..., 0]
    assert decode_image(_bytes(Image.fromarray(g), "PNG")).pixels.shape == (12, 16)
    rgb = np.repeat(g[..., None], 3, axis=2)
    d = decode_image(_bytes(Image.fromarray(rgb), "PNG"))
    assert not d.is_color
    np.testing.assert_allclose(d.pixels, g / 255.0, atol=1e-7)


def test_16bit_png_keeps_precision() -> None:
    arr = np.array([[0, 1, 65535, 32768]], dtype=np.uint16).repeat(3, axis=0)
    d = decode_image(_bytes(Image.fromarray(arr), "PNG"))
    np.testing.assert_allclose(d.pixels[0], arr[0] / 65535.0, atol=1e-7)
    assert d.pixels[0, 1] > 0  # 1/65535 survives: not squashed to 8 bits


def test_palette_with_transparency_composites_on_black() -> None:
    im = Image.new("P", (4, 4), 1)
    im.putpalette([255, 255, 255, 255, 0, 0] + [0] * 762)
    im.putpixel((0, 0), 0)
    im.info["transparency"] = 0  # palette entry 0 (white) is transparent
    d = decode_image(_bytes(im, "PNG", transparency=0))
    assert d.is_color and d.pixels[0, 0].tolist() == [0, 0, 0]  # transparent white -> black
    assert d.pixels[1, 1].tolist() == [1, 0, 0]
    assert any("transparent" in n for n in d.notes)


def test_rgba_alpha_composites_on_black() -> None:
    arr = np.zeros((2, 2, 4), np.uint8)
    arr[..., :3] = 255
    arr[..., 3] = [[255, 0], [128, 255]]
    d = decode_image(_bytes(Image.fromarray(arr, "RGBA"), "PNG"))
    assert not d.is_color  # white with alpha is grey
    np.testing.assert_allclose(d.pixels, [[1, 0], [128 / 255, 1]], atol=1e-6)


def test_cmyk_jpeg_converts_to_rgb() -> None:
    d = decode_image(_bytes(Image.new("CMYK", (8, 8), (0, 255, 255, 0)), "JPEG", quality=95))
    assert d.is_color and d.pixels.shape == (8, 8, 3)
    assert d.pixels[..., 0].mean() > 0.9 and d.pixels[..., 1].mean() < 0.1  # red
    assert any("CMYK" in n for n in d.notes)


def test_animated_gif_uses_first_frame() -> None:
    frames = [Image.new("L", (6, 6), v) for v in (10, 200, 90)]
    data = _bytes(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50)
    d = decode_image(data)
    assert d.pixels.shape == (6, 6) and abs(float(d.pixels.mean()) * 255 - 10) < 1.5
    assert any("first of its 3 frames" in n for n in d.notes)


def test_one_pixel_image_works() -> None:
    d = decode_image(_bytes(Image.new("L", (1, 1), 255), "PNG"))
    assert d.pixels.shape == (1, 1) and d.pixels[0, 0] == 1.0


def _truncated() -> bytes:
    data = _bytes(Image.fromarray(_rgb(64, 64)), "PNG")
    return data[: len(data) // 2]


def _bomb() -> bytes:
    # A valid 1-bit PNG that declares 20000 x 20000 pixels: small on disk, 400 MP decoded.
    return _bytes(Image.new("1", (20000, 20000)), "PNG")


@pytest.mark.parametrize("data, words", [
    (b"", "empty (0 bytes)"),
    (b"hello, I am a text file\n" * 10, "not an image Pillow can read"),
    (_truncated(), "truncated or corrupt"),
    (_bomb(), "decompression bomb"),
    (_bytes(Image.new("L", (MAX_INPUT_SIDE + 1, 8)), "PNG"), f"above the {MAX_INPUT_SIDE}×{MAX_INPUT_SIDE}"),
], ids=["zero-byte", "text-renamed", "truncated", "bomb", "too-large"])
def test_bad_files_get_one_line_messages(data: bytes, words: str) -> None:
    with pytest.raises(ImageInputError) as err:
        decode_image(data, name="photo.png")
    msg = str(err.value)
    assert words in msg and "photo.png" in msg and "\n" not in msg
    assert isinstance(err.value, UserError)


def test_missing_and_oversized_paths(tmp_path) -> None:
    with pytest.raises(ImageInputError, match="no such file"):
        decode_image(tmp_path / "nope.png")
    big = tmp_path / "big.png"
    big.write_bytes(b"\0" * (21 * 2**20))
    with pytest.raises(ImageInputError, match="MiB limit"):
        decode_image(big)


def test_ycbcr_round_trip_and_known_values() -> None:
    rgb = np.random.default_rng(1).random((9, 7, 3)).astype(np.float32)
    np.testing.assert_allclose(ycbcr_to_rgb(rgb_to_ycbcr(rgb)), rgb, atol=1e-6)
    white, red = rgb_to_ycbcr(np.array([[[1, 1, 1], [1, 0, 0]]], np.float32))[0]
    np.testing.assert_allclose(white, [1, 0.5, 0.5], atol=1e-6)
    np.testing.assert_allclose(red, [0.299, 0.5 - 0.168736, 1.0], atol=1e-6)


@pytest.mark.parametrize("arr, shape", [
    (np.zeros((5, 6, 4), np.uint8), (5, 6)),
    (np.full((5, 6, 3), 65535, np.uint16), (5, 6)),
    (np.random.default_rng(0).random((5, 6, 3)), (5, 6, 3)),
])
def test_image_from_array(arr: np.ndarray, shape: tuple) -> None:
    d = image_from_array(arr)
    assert d.pixels.shape == shape and 0 <= d.pixels.min() and d.pixels.max() <= 1


def test_image_from_array_refuses_bad_shapes_and_sizes() -> None:
    with pytest.raises(ImageInputError, match="shape"):
        image_from_array(np.zeros((3, 4, 5)))
    with pytest.raises(ImageInputError, match="input limit"):
        image_from_array(np.zeros((MAX_INPUT_SIDE + 1, 2)))


def test_png_is_lossless_and_zoom_is_nearest() -> None:
    img = np.random.default_rng(2).integers(0, 256, (5, 3)).astype(np.float32) / 255
    back = np.asarray(Image.open(io.BytesIO(encode_png(img))), dtype=np.float32) / 255
    np.testing.assert_array_equal(back, img)
    z = display_zoom(img, min_side=12)  # factor 4 makes the short side (3) >= 12
    assert z.shape == (20, 12) and np.array_equal(z[::4, ::4], img)
    assert display_zoom(np.zeros((500, 600)), 448).shape == (500, 600)
