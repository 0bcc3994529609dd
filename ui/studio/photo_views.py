"""The photo parts of the Compare and Spectra pages (Streamlit); the work is :mod:`ui.photo_compare`.

Each model's SR of a whole photo is cached per (checkpoint file version, photo, degradation) with
``st.cache_resource`` (the same objects are handed back, nothing is copied), so moving the crop box only
crops, zooms and encodes a few PNGs.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from sr_core.errors import UserError
from sr_core.photos import is_photo_dataset, trained_on
from sr_core.runs.catalog import load_path

from ui.compare import title_html
from ui.photo_compare import (BOX_SIZES, DEFAULT_BOX, NOT_FOR_PHOTOS, PHOTOS, PhotoSR, centre_box, clamp_box,
                            crop_png, crop_spectra_images, load_photo, metrics_rows, overview_png, photo_sr,
                            protocol_caption)
from ui.set_level import LoadedModel
from ui.studio.widgets import show_png

P = "session"
SOURCES = {"digits": "28×28 test images (the model's dataset)",
           "photos": f"Photos (held-out: {', '.join(PHOTOS)})"}


def data_source(key: str, dataset: str) -> bool:
    """The page's data choice; True for the held-out photos (the default for a photo-trained model)."""
    st.session_state.setdefault(f"{key}_data", "photos" if is_photo_dataset(dataset) else "digits")
    return st.radio("Data", list(SOURCES), format_func=SOURCES.get, horizontal=True, key=f"{key}_data",
                    persist_state=P) == "photos"


@st.cache_resource(max_entries=64, show_spinner="Super-resolving the whole photo…")
def cached_photo_sr(ckpt: tuple[str, float, int], name: str, degradation: str, _model: Any) -> PhotoSR:
    """:func:`ui.photo_compare.photo_sr`, once per (checkpoint file version, photo, degradation)."""
    return photo_sr(_model, name, degradation)


def trained_on_line(m: LoadedModel) -> str:
    """``trained on: ...`` of a loaded model's checkpoint (the core's load cache answers)."""
    try:
        return trained_on(load_path(Path(m.ckpt[0]))[1])
    except UserError as exc:
        return f"trained on: unknown ({exc})"


def usable_models(models: list[LoadedModel]) -> list[LoadedModel]:
    """The models that can run on a photo; a caption names the class-conditioned ones left out."""
    conditioned = [m.label for m in models if type(m.model).takes_labels]
    if conditioned:
        st.caption(f"Not shown on photos: {', '.join(f'`{c}`' for c in conditioned)} — a class-conditioned "
                   f"decoder needs a class label, and photos have none.")
    return [m for m in models if not type(m.model).takes_labels]


def crop_box(key: str, name: str) -> tuple[int, int, int]:
    """Photo-independent widgets for the crop box (HR pixels); values are clamped into the photo first."""
    h, w = load_photo(name).shape[:2]
    h, w = h - h % 2, w - w % 2
    size_key, x_key, y_key = f"{key}_box", f"{key}_x", f"{key}_y"
    c1, c2, c3 = st.columns([1, 2, 2])
    side = int(c1.selectbox("Box size (HR px)", BOX_SIZES, index=BOX_SIZES.index(DEFAULT_BOX), key=size_key,
                            persist_state=P))
    cx, cy, side = centre_box(h, w, side)
    x0, y0, side = clamp_box(st.session_state.get(x_key, cx), st.session_state.get(y_key, cy), side, h, w)
    st.session_state[x_key], st.session_state[y_key] = x0, y0
    x = int(c2.slider("Box left (x)", 0, w - side, step=2, key=x_key))
    y = int(c3.slider("Box top (y)", 0, h - side, step=2, key=y_key))
    return clamp_box(x, y, side, h, w)


