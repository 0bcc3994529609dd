"""Streamlit pieces the pages share: page setup, the job registry, dataset status, model picking.

Only this module (and the pages) import Streamlit; the compute lives in :mod:`ui.compare`, :mod:`ui.set_level`, :mod:`ui.spectra` and the
figures in :mod:`ui.figures`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st
import torch

from sr_core.checkpoint import model_from_checkpoint
from sr_core.data import RAW_FILES, DATASETS, check_dataset, load_split, missing_message, resolve_data_dir
from sr_core.errors import UserError
from sr_core.runs import list_runs, runs_root
from sr_core.shipped import SHIPPED_DIR, shipped_checkpoints

from .images import png_size
from .jobs import JobRegistry, default_torch_threads
from .labels import SHIPPED_PREFIX, shipped_label
from .set_level import LoadedModel

APP_NAME = "VAE SR Studio"
PAGES = {
    "home": "app.py",
    "train": "pages/1_Train.py",
    "compare": "pages/2_Compare.py",
    "latent": "pages/2_Latent.py",
    "spectra": "pages/3_Spectra.py",
    "runs": "pages/4_Runs.py",
    "sweeps": "pages/5_Sweeps.py",
}
# The sidebar navigation (config: client.showSidebarNavigation = false hides the automatic one,
# which would call the home page "app").
# Icons: Material Symbols, a font bundled with Streamlit (works offline; emoji need a system emoji font).
NAV = (("home", "Home", ":material/home:"), ("train", "Train", ":material/model_training:"),
       ("compare", "Compare", ":material/compare:"), ("latent", "Latent", ":material/grid_on:"),
       ("spectra", "Spectra", ":material/show_chart:"),
       ("runs", "Runs", ":material/folder_open:"), ("sweeps", "Sweeps", ":material/stacked_line_chart:"))
# Pixel-exact images: PNGs are zoomed with nearest neighbour already; if the browser has to scale an
# image further it must not blur it either. A style-only st.html goes to the event container (no space).
_CSS = """<style>
[data-testid="stImage"] img, [data-testid="stImageContainer"] img { image-rendering: pixelated; }
.cmp-title { min-height: 3.9em; line-height: 1.3; }  /* Compare grid: images in a row line up */
</style>"""


def page_setup(title: str, icon: str) -> None:
    """Page config (wide layout, emoji favicon), sidebar links, pixel-exact CSS and torch threads."""
    st.set_page_config(page_title=f"{title} · {APP_NAME}", page_icon=icon, layout="wide")
    st.html(_CSS)
    with st.sidebar:
        st.markdown(f"**{APP_NAME}**")
        for key, label, nav_icon in NAV:
            st.page_link(PAGES[key], label=label, icon=nav_icon)
    threads = default_torch_threads()
    if torch.get_num_threads() != threads:  # this script thread and those started later (see ui.jobs)
        torch.set_num_threads(threads)


@st.cache_resource(show_spinner=False)
def job_registry() -> JobRegistry:
    """The one job registry of this server process (shared by every session and tab)."""
    return JobRegistry()


def data_dir() -> Path:
    """The data root the core uses ($SR_DATA_DIR or ./data), absolute."""
    return resolve_data_dir(None).resolve()


def dataset_missing_notice(name: str = "fashion-mnist", *, download_hint: bool = True) -> bool:
    """Show what is missing and how to fix it; returns True when the dataset is complete."""
    missing = check_dataset(name)
    if not missing:
        return True
    folder = data_dir() / DATASETS[name][1] / "raw"
    st.error(missing_message(name))
    lines = "\n".join(f"{folder / f}{'   (missing)' if f in missing else ''}" for f in RAW_FILES)
    st.markdown(f"**Offline?** Copy the four raw files of {name} into `{folder}` "
                f"(or start the app with `SR_DATA_DIR=<folder that has {DATASETS[name][1]}/raw/>`):")
    st.code(lines, language=None)
    if download_hint:
        st.page_link(PAGES["home"], label="Download it from the Home page", icon=":material/download:")
    return False


def require_dataset(name: str = "fashion-mnist") -> None:
    """Stop the page with instructions (never a traceback) when the dataset is missing."""
    if not dataset_missing_notice(name):
        st.stop()


def load_test_split(name: str):
    """The test split of ``name`` (in-memory, cached by the core); a one-line error stops the page."""
    try:
        return load_split(name, train=False, download=False)
    except UserError as exc:
        st.error(str(exc))
        st.stop()


def fmt_duration(seconds: float | None) -> str:
    """``42 s``, ``3 min 05 s``, ``1 h 02 min``; ``–`` for None or a non-finite value."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    m, s = divmod(seconds, 60)
    if m < 60:
        return f"{m} min {s:02d} s"
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min"


