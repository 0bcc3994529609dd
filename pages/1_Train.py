"""Train page: a preset and its hyperparameters in a form, Start/Stop, live losses and SR preview.

The job lives in the process-wide :class:`ui.jobs.JobRegistry` (``st.cache_resource``): a refresh
or a second tab reattaches to it. The live view is two fragments that
rerun only while the job runs: status and progress every second, charts and preview every 3 s.
"""
from __future__ import annotations

import math
from typing import Any

import streamlit as st

from sr_core.config import LR_SCHEDULES, PRESET_HELP, PRESETS, TrainConfig, parse_alpha_schedule, train_config_from_dict
from sr_core.data import DATASETS, DEGRADATIONS, check_dataset
from sr_core.errors import UserError
from sr_core.models import model_class, model_names
from sr_core.runs import list_runs
from ui.figures import LOSS_COMPONENTS, loss_figure
from ui.images import mosaic, png_bytes
from ui.widgets import PAGES, dataset_missing_notice, fmt_duration, job_registry, page_setup, show_png

REFRESH_S = 1.0        # status line and progress bar
CHART_REFRESH_S = 3.0  # loss charts and preview strip (see charts_panel)
MAX_POINTS = 1000      # points per live curve (every k-th batch beyond that)
P = "session"  # form values survive a visit to another page
DEVICES = ("auto", "cpu", "cuda", "mps")
# Form fields -> TrainConfig fields. Widget keys are "train_<field>".
FIELDS = ("model", "dataset", "degradation", "steps", "batch_size", "lr", "lr_schedule", "alpha_schedule",
          "kl_weight", "eval_every", "eval_limit", "checkpoint_every", "seed", "device")


def preset_values(name: str) -> dict[str, Any]:
    """Widget values of preset ``name`` (every TrainConfig field the form shows)."""
    cfg = TrainConfig(**{**PRESETS[name], "preset": name})
    return {"model": cfg.model, "dataset": cfg.dataset, "degradation": cfg.degradation, "steps": cfg.steps,
            "batch_size": cfg.batch_size, "lr": f"{cfg.lr:g}", "lr_schedule": cfg.lr_schedule,
            "alpha_schedule": ",".join(f"{s}:{a:g}" for s, a in cfg.alpha_schedule),
            "kl_weight": float(cfg.kl_weight), "eval_every": cfg.eval_every, "eval_limit": cfg.eval_limit,
            "checkpoint_every": cfg.checkpoint_every, "seed": cfg.seed, "device": cfg.device}


def apply_preset() -> None:
    for field, value in preset_values(st.session_state["train_preset"]).items():
        st.session_state[f"train_{field}"] = value


def config_from_form(preset: str) -> TrainConfig:
    """A validated TrainConfig from the form's values; a one-line UserError for anything invalid."""
    s = st.session_state
    try:
        lr = float(str(s["train_lr"]).strip())
    except ValueError:
        raise UserError(f"learning rate '{s['train_lr']}' is not a number; write it like 1e-3 or 0.001") from None
    if not math.isfinite(lr):
        raise UserError(f"learning rate must be a finite number (got {lr}); try 1e-3")
    values = {f: s[f"train_{f}"] for f in FIELDS}
    values.update(lr=lr, alpha_schedule=parse_alpha_schedule(str(s["train_alpha_schedule"])),
                  steps=int(values["steps"]), batch_size=int(values["batch_size"]),
                  eval_every=int(values["eval_every"]), eval_limit=int(values["eval_limit"]),
                  checkpoint_every=int(values["checkpoint_every"]), seed=int(values["seed"]),
                  kl_weight=float(values["kl_weight"]))
    extra = preset_extras(preset)  # preset settings the form does not show (e.g. model_config) carry over
    if values["model"] != PRESETS[preset].get("model"):
        extra.pop("model_config", None)  # overrides of another model's settings would not fit this one
    # Like sr_core.config.preset_config: ``preset`` names the starting point; config.json has every value.
    cfg = train_config_from_dict({**extra, **values, "preset": preset})
    return cfg.validate()


def preset_extras(preset: str) -> dict[str, Any]:
    """Settings of ``preset`` that are not form fields."""
    return {k: v for k, v in PRESETS[preset].items() if k not in FIELDS and k != "preset"}


