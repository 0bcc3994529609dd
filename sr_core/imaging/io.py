"""Your own images in, pixel-exact images out: decoding, mode conversion, Y/CbCr, limits, PNG.

What the try-it demo (``demo.py``) accepts, decided here and nowhere else:

* Formats: PNG, JPEG, WebP, BMP, TIFF and GIF (the first frame of an animation), decoded by Pillow.
* Sizes: at most :data:`MAX_INPUT_SIDE` pixels a side in (so at most :data:`MAX_OUTPUT_SIDE` out after
  2x), at most :data:`MAX_FILE_BYTES` on disk, and never more than :data:`MAX_DECODE_PIXELS` pixels
  declared in the header (a decompression bomb is refused before it is decoded).
* Modes: everything becomes float32 in [0, 1], ``(H, W)`` grey or ``(H, W, 3)`` RGB. Alpha is
  composited onto black (the dataset's background), palettes are expanded, 16-bit images keep their
  precision (divided by 65535), CMYK is converted to RGB, an RGB image whose three channels are equal
  is treated as grey.
* Colour: super-resolution runs on luminance only (Y of YCbCr, ITU-R BT.601 full range as in JPEG);
  the chroma channels are upscaled bicubically (:func:`rgb_to_ycbcr`, :func:`ycbcr_to_rgb`).

Every problem with a file is an :class:`ImageInputError` (a :class:`UserError`): one line naming the
problem and the fix. Pure functions; nothing runs at import time.
"""
from __future__ import annotations

import base64
import binascii
import io
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from sr_core.errors import UserError

MAX_INPUT_SIDE = 1024          # pixels per side of the image you give
MAX_OUTPUT_SIDE = 2048         # pixels per side of the SR image (2x the largest input)
MAX_FILE_BYTES = 20 * 2**20    # 20 MiB on disk
MAX_DECODE_PIXELS = 16 * 2**20  # header-declared pixels we are willing to decode (16 MP)
FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "TIFF", "GIF")
LIMITS_TEXT = (f"at most {MAX_INPUT_SIDE}×{MAX_INPUT_SIDE} pixels in ({MAX_OUTPUT_SIDE}×{MAX_OUTPUT_SIDE} out), "
               f"{MAX_FILE_BYTES // 2**20} MiB per file; PNG, JPEG, WebP, BMP, TIFF, GIF (first frame)")
_FIX = "upload a PNG, JPEG, WebP, BMP, TIFF or GIF image"

# ITU-R BT.601 full-range RGB -> YCbCr (JPEG/JFIF); offsets of 0.5 on Cb and Cr for [0, 1] images.
_RGB2YCC = np.array([[0.299, 0.587, 0.114],
                     [-0.168736, -0.331264, 0.5],
                     [0.5, -0.418688, -0.081312]], dtype=np.float64)
_YCC2RGB = np.linalg.inv(_RGB2YCC)
_YCC_OFFSET = np.array([0.0, 0.5, 0.5])


class ImageInputError(UserError):
    """The given file or array cannot be used as an image; the message names the problem and the fix."""


@dataclass
class DecodedImage:
    """An image ready for the pipeline: ``pixels`` float32 in [0, 1], (H, W) grey or (H, W, 3) RGB."""

    pixels: np.ndarray
    notes: list[str] = field(default_factory=list)

    @property
    def is_color(self) -> bool:
        return self.pixels.ndim == 3

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return int(self.pixels.shape[1]), int(self.pixels.shape[0])


def _read_bytes(source: bytes | str | os.PathLike, name: str) -> bytes:
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    else:
        path = Path(source)
        if not path.is_file():
            raise ImageInputError(f"{name}: no such file; {_FIX}")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ImageInputError(f"{name} is {path.stat().st_size / 2**20:.1f} MiB, above the "
                                  f"{MAX_FILE_BYTES // 2**20} MiB limit; save it smaller (or as JPEG) and retry")
        data = path.read_bytes()
    if not data:
        raise ImageInputError(f"{name} is empty (0 bytes); {_FIX}")
    if len(data) > MAX_FILE_BYTES:
        raise ImageInputError(f"{name} is {len(data) / 2**20:.1f} MiB, above the {MAX_FILE_BYTES // 2**20} MiB "
                              f"limit; save it smaller (or as JPEG) and retry")
    return data


