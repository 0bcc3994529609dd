"""The model a Compare/Spectra/Latent page opens on: pick a trained run, a shipped checkpoint or a
file (:func:`pick_checkpoint`), further models beside it (:func:`pick_more_models`), load them through
``st.cache_resource`` keyed by file version, and the common page header (:func:`model_page_header`).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from sr_core.data import recorded_data_dir
from sr_core.errors import UserError
from sr_core.photos import is_photo_dataset
from sr_core.runs.catalog import Entry, catalog, display_label, load_path, shipped_entries
from sr_core.runs.store import runs_root
from sr_core.runs.listing import list_runs
from sr_core.runs.shipped import SHIPPED_DIR
from sr_core.runs.trained_on import trained_on_text

from ui.labels import SHIPPED_PREFIX, shipped_label
from ui.set_level import LoadedModel
from ui.studio.widgets import PAGES, load_test_split, page_setup, require_dataset

def _run_label(row: dict[str, Any]) -> str:
    label = (f"{row['name']}  ·  {row.get('model', '?')}  ·  {trained_on_text(row, short=True)}  ·  "
             f"step {row.get('step', 0)}/{row.get('total_steps') or '?'}")
    return f"{label}  ·  {row['note']}" if row.get("note") else label


def entry_text(label: str, entry: Entry | None) -> str:
    """How a picker shows a catalog label: with the data it was trained on, e.g.
    ``shipped · cnn-vae-photo · photos`` (the label itself stays the widget's value)."""
    return label if entry is None else f"{label} · {trained_on_text(entry, short=True)}"


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
    shipped = shipped_entries()
    sources = ["Trained run", "Shipped checkpoint", "Checkpoint file"]
    default = 1 if (shipped and not usable) else 0
    source = st.radio("Model source", sources, index=default, horizontal=True, key=f"{key}_source")
    if source == "Shipped checkpoint":
        if not shipped:
            st.info(f"No shipped checkpoints in `{SHIPPED_DIR}`.")
            st.stop()
        names = list(shipped)
        name = st.selectbox("Shipped checkpoint (read-only, trained by scripts/make_checkpoints.py)", names,
                            index=names.index("cnn-vae") if "cnn-vae" in names else 0, key=f"{key}_shipped",
                            format_func=lambda n: entry_text(n, shipped.get(n)))
        path = shipped[name].path
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


def catalog_entries() -> dict[str, Entry]:
    """Every checkpoint a page can offer (:func:`sr_core.runs.catalog.catalog`): {display label: entry};
    trained runs by name, then the shipped ones as ``shipped · <name>`` (read-only)."""
    try:
        entries = catalog(check=True, shipped_first=False)
    except UserError:  # an unusable runs folder: pick_checkpoint already said so
        entries = shipped_entries()
    return {display_label(e): e for e in entries.values()}


def checkpoint_catalog() -> dict[str, Path]:
    """:func:`catalog_entries` as {display label: checkpoint path}."""
    return {label: e.path for label, e in catalog_entries().items()}


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
    entries = catalog_entries()
    catalog = {label: e.path for label, e in entries.items()}
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
                            format_func=lambda label: entry_text(label, entries.get(label)),
                            help="Trained runs and shipped checkpoints, each with the data it was trained on; "
                                 "each gets its own column and table rows.")
    return primary_label, {label: catalog[label] for label in chosen}


def checkpoint_key(path: Path) -> tuple[str, float, int]:
    """(resolved path, mtime, size): the cache key of a checkpoint; a rewritten file gets a new key."""
    stat = path.stat()
    return str(path.resolve()), stat.st_mtime, stat.st_size


def load_checked(path: Path) -> tuple[Any, dict[str, Any], tuple[str, float, int]]:
    """(model in eval mode, checkpoint info, cache key); a missing or unreadable file is a UserError."""
    model, info = load_path(path)  # the core's one load cache (by file version); missing file: UserError
    return model, info, checkpoint_key(path)


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
            f"trained on {trained_on_text(tc)} · degradation {tc.get('degradation', 'box')} · "
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
    root = recorded_data_dir(path.parent, dataset)  # a run finds the data folder it trained on again
    if not is_photo_dataset(dataset):  # photos ship with scikit-image: nothing to check
        require_dataset(dataset, root)
    return PageModel(path, model, info, ckey, dataset, degradation, load_test_split(dataset, root))


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