def photo_and_box(key: str) -> tuple[str, tuple[int, int, int]]:
    """The photo choice and its crop box."""
    name = st.selectbox("Held-out photo (never trained on)", PHOTOS, key=f"{key}_photo", persist_state=P)
    return name, crop_box(key, name)


def results_for(models: list[LoadedModel], name: str, degradation: str) -> dict[str, PhotoSR]:
    return {m.label: cached_photo_sr(m.ckpt, name, degradation, m.model) for m in models}


def zoom_cell(title: str, png: bytes, caption: str, width: int) -> None:
    with st.container(width=width):
        st.markdown(title_html(title), unsafe_allow_html=True)
        show_png(png, caption=caption)


def compare_photos(models: list[LoadedModel], degradation: str) -> None:
    """Fragment: a held-out photo whole with the crop box, the box pixel-exact for HR | LR | bicubic | each
    model, and per-model metrics on the whole photo under the photo protocol."""
    st.caption(NOT_FOR_PHOTOS)
    models = usable_models(models)
    if not models:
        st.info("No chosen model runs on photos; add one under 'Compare with' (e.g. shipped · resnet-sr).")
        return
    name, (x, y, side) = photo_and_box("cmp")
    results = results_for(models, name, degradation)
    first = next(iter(results.values()))
    h, w = first.truth.shape[:2]
    trained = {m.label: trained_on_line(m) for m in models}
    st.image(overview_png(first.truth, x, y, side), width=w, caption=f"{name}, the whole {w}×{h} photo (at its own "
             f"size, or scaled down to fit the column), box {side}×{side} at ({x}, {y}); the crops below are pixel-exact")
    hr_png, hz = crop_png(first.truth, x, y, side)
    lr_png, lz = crop_png(first.lr, x, y, side, lr=True)
    cell_w = max(side * hz, 150) + 8
    with st.container(horizontal=True, wrap=True, gap="small"):
        zoom_cell("HR (truth)", hr_png, f"{side}×{side}, shown {hz}×", cell_w)
        zoom_cell("LR input", lr_png, f"{side // 2}×{side // 2}, shown {lz}×", cell_w)
        zoom_cell("Bicubic", crop_png(first.bicubic, x, y, side)[0], f"from the same LR, shown {hz}×", cell_w)
    with st.container(horizontal=True, wrap=True, gap="small"):
        for label, r in results.items():
            zoom_cell(f"SR · {label}", crop_png(r.sr, x, y, side)[0],
                      f"whole photo: {r.scores['sr']['psnr']:.2f} dB · {trained[label]}", cell_w)
    st.markdown("**Whole-photo metrics**")
    st.table(metrics_rows(results, trained))
    st.caption(protocol_caption(name, degradation, (w, h)))
    for note in dict.fromkeys(n for r in results.values() for n in r.notes):
        st.caption(note)


def spectra_crop(models: list[LoadedModel], degradation: str) -> tuple[str, tuple[int, int, int],
                                                                        dict[str, dict[str, Any]]] | None:
    """Widgets of Spectra's photo view: (photo, box, {model label: crop images for
    :func:`ui.spectra.spectra_summary`}), or None when no chosen model runs on photos."""
    models = usable_models(models)
    if not models:
        st.info("No chosen model runs on photos; add one under 'Compare with'.")
        return None
    name, (x, y, side) = photo_and_box("spec")
    results = results_for(models, name, degradation)
    first = next(iter(results.values()))
    st.image(overview_png(first.truth, x, y, side), width=min(480, first.truth.shape[1]),
             caption=f"{name} with the {side}×{side} box at ({x}, {y}) whose spectra are drawn (image scaled)")
    return name, (x, y, side), {label: crop_spectra_images(r, x, y, side) for label, r in results.items()}


def trained_on_caption(models: list[LoadedModel]) -> None:
    """One caption naming each chosen model's training data (``trained on: ...``)."""
    st.caption(" · ".join(f"`{m.label}` {trained_on_line(m)}" for m in models))