def settings_form() -> None:
    """The preset picker and the form; starts a job on submit (errors shown, app keeps running)."""
    if "train_preset" not in st.session_state:
        st.session_state["train_preset"] = "quick"
        apply_preset()
    st.selectbox("Preset", list(PRESETS), key="train_preset", persist_state=P, on_change=apply_preset,
                 format_func=lambda p: f"{p} — {PRESET_HELP.get(p, '')}",
                 help="Choosing a preset fills in every setting below; change any of them before starting.")
    with st.form("train_form", border=True):
        st.selectbox("Model", model_names(), key="train_model", persist_state=P,
                     help="From the model registry; see the Home page for what each one is.")
        c1, c2 = st.columns(2)
        c1.number_input("Batches (training steps)", step=100, key="train_steps", persist_state=P,
                        help="Number of optimizer steps; the paper trains 3,000 batches of 100 images.")
        c2.number_input("Batch size", step=10, key="train_batch_size", persist_state=P)
        c1.text_input("Learning rate", key="train_lr", persist_state=P,
                      help="Adam learning rate, e.g. 1e-3 (the paper: 5e-6).")
        c2.number_input("KL weight", step=0.01, format="%.3f", key="train_kl_weight", persist_state=P,
                        help="Weight of the KL term (eq. 7); the paper drops it (0).")
        c1.selectbox("Learning-rate schedule", LR_SCHEDULES, key="train_lr_schedule", persist_state=P,
                     help="constant (the paper), or cosine: decays from the learning rate to 0 at the last batch.")
        c2.text_input("Alpha schedule (step:alpha, …)", key="train_alpha_schedule", persist_state=P,
                      help="alpha weighs recon (eq. 9) against latent (eq. 10); the paper uses 0:0.75,2500:0.25.")
        c1, c2 = st.columns(2)
        c1.number_input("Test interval (batches)", step=10, key="train_eval_every", persist_state=P,
                        help="Test loss every N batches (the paper: 50).")
        c2.number_input("Test images per evaluation (0 = all)", step=500, key="train_eval_limit", persist_state=P)
        c1.number_input("Checkpoint interval (batches)", step=100, key="train_checkpoint_every", persist_state=P)
        c2.number_input("Seed", step=1, key="train_seed", persist_state=P)
        c1.selectbox("Dataset", list(DATASETS), key="train_dataset", persist_state=P)
        c2.selectbox("LR degradation", list(DEGRADATIONS), key="train_degradation", persist_state=P,
                     help="box = the paper's 2×2 average; bicubic = antialiased bicubic downsampling.")
        c1.selectbox("Device", DEVICES, key="train_device", persist_state=P,
                     help="auto picks cuda, then mps, then cpu.")
        c2.text_input("Run name (optional)", key="train_name", persist_state=P,
                      placeholder="date-model if empty")
        extra = preset_extras(st.session_state["train_preset"])
        if extra:
            st.caption("Also from the preset: " + ", ".join(f"{k} = {v}" for k, v in extra.items()))
        submitted = st.form_submit_button("Start training", type="primary", key="train_start")
    if not submitted:
        return
    registry = job_registry()
    try:
        cfg = config_from_form(st.session_state["train_preset"])
        job = registry.start(cfg, name=st.session_state.get("train_name", "").strip() or None)
    except UserError as exc:
        st.error(str(exc))
        return
    st.toast(f"Started run {job.run.name}")


def progress_text(snap: dict[str, Any]) -> str:
    """The progress line: smoothed images/s and time left while running; the run's average and total
    time once it has ended (see :meth:`ui.jobs.JobRegistry.snapshot`)."""
    step, total = snap["step"], snap["total_steps"]
    rate = f"{snap['img_s']:.0f} images/s" if snap.get("img_s") else "– images/s"
    if snap["running"]:
        return (f"Step {step} / {total} · {rate} · {fmt_duration(snap.get('eta_s'))} left · "
                f"elapsed {fmt_duration(snap.get('elapsed_s'))}")
    avg = f"{snap['avg_img_s']:.0f} images/s on average" if snap.get("avg_img_s") else "– images/s on average"
    return f"Step {step} / {total} · {avg} · total time {fmt_duration(snap.get('total_s', snap.get('elapsed_s')))}"


def continue_form() -> None:
    """Continue a stopped or finished run to more batches (as ``train --resume RUN --steps N``)."""
    rows = [r for r in list_runs() if not r["error"] and r.get("has_checkpoint")
            and r.get("status") in ("stopped", "finished")]
    with st.expander("Continue a stopped or finished run", expanded=False):
        if not rows:
            st.caption("No stopped or finished run with a checkpoint yet.")
            return
        by_name = {r["name"]: r for r in rows}
        name = st.selectbox("Run", list(by_name), key="train_resume_run",
                            format_func=lambda n: f"{n} · {by_name[n].get('model', '?')} · step "
                                                  f"{by_name[n].get('step', 0)}/{by_name[n].get('total_steps') or '?'}")
        at = int(by_name[name].get("step") or 0)
        steps = int(st.number_input("New total batches", min_value=at + 1, value=max(at + 1, 2 * at), step=100,
                                    key=f"train_resume_steps_{name}",
                                    help="The run goes on from its checkpoint (same settings, optimizer state "
                                         "and curve) up to this many batches in total."))
        if st.button("Continue training", key="train_resume"):
            try:
                job = job_registry().resume(name, steps)
            except UserError as exc:
                st.error(str(exc))
                return
            st.toast(f"Continuing run {job.run.name} to {steps} batches")
            st.rerun()  # the live view turns on


