"""Compare page: a trained model's decoder-only SR against the interpolation baselines.

Set-level table (model vs nearest/bilinear/bicubic, PSNR/SSIM/LR-PSNR) over a chosen number of test
images, then one row per chosen sample: HR | LR | full-VAE reconstruction | decoder-only SR | bicubic |
|SR − HR|, each with its PSNR/SSIM, drawn pixel-exact.
"""
from __future__ import annotations

import json

import numpy as np
import streamlit as st
import torch

from sr_core.checkpoint import atomic_write_text
from sr_core.data import load_split
from sr_core.errors import UserError
from sr_core.evaluate import SHORT_PROTOCOL, json_safe
from sr_core.runs import RunDir
from ui.analysis import (SELECTION_MODES, eval_result, metrics_table, sample_grid, select_indices, set_metrics,
                         stochastic_samples)
from ui.figures import psnr_histogram_figure
from ui.images import heat_png, png_bytes
from ui.widgets import data_dir, load_model_cached, model_page_header, show_png

P = "session"
HR_SCALE, LR_SCALE = 4, 8  # both show as 112 px
ERROR_VMAX = 0.5  # |SR − HR| of 0.5 or more shows at full brightness
COLUMNS = (("hr", "HR (truth)"), ("lr", "LR input"), ("recon", "Full-VAE reconstruction"),
           ("sr", "Decoder-only SR"), ("bicubic", "Bicubic"), ("error", "|SR − HR|"))


@st.cache_data(max_entries=16, show_spinner="Scoring test images (model and baselines)…")
def cached_set_metrics(path: str, mtime: float, size: int, limit: int, root: str, dataset: str,
                       degradation: str) -> dict[str, dict[str, np.ndarray]]:
    """Per-image metrics of the first ``limit`` test images; keyed by checkpoint path + mtime."""
    model, _ = load_model_cached(path, mtime, size)
    split = load_split(dataset, train=False, data_dir=root, download=False)
    return set_metrics(model, split, degradation=degradation, limit=limit)


def cell_caption(res: dict, key: str, i: int) -> str:
    if key == "hr":
        return f"#{res['indices'][i]} · {res['labels'][i]}"
    if key == "lr":
        return "14×14 (shown 8×)"
    if key == "error":
        return f"max {res['images']['error'][i].max():.2f} (bright = {ERROR_VMAX:g}+)"
    if key not in res["psnr"]:
        return ""
    return f"PSNR {res['psnr'][key][i]:.2f} dB · SSIM {res['ssim'][key][i]:.3f}"


def image_for(res: dict, key: str, i: int) -> bytes:
    img = res["images"][key][i]
    if key == "error":
        return heat_png(img, ERROR_VMAX, scale=HR_SCALE)
    return png_bytes(img, scale=LR_SCALE if key == "lr" else HR_SCALE)


def draw_grid(res: dict, has_recon: bool) -> None:
    cols_spec = [c for c in COLUMNS if c[0] != "recon" or has_recon]
    header = st.columns(len(cols_spec))
    for col, (_, title) in zip(header, cols_spec):
        col.markdown(f"**{title}**")
    for i in range(len(res["indices"])):
        cols = st.columns(len(cols_spec))
        for col, (key, _) in zip(cols, cols_spec):
            with col:
                show_png(image_for(res, key, i), caption=cell_caption(res, key, i))


def main() -> None:
    path, model, info, ckey, dataset, degradation, split = model_page_header("Compare", "🖼️", "cmp")

    st.subheader("Set-level metrics")
    st.session_state.setdefault("cmp_limit", 2000)
    limit = int(st.number_input("Test images for set-level metrics", min_value=100, max_value=len(split),
                                step=500, key="cmp_limit", persist_state=P,
                                help="The first N test images; results are cached per checkpoint file."))
    table_area = st.container()  # filled after the grid, so the (fast) grid shows while the set is scored

    def score() -> dict[str, dict[str, np.ndarray]]:
        try:
            return cached_set_metrics(*ckey, limit, str(data_dir()), dataset, degradation)
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
            st.caption(f"Ranked by the decoder-only SR's PSNR over the {limit} images scored above.")
    ranked = mode in ("Worst PSNR", "Best PSNR")
    per = None
    if ranked:
        with table_area:
            per = score()
    try:
        indices = select_indices(mode, split, count=count, indices=indices_text, class_index=class_index,
                                 seed=seed, psnr_values=per["model"]["psnr"] if per else None)
    except UserError as exc:
        st.error(str(exc))
        indices = []
    if indices:
        res = sample_grid(model, split, indices, degradation=degradation)
        draw_grid(res, has_recon="recon" in res["images"])
        st.caption("Pixel-exact: each image is a lossless PNG zoomed with nearest neighbour (HR 4×, LR 8×). "
                   "PSNR/SSIM are against the HR image.")
    st.subheader("Diversity")
    if not getattr(model, "stochastic", False):
        st.caption(f"`{info.get('model_name')}` is deterministic: its decoder-only SR is the same image every "
                   f"time, so there is no sample diversity to show.")
    elif indices:
        n = int(st.slider("Samples of the same LR image", 2, 16, 6, key="cmp_nsamples", persist_state=P))
        idx = indices[0]
        st.caption(f"{n} decoder-only SR samples of test image #{idx} (seeds 0…{n - 1}) and their per-pixel "
                   f"standard deviation.")
        lr = torch.from_numpy(res["images"]["lr"][:1]).unsqueeze(1)
        samples, std = stochastic_samples(model, lr, n, labels=split.labels[[idx]])
        cols = st.columns(min(n, 8) + 1)
        for j in range(n):
            with cols[j % (len(cols) - 1)]:
                show_png(png_bytes(samples[j], HR_SCALE), caption=f"sample {j + 1}")
        with cols[-1]:
            vmax = max(float(std.max()), 1e-6)
            show_png(heat_png(std, vmax, HR_SCALE), caption=f"per-pixel std (max {vmax:.3f})")

    with table_area:
        per = per or score()
        st.table(metrics_table(per))
        st.caption(f"Protocol: {SHORT_PROTOCOL}. {limit} test images; the reconstruction sees the HR image, "
                   f"so it is not super-resolution.")
        run_dir = path.resolve().parent
        if (run_dir / "config.json").is_file() and path.name == "checkpoint.pt":
            if st.button("Save as the run's evaluation (eval.json)", key="cmp_save_eval",
                         help="The Runs page shows the PSNR of a run's eval.json."):
                result = eval_result(per, dataset=dataset, degradation=degradation, step=info.get("step"))
                atomic_write_text(RunDir(run_dir).eval_path, json.dumps(json_safe(result), indent=2))
                st.success(f"Saved {RunDir(run_dir).eval_path}: decoder-only SR PSNR "
                           f"{result['model']['psnr']:.2f} dB over {result['n_images']} test images.")
        with st.expander("Per-image PSNR distribution"):
            hist = {"decoder-only SR": per["model"]["psnr"], "bicubic": per["bicubic"]["psnr"]}
            st.plotly_chart(psnr_histogram_figure(hist, title="Per-image PSNR (decoder-only SR vs bicubic)"),
                            key="cmp_hist")


if __name__ == "__main__":
    main()