def show_png(data: bytes, caption: str | None = None) -> None:
    """Show PNG bytes at their own width (so Streamlit neither resizes nor re-encodes them)."""
    st.image(data, caption=caption, width=png_size(data)[0], output_format="PNG")


# ---------------------------------------------------------------- picking and loading a model

def _run_label(row: dict[str, Any]) -> str:
    label = f"{row['name']}  ·  {row.get('model', '?')}  ·  step {row.get('step', 0)}/{row.get('total_steps') or '?'}"
    return f"{label}  ·  {row['note']}" if row.get("note") else label


def pick_checkpoint(key: str) -> Path:
    """Widgets to choose a trained run, a shipped checkpoint or a checkpoint file; stops the page when there is none.

    With no trained run yet the page opens on a shipped checkpoint, so a newcomer sees results before
    training. The chosen run is remembered across pages in ``st.session_state["selected_run"]``.
    """
    try:
        runs = list_runs(check=True)  # never cached (checkpoint checks are cached per file version in the core)
    except UserError as exc:  # the runs folder itself is unusable: the other sources still work
        st.error(str(exc))
        runs = []
    usable = {r["name"]: r for r in runs if not r["error"] and r.get("has_checkpoint")}
    broken = [r for r in runs if r["error"]]
    shipped = shipped_checkpoints()
    sources = ["Trained run", "Shipped checkpoint", "Checkpoint file"]
    default = 1 if (shipped and not usable) else 0
    source = st.radio("Model source", sources, index=default, horizontal=True, key=f"{key}_source")
    if source == "Shipped checkpoint":
        if not shipped:
            st.info(f"No shipped checkpoints in `{SHIPPED_DIR}`.")
            st.stop()
        names = list(shipped)
        name = st.selectbox("Shipped checkpoint (read-only, trained by scripts/make_checkpoints.py)", names,
                            index=names.index("cnn-vae") if "cnn-vae" in names else 0, key=f"{key}_shipped")
        path = shipped[name]
    elif source == "Trained run":
        if not usable:
            st.info(f"No trained run with a checkpoint in `{runs_root().resolve()}` yet.")
            st.page_link(PAGES["train"], label="Train a model first", icon=":material/model_training:")
            st.stop()
        names = list(usable)
        wkey = f"{key}_run"
        if st.session_state.get(wkey) not in names:
            remembered = st.session_state.get("selected_run")
            st.session_state[wkey] = remembered if remembered in names else names[0]
        name = st.selectbox("Run", names, key=wkey, format_func=lambda n: _run_label(usable[n]))
        st.session_state["selected_run"] = name
        path = Path(usable[name]["path"]) / "checkpoint.pt"
    else:
        text = st.text_input("Checkpoint file (.pt)", key=f"{key}_file",
                             placeholder="runs/<run name>/checkpoint.pt")
        if not text.strip():
            st.info("Type the path of a checkpoint written by sr_core.")
            st.stop()
        path = Path(text.strip()).expanduser()
    if broken:
        st.caption(f"{len(broken)} run(s) in the runs folder cannot be used (see the Runs page): "
                   + ", ".join(r["name"] for r in broken))
    return path


def checkpoint_catalog() -> dict[str, Path]:
    """Every checkpoint a page can offer: {label: path}; trained runs by name, then the shipped ones
    as ``shipped · <model>`` (read-only)."""
    try:
        runs = list_runs(check=True)
    except UserError:  # an unusable runs folder: pick_checkpoint already said so
        runs = []
    out = {r["name"]: Path(r["path"]) / "checkpoint.pt" for r in runs if not r["error"] and r.get("has_checkpoint")}
    out.update({shipped_label(name): path for name, path in shipped_checkpoints().items()})
    return out


def checkpoint_label(path: Path, catalog: dict[str, Path]) -> str:
    """The label of ``path`` in ``catalog`` (:func:`checkpoint_catalog`), else the file path as typed."""
    resolved = path.resolve() if path.exists() else path
    for label, p in catalog.items():
        if p.resolve() == resolved:
            return label
    return str(path)


