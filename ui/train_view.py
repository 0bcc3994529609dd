"""What the Train page shows, without drawing it: the form's values to and from a preset and a
:class:`sr_core.config.TrainConfig`, the runs that can be continued, the status and progress lines,
the loss components a chart offers and the preview's caption.

The Train page reads its widgets, calls these and draws; tests call them directly.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, MutableMapping

from sr_core.config import PRESETS, TrainConfig, parse_alpha_schedule, preset_config
from sr_core.errors import UserError
from sr_core.models import model_class, model_names
from sr_core.runs.listing import list_runs
from sr_core.runs.status import RESUMABLE_STATUSES, RunStatus
from sr_core.trainer import TrainSnapshot

from .figures import LOSS_COMPONENTS
from .images import mosaic, png_bytes
from .labels import fmt_duration

# Form fields -> TrainConfig fields. Widget keys are "train_<field>".
FIELDS = ("model", "dataset", "degradation", "steps", "batch_size", "lr", "lr_schedule", "alpha_schedule",
          "kl_weight", "eval_every", "eval_limit", "checkpoint_every", "seed", "device", "early_stop")
_INTS = ("steps", "batch_size", "eval_every", "eval_limit", "checkpoint_every", "seed", "early_stop")


def preset_values(name: str) -> dict[str, Any]:
    """Widget values of preset ``name`` (every TrainConfig field the form shows)."""
    cfg = TrainConfig(**{**PRESETS[name], "preset": name})
    return {"model": cfg.model, "dataset": cfg.dataset, "degradation": cfg.degradation, "steps": cfg.steps,
            "batch_size": cfg.batch_size, "lr": f"{cfg.lr:g}", "lr_schedule": cfg.lr_schedule,
            "alpha_schedule": ",".join(f"{s}:{a:g}" for s, a in cfg.alpha_schedule),
            "kl_weight": float(cfg.kl_weight), "eval_every": cfg.eval_every, "eval_limit": cfg.eval_limit,
            "checkpoint_every": cfg.checkpoint_every, "seed": cfg.seed, "device": cfg.device,
            "early_stop": cfg.early_stop}


def apply_preset(state: MutableMapping[str, Any]) -> None:
    """Fill the form's widget state (``train_<field>``) from the preset chosen in ``state["train_preset"]``."""
    for field, value in preset_values(state["train_preset"]).items():
        state[f"train_{field}"] = value


def config_from_form(state: Mapping[str, Any], preset: str) -> TrainConfig:
    """A validated TrainConfig from the form's values through :func:`sr_core.config.preset_config`
    (the preset's settings the form does not show carry over); a one-line UserError for anything invalid."""
    try:
        lr = float(str(state["train_lr"]).strip())
    except ValueError:
        raise UserError(f"learning rate '{state['train_lr']}' is not a number; write it like 1e-3 or 0.001") from None
    values = {f: state[f"train_{f}"] for f in FIELDS}
    values.update({f: int(values[f]) for f in _INTS})
    values.update(lr=lr, alpha_schedule=parse_alpha_schedule(str(state["train_alpha_schedule"])),
                  kl_weight=float(values["kl_weight"]))
    if values["model"] != PRESETS[preset].get("model"):
        values["model_config"] = {}  # overrides of another model's settings would not fit this one
    return preset_config(preset, **values).validate()


def preset_extras_caption(preset: str) -> str:
    """Settings of ``preset`` that are not form fields, as a caption ("" when there are none)."""
    extra = {k: v for k, v in PRESETS[preset].items() if k not in FIELDS and k != "preset"}
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
    """Caption of the LR → SR → HR preview strip of snapshot ``prev``."""
    return (f"Fixed test images {', '.join(map(str, prev['indices']))} at step {prev['step']}: "
            f"top LR 14×14 input, middle the decoder's SR from LR alone, bottom HR 28×28 "
            f"({len(prev['indices'])} images, nearest-neighbour zoom).")


def preview_pngs(prev: Mapping[str, Any]) -> tuple[bytes, bytes | None]:
    """PNGs of the preview: the LR / SR / HR strip (28-px tiles, 2× zoom) and, for a model with a latent
    (``"z"`` in ``prev``), the LR / z strip (14-px tiles, 4× zoom), else None."""
    strip = png_bytes(mosaic([list(prev["lr"]), list(prev["sr"]), list(prev["hr"])], size=28, gap=2), scale=2)
    if "z" not in prev:
        return strip, None
    return strip, png_bytes(mosaic([list(prev["lr"]), list(prev["z"])], size=14, gap=1), scale=4)
