"""What the Train page shows, without drawing it: the form's values to and from a preset and a
:class:`sr_core.config.TrainConfig`, the runs that can be continued, the status and progress lines,
the loss components a chart offers and the preview's caption.

The Train page reads its widgets, calls these and draws; tests call them directly.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, MutableMapping

import numpy as np

from sr_core.config import TrainConfig, parse_alpha_schedule
from sr_core.data import DATASETS
from sr_core.presets import PRESETS, preset_config
from sr_core.errors import UserError
from sr_core.models import model_class, model_names
from sr_core.runs.listing import list_runs
from sr_core.runs.status import RESUMABLE_STATUSES, RunStatus
from sr_core.trainer import TrainSnapshot

from ui.figures import LOSS_COMPONENTS
from ui.images import mosaic, png_bytes
from ui.labels import fmt_duration

# TrainConfig fields the form does not show, each with where it is set instead. Every other field is a
# form widget keyed "train_<field>" (tests/app/test_train_view.py checks the page has each one).
NOT_ON_FORM = {
    "model_config": "the preset's architecture overrides, listed under the form (dropped for another model)",
    "preset": "the preset picker above the form",
    "keep_optimizer": "CLI --keep-optimizer (a finished run keeps only its weights)",
    "val_split": "set by early stopping (K > 0 holds out the default validation split)",
    "early_stop_metric": "CLI --early-stop-metric (the form stops on validation SR PSNR)",
}
FIELDS = tuple(f.name for f in dataclasses.fields(TrainConfig) if f.name not in NOT_ON_FORM)
_INTS = tuple(f.name for f in dataclasses.fields(TrainConfig) if f.name in FIELDS and str(f.type) == "int")
FOLDER = "folder"  # the dataset choice whose path is typed in "train_folder" (dataset "folder:PATH")
DATASET_CHOICES = (*DATASETS, "photos", FOLDER)
DATASET_LABELS = {"fashion-mnist": "Fashion-MNIST", "mnist": "MNIST", "photos": "Photos (scikit-image)",
                  FOLDER: "Image folder"}


def _to_widget(field: str, value: Any) -> Any:
    if field == "lr":
        return f"{value:g}"
    if field == "alpha_schedule":
        return ",".join(f"{s}:{a:g}" for s, a in value)
    if field == "kl_weight":
        return float(value)
    return value


def preset_values(name: str) -> dict[str, Any]:
    """Widget values of preset ``name``: every form field (``dataset`` as a choice + ``folder``)."""
    cfg = preset_config(name)
    values = {f: _to_widget(f, getattr(cfg, f)) for f in FIELDS}
    values["folder"] = cfg.dataset[len("folder:"):] if cfg.dataset.startswith("folder:") else ""
    values["dataset"] = FOLDER if values["folder"] else cfg.dataset
    return values


def apply_preset(state: MutableMapping[str, Any]) -> None:
    """Fill the form's widget state (``train_<field>``) from the preset chosen in ``state["train_preset"]``."""
    for field, value in preset_values(state["train_preset"]).items():
        state[f"train_{field}"] = value


def dataset_from_form(state: Mapping[str, Any]) -> str:
    """The ``dataset`` setting: the choice, or ``folder:PATH`` for an existing folder (one-line UserError)."""
    choice = state["train_dataset"]
    if choice != FOLDER:
        return choice
    raw = str(state.get("train_folder") or "").strip()
    if not raw:
        raise UserError("Image folder needs a path: type the folder that holds your images (PNG, JPEG, …)")
    if not Path(raw).expanduser().is_dir():
        raise UserError(f"no folder at '{raw}'; type the path of a folder of images on this machine")
    return f"folder:{Path(raw).expanduser().resolve()}"


def config_from_form(state: Mapping[str, Any], preset: str) -> TrainConfig:
    """A validated TrainConfig from the form's values through :func:`sr_core.presets.preset_config`
    (the preset's settings the form does not show carry over); a one-line UserError for anything invalid."""
    try:
        lr = float(str(state["train_lr"]).strip())
    except ValueError:
        raise UserError(f"learning rate '{state['train_lr']}' is not a number; write it like 1e-3 or 0.001") from None
    values = {f: state[f"train_{f}"] for f in FIELDS}
    values.update({f: int(values[f]) for f in _INTS})
    values.update(lr=lr, alpha_schedule=parse_alpha_schedule(str(state["train_alpha_schedule"])),
                  kl_weight=float(values["kl_weight"]), dataset=dataset_from_form(state))
    if values["model"] != PRESETS[preset].model:
        values["model_config"] = {}  # overrides of another model's settings would not fit this one
    return preset_config(preset, **values).validate()


def preset_extras_caption(preset: str) -> str:
    """Settings of ``preset`` that are not form fields, as a caption ("" when there are none)."""
    extra = {k: v for k, v in PRESETS[preset].values.items() if k not in FIELDS}
    return "Also from the preset: " + ", ".join(f"{k} = {v}" for k, v in extra.items()) if extra else ""


