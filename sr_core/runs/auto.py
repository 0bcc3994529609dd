"""The ``auto`` model of the demo, the HTTP API and ``upscale``: a photo model for a photograph, the
Fashion-MNIST model for a small grey image.

* A 28×28 (or smaller) grey image looks like the data the Fashion-MNIST models know: shipped ``resnet-sr``.
* A colour image, or one larger than 28×28 either way, is a photograph: the shipped photo model with the
  best recorded gain over bicubic on the held-out photos (``eval.json`` ``mean.gain_db``, Y protocol), among
  those that do not lose to bicubic; ``resnet-sr-photo`` when it is shipped without a recorded score. When
  no shipped photo model beats bicubic (today's ``cnn-vae-photo`` loses by about 4 dB), the Fashion-MNIST
  ``resnet-sr`` is used and the note says so (under the BasicSR Y protocol it is within 1 dB of bicubic
  on each held-out photo, -0.48 to +0.91 dB; the demo's truth mode, which shaves no border, shows it lower).

Only side files are read (config.json, eval.json): nothing is loaded to decide.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sr_core.errors import UserError
from sr_core.runs.shipped import list_shipped
from sr_core.runs.trained_on import is_photo, trained_on_text

AUTO = "auto"
AUTO_TEXT = "auto (photos → photo model, 28×28 → Fashion-MNIST)"  # fits the demo's dropdown at 1280 px
FASHION_DEFAULT = "resnet-sr"        # the best shipped Fashion-MNIST model (bench/quality.py)
PHOTO_PREFERRED = "resnet-sr-photo"  # the photo model trained for the demo, when shipped
SMALL_SIDE = 28                      # Fashion-MNIST's side: up to this size a grey image is "like the data"


def is_auto(name: Any) -> bool:
    """True for the ``auto`` choice (also its shown text, which a UI may send back)."""
    return isinstance(name, str) and name.strip() in (AUTO, AUTO_TEXT)


def is_photograph(image: Any) -> bool:
    """True for a colour image or one larger than 28×28 either way. ``image``: float/uint8 pixels (H, W) grey
    or (H, W, C), or an object with ``.pixels`` (:class:`sr_core.imaging.io.DecodedImage`)."""
    pixels = np.asarray(getattr(image, "pixels", image))
    h, w = pixels.shape[:2]
    colour = pixels.ndim == 3 and pixels.shape[2] >= 3 and not (
        np.array_equal(pixels[..., 0], pixels[..., 1]) and np.array_equal(pixels[..., 0], pixels[..., 2]))
    return colour or h > SMALL_SIDE or w > SMALL_SIDE


def _photo_rows(root: Path | None) -> list[dict[str, Any]]:
    return [r for r in list_shipped(root) if is_photo(r["dataset"])]


def photo_model(root: Path | None = None) -> tuple[str | None, str]:
    """(the shipped photo model auto uses for photographs, or None; why, in one clause)."""
    rows = _photo_rows(root)
    scored = [r for r in rows if r["gain_db"] is not None]
    winners = sorted((r for r in scored if r["gain_db"] >= 0), key=lambda r: -r["gain_db"])
    if winners:
        best = winners[0]
        return best["name"], f"{best['gain_db']:+.2f} dB over bicubic on the held-out photos"
    unscored = [r for r in rows if r["name"] == PHOTO_PREFERRED and r["gain_db"] is None]
    if unscored:
        return PHOTO_PREFERRED, "no recorded score on the held-out photos yet"
    if scored:
        best = max(scored, key=lambda r: r["gain_db"])
        return None, (f"no shipped photo model beats bicubic on the held-out photos (best: {best['name']}, "
                      f"{best['gain_db']:+.2f} dB)")
    return None, "no photo model is shipped"


def _fashion_model(root: Path | None) -> str:
    rows = list_shipped(root)
    names = [r["name"] for r in rows]
    if FASHION_DEFAULT in names:
        return FASHION_DEFAULT
    fm = [r["name"] for r in rows if r["dataset"] == "fashion-mnist"]
    if fm or names:
        return (fm or names)[0]
    raise UserError("no shipped checkpoint for the 'auto' model (assets/checkpoints is empty); pick a model by "
                    "name, e.g. run:NAME or a checkpoint path")


def _text(name: str, root: Path | None) -> str:
    row = next((r for r in list_shipped(root) if r["name"] == name), {})
    return trained_on_text(row)


def default_model_for(image: Any, root: Path | None = None) -> tuple[str, str]:
    """(shipped checkpoint name, one-line note saying why) that ``auto`` uses for ``image`` (see
    :func:`is_photograph` for what ``image`` may be). ``root``: the shipped folder (tests)."""
    if not is_photograph(image):
        name = _fashion_model(root)
        return name, f"auto: a small grey image → {name} (trained on {_text(name, root)})"
    photo, why = photo_model(root)
    if photo is not None:
        return photo, f"auto: a photograph → {photo} (trained on {_text(photo, root)}; {why})"
    name = _fashion_model(root)
    return name, (f"auto: a photograph, but {why}, so {name} (trained on {_text(name, root)}, not on "
                  f"photographs) is used")