def pick_more_models(key: str, primary: Path, *, newcomer_models: tuple[str, ...] = (),
                     max_models: int = 3) -> tuple[str, dict[str, Path]]:
    """A multiselect of further checkpoints to show beside the primary one.

    Returns (the primary's label, {label: path} of the chosen ones). The first time the page opens in a
    session on a shipped checkpoint (a newcomer), the shipped ``newcomer_models`` are chosen; labels
    that vanished later (a deleted run) are dropped quietly.
    """
    catalog = checkpoint_catalog()
    primary_label = checkpoint_label(primary, catalog)
    options = [label for label in catalog if label != primary_label]
    wkey = f"{key}_more"
    if wkey in st.session_state:
        st.session_state[wkey] = [x for x in st.session_state[wkey] if x in options]
    else:
        newcomer = primary_label.startswith(SHIPPED_PREFIX)
        default = [shipped_label(m) for m in newcomer_models] if newcomer else []
        st.session_state[wkey] = [x for x in default if x in options]
    chosen = st.multiselect(f"Compare with (up to {max_models} more models)", options, key=wkey,
                            max_selections=max_models, persist_state="session",
                            help="Trained runs and shipped checkpoints; each gets its own column and table rows.")
    return primary_label, {label: catalog[label] for label in chosen}


@st.cache_resource(max_entries=8, show_spinner="Loading checkpoint…")
def load_model_cached(path: str, mtime: float, size: int) -> tuple[Any, dict[str, Any]]:
    model, ckpt = model_from_checkpoint(path)
    info = {k: ckpt.get(k) for k in ("model_name", "model_config", "train_config", "step", "extra")}
    return model, info


def checkpoint_key(path: Path) -> tuple[str, float, int]:
    """(resolved path, mtime, size): the cache key of a checkpoint; a rewritten file gets a new key."""
    stat = path.stat()
    return str(path.resolve()), stat.st_mtime, stat.st_size


def load_checked(path: Path) -> tuple[Any, dict[str, Any], tuple[str, float, int]]:
    """(model in eval mode, checkpoint info, cache key); a missing or unreadable file is a UserError."""
    try:
        key = checkpoint_key(path)
    except OSError:
        raise UserError(f"checkpoint {path} does not exist; pick another model or type the path of a .pt file") from None
    model, info = load_model_cached(*key)
    return model, info, key


def load_model_or_stop(path: Path) -> tuple[Any, dict[str, Any], tuple[str, float, int]]:
    """:func:`load_checked`; its one-line error stops the page."""
    try:
        return load_checked(path)
    except UserError as exc:
        st.error(str(exc))
        st.stop()


def load_model_or_none(path: Path, label: str) -> tuple[Any, tuple[str, float, int]] | None:
    """(model in eval mode, cache key) of ``path``, or None after a one-line error naming ``label``
    (the page goes on without that model)."""
    try:
        model, _, key = load_checked(path)
    except UserError as exc:
        st.error(f"'{label}': {exc}")
        return None
    return model, key


def model_caption(info: dict[str, Any]) -> str:
    tc = info.get("train_config") or {}
    return (f"`{info.get('model_name')}` · step {info.get('step')} of {tc.get('steps', '?')} · "
            f"dataset {tc.get('dataset', 'fashion-mnist')} · degradation {tc.get('degradation', 'box')} · "
            f"preset {tc.get('preset') or '–'}")


@dataclass
class PageModel:
    """The model a Compare/Spectra page opened on, and the data it is shown with."""

    path: Path                       # checkpoint file
    model: Any                       # the loaded model, eval mode
    info: dict[str, Any]             # model_name, train_config, step, ... of the checkpoint
    ckpt: tuple[str, float, int]     # cache key: resolved path, mtime, size
    dataset: str                     # the run's dataset (test split shown)
    degradation: str                 # the run's LR degradation
    split: Any                       # sr_core.data.Split, the test split of ``dataset``


def model_page_header(title: str, icon: str, key: str) -> PageModel:
    """The common top of Compare and Spectra: title, checkpoint picker, model, dataset check.

    Stops the page with a message when the checkpoint or the dataset is unusable.
    """
    page_setup(title, icon)
    st.title(title)
    path = pick_checkpoint(key)
    model, info, ckey = load_model_or_stop(path)
    st.caption(model_caption(info))
    tc = info.get("train_config") or {}
    dataset, degradation = tc.get("dataset", "fashion-mnist"), tc.get("degradation", "box")
    require_dataset(dataset)
    return PageModel(path, model, info, ckey, dataset, degradation, load_test_split(dataset))


def chosen_models(key: str, head: PageModel, *, newcomer_models: tuple[str, ...] = (),
                  max_models: int = 3) -> list[LoadedModel]:
    """The page's model first, then the ones picked in :func:`pick_more_models` that load
    (a broken one is a one-line error and is left out)."""
    primary, more = pick_more_models(key, head.path, newcomer_models=newcomer_models, max_models=max_models)
    out = [LoadedModel(primary, head.model, head.ckpt)]
    for label, p in more.items():
        loaded = load_model_or_none(p, label)
        if loaded is not None:
            out.append(LoadedModel(label, *loaded))
    return out
