"""Compare page: one or several models' SR against the interpolation baselines.

Set-level table (each model's SR, optionally its LR-consistent projection, and nearest/bilinear/
bicubic; PSNR/SSIM/LR-PSNR, plus diversity and best-of-8 PSNR for stochastic models) over a chosen
number of test images; then one row per chosen sample with one column per model, drawn pixel-exact;
then n samples of one LR image per stochastic model at the chosen temperature.
"""
from __future__ import annotations

import json
from typing import Any

import numpy as np
import streamlit as st
import torch

from sr_core.checkpoint import atomic_write_text
from sr_core.data import load_split
from sr_core.errors import UserError
from sr_core.metrics import json_safe
from sr_core.runs import RunDir
from ui.analysis import SELECTION_MODES, eval_result, select_indices, set_metrics
from ui.comparison import (compare_grid, compare_table, diversity_samples, projection_available,
                           takes_temperature, temperature_for)
from ui.figures import psnr_histogram_figure
from ui.images import heat_png, png_bytes
from ui.labels import SHIPPED_PREFIX, SHORT_PROTOCOL
from ui.widgets import (data_dir, load_model_cached, load_model_or_none, model_page_header, pick_more_models,
                        show_png)

P = "session"
HR_SCALE, LR_SCALE = 4, 8  # both show as 112 px
ERROR_VMAX = 0.5  # |SR − HR| of 0.5 or more shows at full brightness
MAX_MORE = 3  # models beside the primary one: 4 SR columns (8 with projection) still fit a wide page


@st.cache_data(max_entries=32, show_spinner="Scoring test images (models and baselines)…")
def cached_set_metrics(path: str, mtime: float, size: int, limit: int, root: str, dataset: str,
                       degradation: str, projection: bool = False,
                       temperature: float | None = None) -> dict[str, dict[str, np.ndarray]]:
    """Per-image metrics of the first ``limit`` test images; keyed by checkpoint path + mtime and options."""
    model, _ = load_model_cached(path, mtime, size)
    split = load_split(dataset, train=False, data_dir=root, download=False)
    return set_metrics(model, split, degradation=degradation, limit=limit, projection=projection,
                       temperature=temperature)


def cell_caption(col: dict[str, Any], res: dict[str, Any], i: int) -> str:
    key = col["key"]
    if key == "hr":
        return f"#{res['indices'][i]} · {res['labels'][i]}"
    if key == "lr":
        return "14×14 (shown 8×)"
    if key == "error":
        return f"max {col['images'][i].max():.2f} (bright = {ERROR_VMAX:g}+)"
    if "psnr" not in col:
        return ""
    return f"PSNR {col['psnr'][i]:.2f} dB · SSIM {col['ssim'][i]:.3f}"


def image_for(col: dict[str, Any], i: int) -> bytes:
    img = col["images"][i]
    if col["key"] == "error":
        return heat_png(img, ERROR_VMAX, scale=HR_SCALE)
    return png_bytes(img, scale=LR_SCALE if col["key"] == "lr" else HR_SCALE)


def draw_grid(res: dict[str, Any]) -> None:
    cols_spec = res["columns"]
    header = st.columns(len(cols_spec))
    for col, spec in zip(header, cols_spec):
        col.markdown(f"**{spec['title']}**")
    for i in range(len(res["indices"])):
        cols = st.columns(len(cols_spec))
        for col, spec in zip(cols, cols_spec):
            with col:
                show_png(image_for(spec, i), caption=cell_caption(spec, res, i))


def diversity_section(models: dict[str, Any], split: Any, idx: int, lr: torch.Tensor,
                      temperature: float | None) -> None:
    st.subheader("Diversity")
    stochastic = {label: m for label, m in models.items() if getattr(m, "stochastic", False)}
    if not stochastic:
        st.caption("No chosen model is stochastic: each gives the same SR image every time, so there is no "
                   "sample diversity to show. (cvae-sr is; add its shipped checkpoint above.)")
        return
    n = int(st.slider("Samples of the same LR image", 2, 16, 6, key="cmp_nsamples", persist_state=P))
    t_text = "" if temperature is None else f" at temperature {temperature:g}"
    for label, model in stochastic.items():
        st.markdown(f"**{label}**: {n} SR samples of test image #{idx}{t_text} (seeds 0…{n - 1}) and their "
                    f"per-pixel standard deviation")
        samples, std = diversity_samples(model, lr, n, labels=split.labels[[idx]], temperature=temperature)
        cols = st.columns(min(n, 8) + 1)
        for j in range(n):
            with cols[j % (len(cols) - 1)]:
                show_png(png_bytes(samples[j], HR_SCALE), caption=f"sample {j + 1}")
        with cols[-1]:
            vmax = max(float(std.max()), 1e-6)
            show_png(heat_png(std, vmax, HR_SCALE), caption=f"per-pixel std (max {vmax:.3f})")


