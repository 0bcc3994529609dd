"""Streamlit pieces every page shares: the page registry and setup, the job registry, dataset status
and pixel-exact images. Picking and loading a model is :mod:`ui.studio.model_picker`.

Only the Streamlit modules of ``ui/`` (this one, :mod:`ui.studio.model_picker`) and the pages import Streamlit;
the compute lives in :mod:`ui.compare`, :mod:`ui.set_level`, :mod:`ui.spectra`, :mod:`ui.train_view` and
the figures in :mod:`ui.figures`.
"""
from __future__ import annotations

import os
from pathlib import Path

from typing import Any

import streamlit as st
import torch

from sr_core.data import RAW_FILES, DATASETS, check_dataset, load_split, missing_message, resolve_data_dir
from sr_core.errors import UserError

from ui.images import png_size
from ui.jobs import default_torch_threads

APP_NAME = "VAE SR Studio"
PAGES = {key: f"pages/{key}.py" for key in ("home", "train", "compare", "latent", "spectra", "runs", "sweeps")}
# The router's pages (app.py: st.navigation draws the sidebar from these): key, title, icon.
# Icons: Material Symbols, a font bundled with Streamlit (works offline; emoji need a system emoji font).
NAV = (("home", "Home", ":material/home:"), ("train", "Train", ":material/model_training:"),
       ("compare", "Compare", ":material/compare:"), ("latent", "Latent", ":material/grid_on:"),
       ("spectra", "Spectra", ":material/show_chart:"),
       ("runs", "Runs", ":material/folder_open:"), ("sweeps", "Sweeps", ":material/stacked_line_chart:"))


def navigation() -> Any:
    """The studio's router: one ``st.Page`` per entry of :data:`NAV` (URL ``/<key>``, Home at ``/``)."""
    pages = [st.Page(PAGES[key], title=title, icon=icon, url_path=key, default=key == "home")
             for key, title, icon in NAV]
    # An emoji favicon before the router runs: a page's :material/…: icon as favicon would be fetched
    # from fonts.gstatic.com (the browser must make no outside request); each page sets its own after.
    st.set_page_config(page_title=APP_NAME, page_icon="🔍", layout="wide")
    return st.navigation(pages)
# Pixel-exact images: PNGs are zoomed with nearest neighbour already; if the browser has to scale an
# image further it must not blur it either. A style-only st.html goes to the event container (no space).
_CSS = """<style>
[data-testid="stImage"] img, [data-testid="stImageContainer"] img { image-rendering: pixelated; }
/* never wider than its column (a narrow window shrinks a strip instead of letting it run into a neighbour) */
[data-testid="stImage"] img { max-width: 100%; height: auto; }
.cmp-title { min-height: 3.9em; line-height: 1.3; font-size: 0.85rem; }  /* Compare grid: images in a row line up */
</style>"""


def page_setup(title: str, icon: str) -> None:
    """Page config (wide layout, emoji favicon), pixel-exact CSS and torch threads (the sidebar's links
    are the router's, app.py)."""
    st.set_page_config(page_title=f"{title} · {APP_NAME}", page_icon=icon, layout="wide")
    st.html(_CSS)
    threads = default_torch_threads()
    if torch.get_num_threads() != threads:  # this script thread and those started later (see ui.jobs)
        torch.set_num_threads(threads)


def data_dir() -> Path:
    """The data root the core uses (see :func:`sr_core.data.resolve_data_dir`), absolute."""
    return resolve_data_dir(None, "fashion-mnist").resolve()


def dataset_missing_notice(name: str = "fashion-mnist", *, download_hint: bool = True,
                           root: str | os.PathLike | None = None) -> bool:
    """Show what is missing and how to fix it; returns True when the dataset is complete.
    ``root``: a data folder to use first (a run's recorded one), else the usual resolution."""
    missing = check_dataset(name, root)
    if not missing:
        return True
    folder = resolve_data_dir(None, name).resolve() / DATASETS[name][1] / "raw"
    st.error(missing_message(name))
    lines = "\n".join(f"{folder / f}{'   (missing)' if f in missing else ''}" for f in RAW_FILES)
    st.markdown(f"**Offline?** Copy the four raw files of {name} into `{folder}` "
                f"(or start the app with `SR_DATA_DIR=<folder that has {DATASETS[name][1]}/raw/>`):")
    st.code(lines, language=None)
    if download_hint:
        st.page_link(PAGES["home"], label="Download it from the Home page", icon=":material/download:")
    return False


def require_dataset(name: str = "fashion-mnist", root: str | os.PathLike | None = None) -> None:
    """Stop the page with instructions (never a traceback) when the dataset is missing (``root``: as
    :func:`dataset_missing_notice`)."""
    if not dataset_missing_notice(name, root=root):
        st.stop()


def load_test_split(name: str, root: str | os.PathLike | None = None):
    """The test split of ``name`` (in-memory, cached by the core) from ``root`` or the usual data folder;
    a one-line error stops the page."""
    try:
        return load_split(name, train=False, data_dir=root, download=False)
    except UserError as exc:
        st.error(str(exc))
        st.stop()


def show_png(data: bytes, caption: str | None = None) -> None:
    """Show PNG bytes at their own width (so Streamlit neither resizes nor re-encodes them)."""
    st.image(data, caption=caption, width=png_size(data)[0], output_format="PNG")


CELL_WIDTH = 116  # px: a 112-px pixel-exact image with its title and caption: 6 a row at 1280, 11 at 1920


def cell_flow():
    """A row of fixed-width cells that wraps to the next line when the window is full: the grids use
    the width they have (about 6 cells a row at 1280 px, 10 at 1920) and never squeeze an image."""
    return st.container(horizontal=True, wrap=True, gap="small")


def cell():
    """One cell of :func:`cell_flow` (:data:`CELL_WIDTH` wide)."""
    return st.container(width=CELL_WIDTH)