def resumable_runs() -> dict[str, dict[str, Any]]:
    """{name: run row} of the stopped or finished runs with a checkpoint (the runs a job can continue)."""
    return {r["name"]: r for r in list_runs() if not r["error"] and r.get("has_checkpoint")
            and r.get("status") in RESUMABLE_STATUSES}


def run_choice_label(row: Mapping[str, Any]) -> str:
    return f"{row['name']} · {row.get('model', '?')} · step {row.get('step', 0)}/{row.get('total_steps') or '?'}"


def progress_text(snap: TrainSnapshot) -> str:
    """The progress line: smoothed images/s and time left while running; the run's average and total
    time once it has ended (see :meth:`ui.jobs.JobRegistry.snapshot`)."""
    step, total = snap.step, snap.total_steps
    rate = f"{snap.img_s:.0f} images/s" if snap.img_s else "– images/s"
    if snap.running:
        return (f"Step {step} / {total} · {rate} · {fmt_duration(snap.eta_s)} left · "
                f"elapsed {fmt_duration(snap.elapsed_s)}")
    avg = f"{snap.avg_img_s:.0f} images/s on average" if snap.avg_img_s else "– images/s on average"
    return f"Step {step} / {total} · {avg} · total time {fmt_duration(snap.total_s)}"


def ended_message(snap: TrainSnapshot) -> tuple[str, str] | None:
    """(kind, text) of the note under an ended job: kind is "success", "warning" or "error"; None while
    it runs (or for a status with no note)."""
    status, name, step, total = snap.status, snap.run_name, snap.step, snap.total_steps
    if snap.running:
        return None
    if status == RunStatus.FINISHED:
        if snap.best_test_loss is None:
            return "success", f"Run `{name}` finished."
        return "success", (f"Run `{name}` finished: {step} / {total} batches, best test loss "
                           f"{snap.best_test_loss:.4f}.")
    if status == RunStatus.STOPPED:
        return "warning", f"Run `{name}` stopped at step {step} / {total}; its checkpoint is saved."
    if status in (RunStatus.NAN, RunStatus.FAILED):
        return "error", snap.message or snap.error or f"run ended with status {status}"
    return None


@dataclass(frozen=True)
class LossChoices:
    """What the loss charts offer for the job's model."""

    names: list[str]                   # components, "total" first
    default: list[str]                 # shown at first (KL only when it is minimized)
    labels: dict[str, str] | None      # the model's human labels of its components
    alpha_marks: list[Any]             # (step, alpha) where alpha changes


def loss_choices(cfg: TrainConfig | None, snap: TrainSnapshot) -> LossChoices:
    """The components, default choice, labels and alpha marks for the charts of the job ``cfg`` runs
    (``cfg`` None: a job from another page's registry state; the snapshot's marks and every name)."""
    alpha_marks = list(cfg.alpha_schedule[1:]) if cfg is not None else list(snap.alpha_changes or [])
    known = cfg is not None and cfg.model in model_names()
    names = list(model_class(cfg.model).loss_names) if known else list(LOSS_COMPONENTS)
    names = ["total"] + [c for c in names if c != "total"]
    # KL is reported even when it is not minimized (weight 0); it then grows and would squash the rest.
    default = [c for c in names if c != "kl" or (cfg is not None and cfg.kl_weight > 0)]
    labels = model_class(cfg.model).loss_labels if known else None
    return LossChoices(names, default, labels, alpha_marks)


def preview_caption(prev: Mapping[str, Any]) -> str:
    """Caption of the LR → SR → HR preview strip of snapshot ``prev`` (what it shows, at which sizes)."""
    hr, lr = int(np.shape(prev["hr"])[-1]), int(np.shape(prev["lr"])[-1])
    source = prev.get("source") or f"Fixed test images {', '.join(map(str, prev['indices']))}"
    return (f"{source[:1].upper()}{source[1:]} at step {prev['step']}: top LR {lr}×{lr} input, middle the "
            f"decoder's SR from LR alone, bottom HR {hr}×{hr} ({len(prev['indices'])} images, "
            f"nearest-neighbour zoom).")


def preview_pngs(prev: Mapping[str, Any]) -> tuple[bytes, bytes | None]:
    """PNGs of the preview: the LR / SR / HR strip (28-px tiles, 2× zoom) and, for a model with a latent
    (``"z"`` in ``prev``), the LR / z strip (14-px tiles, 4× zoom), else None."""
    side = int(np.shape(prev["hr"])[-1])  # 28 on the digit sets; a photo run's patch side
    zoom = 2 if side <= 28 else 1  # the strip stays about 480 px wide for 8 images
    strip = png_bytes(mosaic([list(prev["lr"]), list(prev["sr"]), list(prev["hr"])], size=side, gap=2), scale=zoom)
    if "z" not in prev:
        return strip, None
    z = int(np.shape(prev["z"])[-1])
    return strip, png_bytes(mosaic([list(prev["lr"]), list(prev["z"])], size=z, gap=1), scale=2 * zoom)