def main() -> None:
    path, model, info, ckey, dataset, degradation, split = model_page_header("Compare", "🖼️", "cmp")
    # A newcomer (opening on a shipped checkpoint) sees it next to the strong deterministic bar.
    primary, more_paths = pick_more_models("cmp", path, newcomer_models=("resnet-sr",), max_models=MAX_MORE)
    models = {primary: model}
    keys = {primary: ckey}
    for label, p in more_paths.items():
        loaded = load_model_or_none(p, label)
        if loaded is not None:
            models[label], keys[label] = loaded
    if len(models) > 1:
        st.caption(f"Every model is evaluated on {dataset} test images with the {degradation} degradation "
                   f"(the first model's; a model trained on other data is shown as it transfers).")

    c1, c2 = st.columns(2)
    can_project = projection_available(degradation)
    projection = c1.toggle("LR-consistent projection", key="cmp_projection", persist_state=P,
                           disabled=not can_project,
                           help="Adds each model's SR back-projected onto its LR input (exact for the box "
                                "degradation): the output then downsamples exactly to the input.") and can_project
    temperature = None
    tempered = [m for m in models.values() if takes_temperature(m)]
    if tempered:
        st.session_state.setdefault("cmp_temperature", float(tempered[0].config.temperature))
        temperature = float(c2.slider("Temperature (stochastic models)", 0.0, 1.5, step=0.05,
                                      key="cmp_temperature", persist_state=P,
                                      help="Scales the spread of the prior the latent is drawn from: 0 gives one "
                                           "deterministic image, 1 samples the learned prior."))

    st.subheader("Set-level metrics")
    st.session_state.setdefault("cmp_limit", 2000)
    limit = int(st.number_input("Test images for set-level metrics", min_value=100, max_value=len(split),
                                step=500, key="cmp_limit", persist_state=P,
                                help="The first N test images; results are cached per checkpoint file."))
    table_area = st.container()  # filled after the grid, so the (fast) grid shows while the set is scored

    def score(label: str) -> dict[str, dict[str, np.ndarray]]:
        t = temperature_for(models[label], temperature)
        try:
            return cached_set_metrics(*keys[label], limit, str(data_dir()), dataset, degradation, projection, t)
        except UserError as exc:
            st.error(str(exc))
            st.stop()

    st.subheader("Samples")
    c1, c2, c3 = st.columns([2, 2, 3])
    mode = c1.radio("Choose test images", SELECTION_MODES, key="cmp_mode", persist_state=P)
    count = int(c2.number_input("How many", min_value=1, max_value=24, value=6, key="cmp_count",
                                persist_state=P, disabled=(mode == "By index"),
                                help="Not used with 'By index': the typed indices decide."))
    with c3:
        indices_text, class_index, seed = "0", 0, 0
        if mode == "By index":
            indices_text = st.text_input("Test image indices", value="0, 1, 2, 3", key="cmp_indices",
                                         persist_state=P, help="Numbers and ranges, e.g. 0, 5, 10-12.")
        elif mode == "By class":
            class_index = st.selectbox("Class", range(len(split.classes)), key="cmp_class", persist_state=P,
                                       format_func=lambda c: split.classes[c])
        elif mode == "Random":
            seed = int(st.number_input("Random seed", value=0, step=1, key="cmp_seed", persist_state=P))
        else:
            st.caption(f"Ranked by the SR PSNR of `{primary}` over the {limit} images scored above.")
    per = {}
    if mode in ("Worst PSNR", "Best PSNR"):
        with table_area:
            per[primary] = score(primary)
    try:
        indices = select_indices(mode, split, count=count, indices=indices_text, class_index=class_index,
                                 seed=seed, psnr_values=per[primary]["model"]["psnr"] if per else None)
    except UserError as exc:
        st.error(str(exc))
        indices = []
    if indices:
        res = compare_grid(models, split, indices, degradation=degradation, projection=projection,
                           temperature=temperature)
        draw_grid(res)
        st.caption("Pixel-exact: each image is a lossless PNG zoomed with nearest neighbour (HR 4×, LR 8×). "
                   "PSNR/SSIM are against the HR image, per image. Stochastic models show the sample of seed 0.")
        diversity_section(models, split, indices[0], torch.from_numpy(res["columns"][1]["images"][:1]).unsqueeze(1),
                          temperature)

    with table_area:
        for label in models:
            if label not in per:
                per[label] = score(label)
        st.table(compare_table(per))
        sampled = any(getattr(m, "stochastic", False) for m in models.values())
        st.caption(f"Protocol: {SHORT_PROTOCOL}. {limit} test images; a full reconstruction sees the HR image, "
                   f"so it is not super-resolution."
                   + (" Diversity: mean per-pixel standard deviation over 8 SR samples of each LR image; "
                      "best-of-8: per image the best PSNR of those 8 samples." if sampled else ""))
        run_dir = path.resolve().parent
        if (run_dir / "config.json").is_file() and path.name == "checkpoint.pt" and not primary.startswith(
                SHIPPED_PREFIX):
            if st.button("Save as the run's evaluation (eval.json)", key="cmp_save_eval",
                         help="The Runs page shows the PSNR of a run's eval.json."):
                result = eval_result(per[primary], dataset=dataset, degradation=degradation, step=info.get("step"))
                if temperature_for(model, temperature) is not None:
                    result["temperature"] = temperature
                atomic_write_text(RunDir(run_dir).eval_path, json.dumps(json_safe(result), indent=2))
                st.success(f"Saved {RunDir(run_dir).eval_path}: SR PSNR "
                           f"{result['model']['psnr']:.2f} dB over {result['n_images']} test images.")
        with st.expander("Per-image PSNR distribution"):
            hist = {label: p["model"]["psnr"] for label, p in per.items()}
            hist["bicubic"] = per[primary]["bicubic"]["psnr"]
            st.plotly_chart(psnr_histogram_figure(hist, title="Per-image PSNR (each model's SR vs bicubic)"),
                            key="cmp_hist")


if __name__ == "__main__":
    main()
