"""Train page: a preset and its hyperparameters in a form, Start/Stop, live losses and SR preview.

The job lives in the process-wide :class:`ui.jobs.JobRegistry` (``ui.studio.services.job_registry``): a refresh
or a second tab reattaches to it. The live view is two fragments that
rerun only while the job runs: status and progress every second, charts and preview every 3 s.
"""
from __future__ import annotations

import streamlit as st

from sr_core.config import LR_SCHEDULES
from sr_core.data import check_dataset
from sr_core.degrade import DEGRADATIONS
from sr_core.device import available_devices
from sr_core.errors import UserError
from sr_core.models import model_names
from sr_core.presets import PRESETS
from sr_core.runs.status import RESUMABLE_STATUSES
from ui.studio.chart_options import live_loss_charts
from ui.latent import latent_psnr_figure
from ui.studio.monitor import chosen_step, quality_section, show_alerts
from ui.train_view import (DATASET_CHOICES, DATASET_LABELS, apply_preset, config_from_form, ended_message,
                           loss_choices, preset_extras_caption, progress_text, resumable_runs, run_choice_label)
from ui.studio.services import job_registry
from ui.studio.widgets import PAGES, dataset_missing_notice, page_setup

REFRESH_S = 1.0        # status line and progress bar
CHART_REFRESH_S = 3.0  # loss charts and preview strip (see charts_panel)
MAX_POINTS = 1000      # points per live curve (every k-th batch beyond that)
P = "session"  # form values survive a visit to another page


def settings_form() -> None:
    """The preset picker and the form; starts a job on submit (errors shown, app keeps running)."""
    if "train_preset" not in st.session_state:
        st.session_state["train_preset"] = "quick"
        apply_preset(st.session_state)
    st.selectbox("Preset", list(PRESETS), key="train_preset", persist_state=P, on_change=apply_preset,
                 args=(st.session_state,),
                 help="Choosing a preset fills in every setting below; change any of them before starting.")
    st.caption(PRESETS[st.session_state["train_preset"]].help)  # under the box: a long line never cut
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
        c1.radio("Dataset", DATASET_CHOICES, key="train_dataset", persist_state=P, format_func=DATASET_LABELS.get,
                 help="Photos: scikit-image's bundled photos (chelsea, rocket, coins held out). Image folder: "
                      "any folder of images (recursive), split by file. Both train on random HR patches.")
        c2.selectbox("LR degradation", list(DEGRADATIONS), key="train_degradation", persist_state=P,
                     help="box = the paper's 2×2 average; bicubic = antialiased bicubic downsampling.")
        c2.number_input("Patch side on photos (0 = model default)", min_value=0, step=2, key="train_patch",
                        persist_state=P, help="HR patch side: 48 for resnet-sr/cvae-sr, 28 for the CNN-VAEs.")
        st.text_input("Image folder path (used with Image folder)", key="train_folder", persist_state=P,
                      placeholder="~/my_photos")
        devices = available_devices()  # only what this machine has (a preset's device may not be here)
        if st.session_state.get("train_device") not in devices:
            st.session_state["train_device"] = "auto"
        c1.selectbox("Device", devices, key="train_device", persist_state=P,
                     help="auto picks cuda, then mps, then cpu; devices this machine lacks are not offered.")
        c2.text_input("Run name (optional)", key="train_name", persist_state=P,
                      placeholder="date-model")  # the default name; fits the box
        c1.number_input("Early stop after K evaluations (0 = off)", min_value=0, step=1, key="train_early_stop",
                        persist_state=P, help="Holds out 2,000 training images as a validation split; stops when "
                                              "their SR PSNR has not improved for K evaluations; keeps best.pt.")
        extra = preset_extras_caption(st.session_state["train_preset"])
        if extra:
            st.caption(extra)
        submitted = st.form_submit_button("Start training", type="primary", key="train_start")
    if not submitted:
        return
    registry = job_registry()
    try:
        cfg = config_from_form(st.session_state, st.session_state["train_preset"])
        job = registry.start(cfg, name=st.session_state.get("train_name", "").strip() or None)
    except UserError as exc:
        st.error(str(exc))
        return
    st.toast(f"Started run {job.run.name}")


def continue_form() -> None:
    """Continue a stopped or finished run to more batches (as ``train --resume RUN --steps N``)."""
    by_name = resumable_runs()
    with st.expander("Continue a stopped or finished run", expanded=False):
        if not by_name:
            st.caption("No stopped or finished run with a checkpoint yet.")
            return
        name = st.selectbox("Run", list(by_name), key="train_resume_run",
                            format_func=lambda n: run_choice_label(by_name[n]))
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
    running, status, step, total = snap.running, snap.status, snap.step, snap.total_steps
    st.markdown(f"Run `{snap.run_name}` · Status: **{status}** · Step {step} / {total}")
    st.progress(min(step / total, 1.0) if total else 0.0, text=progress_text(snap))
    if snap.notice:
        st.info(snap.notice)
    if running:
        if st.button("Stop training", key="train_stop", help="Stops before the next batch and saves a checkpoint."):
            registry.stop()
            st.info("Stopping… the trainer saves a checkpoint and ends within one batch.")
    elif (note := ended_message(snap)) is not None:
        getattr(st, note[0])(note[1])
    if not running and status in RESUMABLE_STATUSES:
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
    running = snap.running
    choice = loss_choices(registry.config, snap)
    alpha_marks = choice.alpha_marks
    show_alerts(snap.test, status=snap.status, message=snap.message, total_steps=snap.total_steps)
    mark = chosen_step("train")  # the preview step chosen on the slider below, marked on the charts
    st.subheader("Loss per batch")
    comps = st.multiselect("Loss components", choice.names, default=choice.default, key="train_components")
    o1, o2 = st.columns([3, 1], vertical_alignment="bottom")
    smoothing = o1.slider("Smoothing", 0.0, 0.99, 0.6, 0.01, key="train_smoothing",
                          help="Exponential moving average of the train curve (0 = raw).")
    log_y = o2.toggle("Log y", value=False, key="train_log")
    live_loss_charts(snap, choice, comps, smoothing=smoothing, log_y=log_y, mark=mark, max_points=MAX_POINTS)
    if any(r.get("latent_psnr") is not None for r in snap.test):
        st.plotly_chart(latent_psnr_figure(snap.test, alpha_changes=alpha_marks), key="train_chart_latent")
    quality_section(snap.test, snap.run_path, "train", latest=snap.preview)
    if live and not running:
        st.rerun()  # the job ended: one full rerun draws the final charts and turns the auto-refresh off


def main() -> None:
    page_setup("Train", "🏋️")
    st.title("Train")
    if check_dataset("fashion-mnist"):
        st.warning("The dataset is not there yet: Start will try to download it.")
        dataset_missing_notice("fashion-mnist")
    settings, panel = st.columns([5, 8], gap="medium")  # the panel fits the 476-px strips at 1280
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
