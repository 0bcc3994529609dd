"""Home page of the studio: what it is, the dataset, the models, where to start.

Served at ``/`` by the router (app.py); Home can start the Gradio try-it demo (demo.py).
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from sr_core.data import DATASETS, check_dataset
from sr_core.errors import UserError
from sr_core.models import describe_models
from sr_core.runs.table import rows_from, run_rows
from sr_core.runs.store import runs_root
from sr_core.runs.shipped import list_shipped
from ui.dataset import download_dataset
from ui.demo.server import ensure_demo, running_url
from ui.run_tables import home_runs_table, shipped_caption, shipped_table
from ui.studio.services import job_registry
from ui.studio.widgets import PAGES, data_dir, dataset_missing_notice, page_setup

ASSETS = Path(__file__).resolve().parents[1] / "assets"
DIAGRAM_WIDTH = 760  # px: the SVG's own width


@st.cache_data(show_spinner=False)
def model_table() -> list[dict]:
    return [{"Model": m["name"], "What it is": m["summary"], "Parameters": f"{m['parameters']:,}",
             "Stochastic SR": "yes" if m["stochastic"] else "no",
             "Full-VAE reconstruction": "yes" if m["has_reconstruction"] else "no"} for m in describe_models()]


def models_section() -> None:
    """The model registry, the trained runs (usable first, broken named) and the shipped checkpoints."""
    st.subheader("Models")
    st.markdown("**Available architectures** (the model registry):")
    st.table(model_table())
    try:
        rows = run_rows(check=True)  # checkpoint checks are cached per file version in the core
    except UserError as exc:  # the runs folder itself is unusable (a file, unreadable)
        st.error(str(exc))
        rows = rows_from(list_shipped())
    runs = [r for r in rows if not r.shipped]
    ok = [r for r in runs if r.usable]
    registry = job_registry()
    snap = registry.snapshot()
    if snap is not None and snap.running:
        st.info(f"Training now: run `{snap.run_name}` — step {snap.step} / {snap.total_steps}.")
    if runs:
        st.markdown(f"**Trained runs** in `{runs_root().resolve()}`: {len(ok)} usable"
                    + (f", {len(runs) - len(ok)} broken" if len(runs) > len(ok) else ""))
        st.table(home_runs_table(ok[:5]))
        if len(ok) > 5:
            st.caption(f"…and {len(ok) - 5} more on the Runs page.")
        if len(runs) > len(ok):
            st.caption("Broken (details on the Runs page): " + ", ".join(r.name for r in runs if r.error))
    else:
        st.markdown(f"**Trained runs:** none yet in `{runs_root().resolve()}`.")
    shipped = [r for r in rows if r.shipped]
    if shipped:
        st.markdown("**Shipped checkpoints** — Compare and Spectra open on these before you train anything:")
        st.table(shipped_table(shipped))
        st.caption(shipped_caption(shipped))


def dataset_section() -> None:
    st.subheader("Dataset")
    for name in DATASETS:
        missing = check_dataset(name)
        folder = data_dir() / DATASETS[name][1] / "raw"
        if name != "fashion-mnist":  # optional extra dataset: one line is enough
            st.caption(f"{name} (optional): {'found' if not missing else 'not found'} in `{folder}`")
            continue
        if not missing:
            st.success(f"{name}: found in `{folder}`", icon=":material/check_circle:")
            continue
        dataset_missing_notice(name, download_hint=False)
        if st.button(f"Download {name}", key=f"home_download_{name}", type="primary"):
            bar = st.progress(0.0, text="Starting download…")
            try:
                download_dataset(name, progress=lambda f, text: bar.progress(min(f, 1.0), text=f"Downloading {text}"))
            except UserError as exc:
                bar.empty()
                st.error(str(exc))
            else:
                st.success(f"{name} downloaded to `{folder}`")
                st.rerun()


def demo_section() -> None:
    """The Gradio try-it demo (demo.py): started on first use, one per studio process, then a link."""
    st.subheader("Try it on your own image")
    st.caption("Upload a photo or draw a garment, pick any model, see it upscaled 2× beside bicubic — a Gradio "
               "demo with an HTTP API, on 127.0.0.1 like the studio.")
    url = running_url()
    if url is None and st.button("Start the try-it demo", key="home_demo", icon=":material/play_arrow:"):
        with st.spinner("Starting the demo on 127.0.0.1 (a few seconds)…"):
            try:
                url = ensure_demo()
            except RuntimeError as exc:
                st.error(str(exc))
    if url:
        st.link_button("Open the try-it demo", url, icon=":material/open_in_new:")


def main() -> None:
    page_setup("Home", "🔍")
    st.title("VAE Super-Resolution Studio")
    st.markdown(
        "A convolutional VAE encodes a 28×28 Fashion-MNIST image into a **14×14 latent image** *z*, "
        "and its loss pulls *z* towards the **2×2-box-downsampled LR image** of the input (eqs. 9–11 "
        "of the paper). Because *z* ends up looking like the LR image, the **decoder alone** can be "
        "fed an LR image and return a 28×28 **super-resolved** image, no HR input needed. "
        "This studio trains such models, compares their SR against nearest/bilinear/bicubic "
        "upsampling pixel by pixel and in the Fourier domain, and keeps every run reproducible.")
    st.caption("Paper: C. Weatherly, *Variational AutoEncoders for Image Super-Sampling* (COSC 6372, "
               "University of Houston).")
    # At its own width (760 px, capped by the column): its smallest text is then 11 px, not ~5 px in a
    # side column of a 1280-px window.
    st.image(str(ASSETS / "vae_sr_diagram.svg"), width=DIAGRAM_WIDTH,
             caption="Training uses the whole VAE; super-resolution uses only the decoder.")

    dataset_section()

    models_section()

    st.subheader("Where to start")
    starts = (
        ("train", "Train a model", ":material/model_training:",
         "Pick a preset (tiny: seconds; quick: about a minute), watch the losses and the SR strip live."),
        ("compare", "Compare SR with baselines", ":material/compare:",
         "Several models beside bicubic, pixel-exact, with PSNR/SSIM per image and per set; projection, samples."),
        ("latent", "See the latent", ":material/grid_on:",
         "The paper's 14×14 latent image next to the LR image, with numbers: how close, and what SR loses."),
        ("spectra", "Look at spectra", ":material/show_chart:",
         "Which frequencies above the LR Nyquist limit does each model invent?"),
        ("runs", "Manage runs", ":material/folder_open:", "Loss curves side by side, downloads, deletion."),
        ("sweeps", "Sweeps with error bars", ":material/stacked_line_chart:",
         "Settings x seeds on Ray: mean ± 95 % CI; the shipped alpha ablation."),
    )
    for i, (page, label, icon, caption) in enumerate(starts):  # 3 a row: each label fits one line at 1280 px
        if i % 3 == 0:
            cols = st.columns(3, gap="medium")
        with cols[i % 3]:
            st.page_link(PAGES[page], label=label, icon=icon)
            st.caption(caption)
    demo_section()


main()