def status_panel(live: bool) -> None:
    """Status line, progress bar, Stop (refreshed every second while a job runs)."""
    registry = job_registry()
    snap = registry.snapshot()
    if snap is None:
        st.info("No training job in this server yet. Pick a preset, adjust it and press **Start training**.")
        return
    running = snap["running"]
    status = snap["status"]
    step, total = snap["step"], snap["total_steps"]
    st.markdown(f"Run `{snap['run_name']}` · Status: **{status}** · Step {step} / {total}")
    st.progress(min(step / total, 1.0) if total else 0.0, text=progress_text(snap))
    if running:
        if st.button("Stop training", key="train_stop", help="Stops before the next batch and saves a checkpoint."):
            registry.stop()
            st.info("Stopping… the trainer saves a checkpoint and ends within one batch.")
    elif status == "finished":
        st.success(f"Run `{snap['run_name']}` finished: {step} / {total} batches, best test loss "
                   f"{snap['best_test_loss']:.4f}." if snap.get("best_test_loss") is not None else
                   f"Run `{snap['run_name']}` finished.")
    elif status == "stopped":
        st.warning(f"Run `{snap['run_name']}` stopped at step {step} / {total}; its checkpoint is saved.")
    elif status in ("nan", "failed"):
        st.error(snap.get("message") or snap.get("error") or f"run ended with status {status}")
    if not running and status in ("finished", "stopped"):
        st.page_link(PAGES["compare"], label="Compare this run with the baselines", icon=":material/compare:")
    if live and not running:
        st.rerun()  # the job ended: one full rerun turns the auto-refresh off


def charts_panel(live: bool) -> None:
    """Loss charts and the SR preview (refreshed every few seconds while a job runs).

    Building and validating a plotly figure costs ~0.1 s of Python per chart on a busy 2-core machine,
    and every Python millisecond in the server is taken from the training thread (the GIL), so the
    charts refresh less often than the progress bar.
    """
    registry = job_registry()
    snap = registry.snapshot()
    if snap is None:
        return
    running = snap["running"]
    cfg = registry.config
    alpha_marks = list(cfg.alpha_schedule[1:]) if cfg is not None else list(snap.get("alpha_changes") or [])
    try:
        names = list(model_class(cfg.model).loss_names) if cfg is not None else list(LOSS_COMPONENTS)
    except UserError:
        names = list(LOSS_COMPONENTS)
    names = ["total"] + [c for c in names if c != "total"]
    # KL is reported even when it is not minimized (weight 0); it then grows and would squash the rest.
    default = [c for c in names if c != "kl" or (cfg is not None and cfg.kl_weight > 0)]
    st.subheader("Loss per batch")
    comps = st.multiselect("Loss components", names, default=default, key="train_components")
    o1, o2 = st.columns([3, 1], vertical_alignment="bottom")
    smoothing = o1.slider("Smoothing", 0.0, 0.99, 0.6, 0.01, key="train_smoothing",
                          help="Exponential moving average of the train curve (0 = raw).")
    log_y = o2.toggle("Log scale", value=False, key="train_log")
    st.caption("Dotted lines mark the batches where alpha changes (the drop the paper notes in Figs. 3–4).")
    st.plotly_chart(loss_figure(snap["train"], components=comps, smoothing=smoothing, log_y=log_y,
                                alpha_changes=alpha_marks, max_points=MAX_POINTS,
                                title="Loss per batch — train (paper Fig. 3)"),
                    key="train_chart_train")
    st.plotly_chart(loss_figure(snap["test"], components=comps, log_y=log_y, markers=True,
                                alpha_changes=alpha_marks, title="Loss per batch — test (paper Fig. 4)"),
                    key="train_chart_test")
    prev = snap.get("preview")
    if prev is not None:
        st.subheader("LR → decoder-only SR → HR")
        n = len(prev["indices"])
        tiles = mosaic([list(prev["lr"]), list(prev["sr"]), list(prev["hr"])], size=28, gap=2)
        show_png(png_bytes(tiles, scale=2),
                 caption=f"Fixed test images {', '.join(map(str, prev['indices']))} at step {prev['step']}: "
                         f"top LR 14×14 input, middle the decoder's SR from LR alone, bottom HR 28×28 "
                         f"({n} images, nearest-neighbour zoom).")
    if live and not running:
        st.rerun()  # the job ended: one full rerun draws the final charts and turns the auto-refresh off


def main() -> None:
    page_setup("Train", "🏋️")
    st.title("Train")
    if check_dataset("fashion-mnist"):
        st.warning("The dataset is not there yet: Start will try to download it.")
        dataset_missing_notice("fashion-mnist")
    settings, panel = st.columns([2, 3], gap="large")
    with settings:
        st.subheader("Settings")
        settings_form()
        continue_form()
    live = job_registry().running  # decided after a Start in the form above, so a new job is live at once
    with panel:
        st.subheader("Progress")
        st.fragment(run_every=REFRESH_S if live else None)(status_panel)(live)
        st.fragment(run_every=CHART_REFRESH_S if live else None)(charts_panel)(live)


if __name__ == "__main__":
    main()
