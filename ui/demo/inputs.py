"""The demo's inputs, bounded before anything is decoded (Gradio side; the limits are sr_core.imaging.io's).

* :class:`ImageFile` — ``gr.Image`` whose callback gets the file undecoded (path or bytes); a ``data:``
  URL is refused by its encoded length before base64 decoding (:func:`sr_core.imaging.io.data_url_bytes`).
* :class:`BoundedSketchpad` — ``gr.Sketchpad`` whose background, layers and composite are checked from
  their file size and image header (Pillow's lazy open) before Gradio decodes them, with at most
  :data:`MAX_LAYERS` layers; its blob route (``accept_blobs``) bounds the layer index, the blob size and
  the number of pending drawings it keeps.
* :func:`check_api_args` — the API's arguments of the wrong type or range named in one line.

Every refusal is a :class:`sr_core.errors.UserError` (the demo's ``guarded`` turns it into one line) or,
inside Gradio's preprocessing, a ``gr.Error``. No Streamlit import.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

import gradio as gr
from gradio.components.base import server

from sr_core.errors import UserError
from sr_core.imaging.io import MAX_FILE_BYTES, MAX_INPUT_SIDE, ImageInputError, data_url_bytes, probe_image

MAX_LAYERS = 8          # sketchpad layers accepted per drawing
MAX_PENDING_BLOBS = 16  # drawings whose blobs wait for their request (oldest dropped)


def _error(exc: UserError) -> gr.Error:
    return gr.Error(str(exc), print_exception=False)


class ImageFile(gr.Image):
    """``gr.Image`` (same widget: upload, clipboard) whose callback gets the file undecoded (path or bytes),
    so ``sr_core.imaging.io`` judges bad files with a one-line message instead of Pillow failing first."""

    is_template = True  # the browser side is gr.Image's

    def preprocess(self, payload: Any) -> str | bytes | None:  # noqa: D102
        if payload is None:
            return None
        if payload.url and payload.url.startswith("data:"):
            try:
                return data_url_bytes(payload.url, name="the image")
            except UserError as exc:
                raise _error(exc) from None
        return payload.path


def _check_file(item: Any, what: str) -> None:
    """One sketchpad image (FileData or bytes) within the file and side limits, from its header only."""
    if item is None:
        return
    if isinstance(item, (bytes, bytearray)):
        probe_image(item, name=what, max_side=MAX_INPUT_SIDE)
        return
    url = getattr(item, "url", None) or ""
    if url.startswith("data:"):
        probe_image(data_url_bytes(url, name=what), name=what)
        return
    probe_image(item.path, name=what, max_side=MAX_INPUT_SIDE)


class BoundedSketchpad(gr.Sketchpad):
    """``gr.Sketchpad`` whose inputs are bounded before Gradio decodes them (see the module docstring)."""

    is_template = True  # the browser side is gr.Sketchpad's

    def get_block_name(self) -> str:
        """The Svelte component gr.Sketchpad itself uses (it is a template of the image editor: the
        default rule would name a "sketchpad" component that the browser does not have)."""
        return gr.Sketchpad.get_block_name(gr.Sketchpad.__new__(gr.Sketchpad))

    # No __init__ of its own: Gradio records a component's constructor arguments (elem_id, label, ...) from
    # the decorated __init__ and sends them to the browser; an override hid them (no elem_id, no canvas).

    def preprocess(self, payload: Any) -> Any:  # noqa: D102
        if payload is None:
            return None
        parts = payload
        if payload.id is not None:
            parts = self.blob_storage.get(payload.id)
        try:
            if parts is not None:
                layers = list(parts.layers or [])
                if len(layers) > MAX_LAYERS:
                    raise ImageInputError(f"the drawing has {len(layers)} layers, above the limit of {MAX_LAYERS}; "
                                          f"merge or delete layers")
                _check_file(parts.background, "the sketchpad's background")
                for i, layer in enumerate(layers):
                    _check_file(layer, f"sketchpad layer {i + 1}")
                _check_file(parts.composite, "the drawing")
        except UserError as exc:
            if payload.id is not None:
                self.blob_storage.pop(payload.id, None)
            raise _error(exc) from None
        return super().preprocess(payload)

    @server
    def accept_blobs(self, data: Any) -> None:
        """Gradio's blob route, bounded: layer index < :data:`MAX_LAYERS`, each blob within the file size
        limit, at most :data:`MAX_PENDING_BLOBS` drawings kept (oldest dropped)."""
        if not isinstance(self.blob_storage, OrderedDict):  # Gradio makes a dict; oldest-first eviction needs order
            self.blob_storage = OrderedDict(self.blob_storage)  # type: ignore[assignment]
        raw = data.data.get("index")
        if raw not in (None, "", "null"):
            try:
                index = int(raw)
            except (TypeError, ValueError):
                raise gr.Error(f"layer index {str(raw)[:20]!r} is not a whole number", print_exception=False) from None
            if not 0 <= index < MAX_LAYERS:
                raise gr.Error(f"layer {index} is outside 0..{MAX_LAYERS - 1} (at most {MAX_LAYERS} layers)",
                               print_exception=False)
        files = data.files or []
        if not files or len(files[0][1]) > MAX_FILE_BYTES:
            raise gr.Error(f"a drawing's image must be one file of at most {MAX_FILE_BYTES // 2**20} MiB",
                           print_exception=False)
        super().accept_blobs(data)
        self.blob_storage.move_to_end(data.data["id"])
        while len(self.blob_storage) > MAX_PENDING_BLOBS:
            self.blob_storage.popitem(last=False)


class RawSlider(gr.Slider):
    """``gr.Slider`` passing the value through unchecked: :func:`check_api_args` names a bad one by its
    argument (Gradio's own check says only "component at index 4")."""

    is_template = True

    def preprocess(self, payload: Any) -> Any:  # noqa: D102
        return payload


class RawNumber(gr.Number):
    """``gr.Number`` passing the value through unchecked (see :class:`RawSlider`)."""

    is_template = True

    def preprocess(self, payload: Any) -> Any:  # noqa: D102
        return payload


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UserError(f"argument '{name}' must be a number (got {type(value).__name__} {str(value)[:40]!r})")
    if not math.isfinite(value):
        raise UserError(f"argument '{name}' must be a finite number (got {value}); e.g. 0.5")
    return float(value)


def check_api_args(model_name: Any, mode: Any, degradation: Any, temperature: Any, samples: Any, seed: Any,
                   *, modes: list[str], degradations: list[str], max_samples: int) -> tuple[float, int, int]:
    """One-line UserError naming the first argument of the wrong type or range; returns (temperature,
    samples, seed) as numbers (seed folded into 0..2**32-1 as before)."""
    for name, value, allowed in (("model", model_name, None), ("mode", mode, modes),
                                 ("degradation", degradation, degradations)):
        if not isinstance(value, str):
            raise UserError(f"argument '{name}' must be a text (got {type(value).__name__} {str(value)[:40]!r})"
                            + (f"; one of: {', '.join(allowed)}" if allowed else "; a model name"))
        if allowed is not None and value not in allowed:
            raise UserError(f"argument '{name}' must be one of: {', '.join(allowed)} (got {value[:40]!r})")
    t = _number(temperature, "temperature")
    n = _number(samples, "samples")
    s = _number(seed, "seed")
    if n != int(n) or not 1 <= n <= max_samples:
        raise UserError(f"argument 'samples' must be a whole number from 1 to {max_samples} (got {samples})")
    if s != int(s):
        raise UserError(f"argument 'seed' must be a whole number (got {seed})")
    return t, int(n), int(s) % 2**32