def decode_image(source: bytes | str | os.PathLike, *, name: str = "the file") -> DecodedImage:
    """Decode an image file (bytes or path) into a :class:`DecodedImage`; one-line errors otherwise."""
    data = _read_bytes(source, name)
    with warnings.catch_warnings():
        # Pillow warns (and above 2x its limit raises) on huge images; our own limit below is stricter.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            im = Image.open(io.BytesIO(data), formats=FORMATS)
        except Image.DecompressionBombError:
            raise ImageInputError(f"{name} declares a gigantic image (a decompression bomb?); "
                                  f"use an image of at most {MAX_INPUT_SIDE}×{MAX_INPUT_SIDE} pixels") from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            raise ImageInputError(f"{name} is not an image Pillow can read (a text or other file renamed?); "
                                  f"{_FIX}") from None
        w, h = im.size
        if w * h > MAX_DECODE_PIXELS:
            raise ImageInputError(f"{name} declares {w}×{h} pixels (a decompression bomb?), far above the "
                                  f"{MAX_INPUT_SIDE}×{MAX_INPUT_SIDE} limit; resize it first")
        check_input_size(w, h, name=name)  # from the header: nothing above the limit is decoded
        notes = []
        frames = int(getattr(im, "n_frames", 1) or 1)
        if frames > 1:
            im.seek(0)
            notes.append(f"animated {im.format}: using the first of its {frames} frames")
        try:
            im.load()
        except Exception as exc:  # truncated data, bad chunks, decoder errors: all mean a broken file
            raise ImageInputError(f"{name} is truncated or corrupt ({type(exc).__name__}: "
                                  f"{' '.join(str(exc).split())[:80]}); re-export or re-download it") from None
    pixels, mode_notes = pil_to_float(im)
    check_input_size(pixels.shape[1], pixels.shape[0], name=name)
    return DecodedImage(pixels, notes + mode_notes)


def pil_to_float(im: Image.Image) -> tuple[np.ndarray, list[str]]:
    """Any Pillow mode -> float32 (H, W) grey or (H, W, 3) RGB in [0, 1], and notes on what changed."""
    notes: list[str] = []
    mode = im.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        arr = np.asarray(im, dtype=np.float64)
        top = 65535.0 if mode != "I" or arr.max() > 255 else 255.0
        return np.clip(arr / top, 0.0, 1.0).astype(np.float32), [f"{mode} image scaled by 1/{top:g}"]
    if mode == "F":
        arr = np.asarray(im, dtype=np.float64)
        top = max(1.0, float(np.nanmax(arr)) if arr.size else 1.0)
        return np.clip(np.nan_to_num(arr) / top, 0.0, 1.0).astype(np.float32), ["float image scaled into [0, 1]"]
    if mode == "P" or mode == "PA":
        im = im.convert("RGBA")
        mode = "RGBA"
    if mode in ("LA", "RGBA", "La", "RGBa"):
        rgba = np.asarray(im.convert("RGBA"), dtype=np.float32) / 255.0  # (H, W, 4)
        alpha = rgba[..., 3:]
        if float(alpha.min()) < 1.0:
            notes.append("transparent pixels composited onto black (the dataset's background)")
        return _grey_if_equal(rgba[..., :3] * alpha), notes
    if mode == "1" or mode == "L":
        return np.asarray(im.convert("L"), dtype=np.float32) / 255.0, notes
    if mode != "RGB":
        notes.append(f"{mode} converted to RGB")
        im = im.convert("RGB")
    return _grey_if_equal(np.asarray(im, dtype=np.float32) / 255.0), notes


