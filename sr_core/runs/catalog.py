"""The one catalog of checkpoints — trained runs and shipped checkpoints — with one label convention,
one resolver and one load cache, used by the CLI, the studio's pages, the demo/API and sweeps.

Labels: a shipped checkpoint is its model name (``resnet-sr``); a trained run is ``run:<run name>``.
:func:`resolve` also takes what people type: a checkpoint file, a run folder, a bare run name, or the
studio's display label ``shipped · <model>``. Loading goes through
:func:`sr_core.checkpoint.model_from_checkpoint` (``weights_only=True``); a model is cached by (path,
modification time, size), so a run that keeps training is reloaded when its checkpoint changes.
Every entry carries the data it was trained on (``dataset``, ``patch``: from config.json, no weights
loaded), worded by :func:`sr_core.runs.trained_on.trained_on_text` wherever a checkpoint is offered.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sr_core.errors import UserError
from sr_core.runs.store import get_run, runs_root
from sr_core.runs.listing import list_runs
from sr_core.runs.shipped import shipped_checkpoints
from sr_core.runs.trained_on import data_fields, read_train_config, trained_on_text

RUN_PREFIX = "run:"
SHIPPED_DISPLAY = "shipped · "  # the studio's display prefix, accepted back by resolve()
_CACHE_SIZE = 8
_cache: OrderedDict[tuple[str, int, int], tuple[Any, dict[str, Any]]] = OrderedDict()
_lock = threading.Lock()


@dataclass(frozen=True)
class Entry:
    """One checkpoint on offer: its label, file, whether it is shipped, its run's listing row, and the
    data it was trained on."""

    label: str
    path: Path
    shipped: bool
    row: dict[str, Any] | None = None  # the run's list_runs row (None for shipped checkpoints)
    dataset: str = "fashion-mnist"     # config.json train.dataset: fashion-mnist, mnist, photos, folder:PATH
    patch: int = 0                     # HR patch side of a photo run (0: the model's default)


def shipped_entries() -> dict[str, Entry]:
    """{folder name: Entry} of the shipped checkpoints, with their training data from config.json."""
    return {name: Entry(name, path, True, None, **data_fields(read_train_config(path.parent)))
            for name, path in shipped_checkpoints().items()}


def _run_entry(label: str, path: Path, row: dict[str, Any]) -> Entry:
    return Entry(label, path, False, row, **data_fields(row))


def catalog(runs_dir: str | os.PathLike | None = None, *, check: bool = False,
            shipped_first: bool = True) -> dict[str, Entry]:
    """Every usable checkpoint by label: shipped ones and runs with a checkpoint (``check``: loads each
    run's checkpoint once per file version and leaves broken ones out)."""
    shipped = shipped_entries()
    runs = {RUN_PREFIX + r["name"]: _run_entry(RUN_PREFIX + r["name"], Path(r["path"]) / "checkpoint.pt", r)
            for r in list_runs(runs_dir, check=check) if not r["error"] and r.get("has_checkpoint")}
    runs = {**runs, **best_entries(runs.values())}
    return {**shipped, **runs} if shipped_first else {**runs, **shipped}


def display_label(entry: Entry) -> str:
    """How the studio lists an entry: a run by its name, a shipped checkpoint as ``shipped · <model>``
    (:func:`resolve` takes either form back)."""
    return SHIPPED_DISPLAY + entry.label if entry.shipped else entry.label[len(RUN_PREFIX):]


def model_choices(runs_dir: str | os.PathLike | None = None) -> list[str]:
    """Every usable label: shipped checkpoints first (by folder name), then runs (``run:<name>``)."""
    return list(catalog(runs_dir, check=True))


def labelled_choices(runs_dir: str | os.PathLike | None = None) -> list[tuple[str, str]]:
    """(shown text, label) of every usable checkpoint, as :func:`model_choices` orders them; the text
    says what it was trained on, short enough for a dropdown: ``cnn-vae-photo · trained on photos``."""
    return [(f"{label} · trained on {trained_on_text(e, short=True)}", label)
            for label, e in catalog(runs_dir, check=True).items()]


def resolve(choice: str, runs_dir: str | os.PathLike | None = None) -> Path:
    """The checkpoint file behind a label, a file or run folder path, or a bare run name (one-line error).

    Order: ``shipped · <model>`` and ``run:<name>`` are explicit; then a file or folder path, a run of
    that name, and last a shipped model name (``run:<name>`` reaches a run named like a model)."""
    text = str(choice).strip()
    if text.endswith(BEST_SUFFIX) and len(text) > len(BEST_SUFFIX):  # RUN@best: the run's best.pt
        return best_of(resolve(text[:-len(BEST_SUFFIX)], runs_dir), text)
    shipped = shipped_checkpoints()
    if text.startswith(SHIPPED_DISPLAY) and text[len(SHIPPED_DISPLAY):] in shipped:
        return shipped[text[len(SHIPPED_DISPLAY):]]
    if text.startswith(RUN_PREFIX):
        return _run_checkpoint(text[len(RUN_PREFIX):], runs_dir)
    p = Path(text).expanduser()
    if p.is_file():
        return p
    if p.is_dir() and (p / "checkpoint.pt").is_file():
        return p / "checkpoint.pt"
    if text in shipped and not (runs_root(runs_dir) / text / "checkpoint.pt").is_file():
        return shipped[text]
    return _run_checkpoint(text, runs_dir)


BEST_SUFFIX = "@best"


def best_entries(entries: Any) -> dict[str, Entry]:
    """``run:NAME@best`` entries for the runs (of ``entries``) that keep a best.pt (sr_core.monitor.early_stop)."""
    out = {}
    for e in entries:
        best = e.path.parent / "best.pt"
        if not e.shipped and best.is_file():
            out[e.label + BEST_SUFFIX] = Entry(e.label + BEST_SUFFIX, best, False, e.row, e.dataset, e.patch)
    return out


def best_of(path: Path, text: str) -> Path:
    """The best.pt beside checkpoint ``path`` (what ``text``, a ``RUN@best`` name, asks for); one line if none."""
    best = path.parent / "best.pt"
    if not best.is_file():
        raise UserError(f"'{text}' has no best.pt: only runs trained with --val-split or --early-stop keep one; "
                        f"use '{text[:-len(BEST_SUFFIX)]}' (its last checkpoint)")
    return best


def _run_checkpoint(name: str, runs_dir: str | os.PathLike | None) -> Path:
    try:
        run = get_run(name, runs_dir)
    except UserError:
        raise UserError(f"'{name}' is not a checkpoint file, a run in {runs_root(runs_dir)} or a shipped model; "
                        f"pick one of: {', '.join(model_choices(runs_dir)) or 'none'} "
                        f"(see `python -m sr_core list`)") from None
    if not run.checkpoint_path.is_file():
        raise UserError(f"run '{run.name}' has no checkpoint yet; train it (or resume it) first")
    return run.checkpoint_path


def load_path(path: str | os.PathLike) -> tuple[Any, dict[str, Any]]:
    """(model in eval mode on the CPU, checkpoint info) of a checkpoint file, cached by file version.
    ``info``: model_name, model_config, train_config, step, extra. A missing file is a UserError."""
    from sr_core.checkpoint import model_from_checkpoint  # local: torch only once a model is actually loaded

    p = Path(path)
    try:
        stat = p.stat()
    except OSError:
        raise UserError(f"checkpoint {p} does not exist; pick another model or type the path of a .pt file") from None
    key = (str(p.resolve()), stat.st_mtime_ns, stat.st_size)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    model, ckpt = model_from_checkpoint(p)  # outside the lock: loading takes a moment
    info = {k: ckpt.get(k) for k in ("model_name", "model_config", "train_config", "step", "extra")}
    with _lock:
        _cache[key] = (model, info)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return model, info


def load_model(choice: str, runs_dir: str | os.PathLike | None = None) -> Any:
    """The model (eval mode, CPU) for any name :func:`resolve` accepts, cached."""
    return load_path(resolve(choice, runs_dir))[0]