def _grey_if_equal(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) -> (H, W) when the three channels are identical (a grey image stored as RGB)."""
    if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2]):
        return np.ascontiguousarray(rgb[..., 0])
    return np.ascontiguousarray(rgb)


def image_from_array(arr: np.ndarray, *, name: str = "the image") -> DecodedImage:
    """A uint8 / uint16 / float array (H, W), (H, W, 3) or (H, W, 4) -> :class:`DecodedImage`."""
    arr = np.asarray(arr)
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 3, 4)) or arr.size == 0:
        raise ImageInputError(f"{name} has shape {arr.shape}, not (H, W), (H, W, 3) or (H, W, 4); {_FIX}")
    if arr.dtype == np.uint8:
        f = arr.astype(np.float32) / 255.0
    elif arr.dtype == np.uint16:
        f = arr.astype(np.float32) / 65535.0
    else:
        f = np.clip(np.nan_to_num(arr.astype(np.float32)), 0.0, 1.0)
    if f.ndim == 3 and f.shape[2] == 1:
        f = f[..., 0]
    notes = []
    if f.ndim == 3 and f.shape[2] == 4:
        if float(f[..., 3].min()) < 1.0:
            notes.append("transparent pixels composited onto black (the dataset's background)")
        f = f[..., :3] * f[..., 3:]
    if f.ndim == 3:
        f = _grey_if_equal(f)
    check_input_size(f.shape[1], f.shape[0], name=name)
    return DecodedImage(np.ascontiguousarray(f, dtype=np.float32), notes)


def check_input_size(width: int, height: int, *, name: str = "the image") -> None:
    """One-line error when an input image is above :data:`MAX_INPUT_SIDE` a side."""
    if width > MAX_INPUT_SIDE or height > MAX_INPUT_SIDE:
        raise ImageInputError(f"{name} is {width}×{height} pixels, above the {MAX_INPUT_SIDE}×{MAX_INPUT_SIDE} "
                              f"input limit (output up to {MAX_OUTPUT_SIDE}×{MAX_OUTPUT_SIDE}); crop or resize it")


MAX_DATA_URL_CHARS = 4 * -(-MAX_FILE_BYTES // 3) + 256  # base64 of the largest file, plus a data: header


def data_url_bytes(url: str, *, name: str = "the image") -> bytes:
    """The bytes of a ``data:...;base64,`` URL; its encoded length is checked before anything is decoded."""
    if not isinstance(url, str) or not url.startswith("data:") or "," not in url[:256]:
        raise ImageInputError(f"{name} is not a data: URL; {_FIX}")
    if len(url) > MAX_DATA_URL_CHARS:
        raise ImageInputError(f"{name} is a {len(url) / 2**20:.0f} MiB data URL, above the "
                              f"{MAX_FILE_BYTES // 2**20} MiB file limit; send a smaller image")
    try:
        return base64.b64decode(url.split(",", 1)[1], validate=False)
    except (binascii.Error, ValueError):
        raise ImageInputError(f"{name} is a data: URL that is not valid base64; {_FIX}") from None


def probe_image(source: bytes | str | os.PathLike, *, name: str = "the image",
                max_side: int = MAX_INPUT_SIDE) -> tuple[int, int]:
    """(width, height) from the file's size and header only (Pillow's lazy open decodes no pixel): a
    one-line error above :data:`MAX_FILE_BYTES` or ``max_side`` a side, before anything is allocated."""
    if not isinstance(source, (bytes, bytearray)):
        try:
            size = os.stat(source).st_size
        except (OSError, TypeError, ValueError):
            raise ImageInputError(f"{name}: no such file; {_FIX}") from None
    else:
        size = len(source)
    if size > MAX_FILE_BYTES:
        raise ImageInputError(f"{name} is {size / 2**20:.1f} MiB, above the {MAX_FILE_BYTES // 2**20} MiB limit")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source,
                            formats=FORMATS) as im:
                w, h = im.size
        except (Image.DecompressionBombError, UnidentifiedImageError, OSError, ValueError, SyntaxError):
            raise ImageInputError(f"{name} is not an image Pillow can read, or declares a gigantic size; "
                                  f"{_FIX}") from None
    if w > max_side or h > max_side:
        raise ImageInputError(f"{name} declares {w}×{h} pixels, above the {max_side}×{max_side} limit; "
                              f"resize it first")
    return w, h


def rgb_to_ycbcr(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) RGB in [0, 1] -> (H, W, 3) Y, Cb, Cr (BT.601 full range; Cb, Cr centred on 0.5)."""
    return (rgb.astype(np.float64) @ _RGB2YCC.T + _YCC_OFFSET).astype(np.float32)


def ycbcr_to_rgb(ycc: np.ndarray) -> np.ndarray:
    """Inverse of :func:`rgb_to_ycbcr`: (H, W, 3) -> RGB clipped to [0, 1]."""
    rgb = (ycc.astype(np.float64) - _YCC_OFFSET) @ _YCC2RGB.T
    return np.clip(rgb, 0.0, 1.0).astype(np.float32)


def to_uint8(img: np.ndarray) -> np.ndarray:
    """Float image in [0, 1] (clipped) -> uint8, rounding to nearest."""
    return np.clip(np.rint(np.asarray(img, dtype=np.float64) * 255.0), 0, 255).astype(np.uint8)


def png_from_uint8(pixels: np.ndarray) -> bytes:
    """uint8 (H, W) grey or (H, W, 3) RGB -> lossless PNG bytes (the one PNG encoder of the project)."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(buf, format="PNG")
    return buf.getvalue()


def encode_png(img: np.ndarray) -> bytes:
    """Float (H, W) or (H, W, 3) image in [0, 1] -> lossless PNG bytes."""
    return png_from_uint8(to_uint8(img))


def zoom(img: np.ndarray, scale: int) -> np.ndarray:
    """Nearest-neighbour zoom by an integer factor: (H, W[, C]) -> (H*scale, W*scale[, C])."""
    if scale < 1 or int(scale) != scale:
        raise ValueError(f"scale must be a positive integer, got {scale}")
    return np.repeat(np.repeat(img, scale, axis=0), scale, axis=1)


def display_zoom(img: np.ndarray, min_side: int = 448) -> np.ndarray:
    """Nearest-neighbour zoom by the smallest integer factor that makes the short side >= ``min_side``.

    Small images (28×28 -> 56×56) would otherwise be blurred by the browser's smooth scaling."""
    factor = max(1, -(-min_side // max(1, min(img.shape[:2]))))
    return img if factor == 1 else zoom(img, factor)
