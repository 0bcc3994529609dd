"""Latent page: the paper's central object, the 14x14 latent image, next to the LR image it should be.

Per chosen test image: HR | LR | μ | σ | z | |z − LR| | decoder(μ) | decoder(LR) = SR, each with its
number; the set-level latent table (scored in the background); an interpolation strip between two
test images (through their LR images and through their μ's); a noise slider that adds σ-scaled
Gaussian noise to the LR image before decoding.
"""
from __future__ import annotations

import uuid

import numpy as np
import streamlit as st

from sr_core.errors import UserError
from ui.studio.services import worker
from ui.compare import HR_SCALE, LR_SCALE, RANKED_MODES, SELECTION_MODES, select_indices
from ui.images import mosaic, png_bytes
from ui.latent import (INTERP_STEPS, NOISE_SCALES, PANELS, heat_pixels, heat_scale_png, interpolation,
                       latent_table, latent_task, noisy_decode, panel_caption, sample_panels, table_caption)
from ui.studio.model_picker import model_page_header
from ui.studio.widgets import cell, cell_flow, show_png

P = "session"
POLL_S = 1.0


def _scale(img) -> int:
    return HR_SCALE if img.shape[-1] == 28 else LR_SCALE


def samples_section(model, split, indices: list[int], degradation: str) -> None:
    res = sample_panels(model, split, indices, degradation=degradation)
    imgs, metrics = res["images"], res["metrics"]
    sig_max = max(float(imgs["sigma"].max()), 1e-6)
    err_max = max(float(imgs["err"].max()), 1e-6)
    for i, idx in enumerate(indices):  # one wrapping row of titled cells per sample (never wider than the page)
        with cell_flow():
            for key, title in PANELS:
                img = imgs[key][i]
                with cell():
                    st.markdown(f"**{title}**")
                    if key in ("sigma", "err"):
                        data = heat_pixels(img, sig_max if key == "sigma" else err_max, _scale(img))
                    else:
                        data = png_bytes(img, _scale(img))
                    show_png(data, caption=(f"#{idx} · " if key == "hr" else "") + panel_caption(key, metrics, i))
    s1, s2 = st.columns(2)
    with s1:
        show_png(heat_scale_png(sig_max), caption=f"σ scale: 0 (black) → {sig_max:.4f} (yellow)")
    with s2:
        show_png(heat_scale_png(err_max), caption=f"|z − LR| scale: 0 (black) → {err_max:.4f} (yellow)")
    st.caption("Pixel-exact PNGs (HR 4×, latent/LR 8× nearest neighbour). μ is the posterior mean latent "
               "image, z one sample (seed 0), both compared with the LR image (PSNR, data range 1). "
               "decoder(μ) sees the HR image through the encoder; decoder(LR) is the SR image: the "
               "difference is what SR loses because LR ≠ latent. Numbers under the decoders: PSNR / SSIM vs HR.")


def set_section(head) -> None:
    """The set-level latent table: a task of the process-wide background worker (cached per checkpoint,
    dataset, degradation and N; a newer request of this page supersedes the older one)."""
    split = head.split
    st.session_state.setdefault("lat_limit", 2000)
    limit = int(st.number_input("Test images for the set-level table", min_value=100, max_value=len(split),
                                step=500, key="lat_limit", persist_state=P))
    task = latent_task(head.model, split, ckpt=head.ckpt, label=head.model.name, dataset=head.dataset,
                       limit=limit, degradation=head.degradation)
    w = worker()
    client = st.session_state.setdefault("lat_client", f"latent:{uuid.uuid4()}")
    result, err = w.lookup(task.key), w.error(task.key)
    if err:
        st.error(f"Scoring failed: {err}")
        return
    if result is not None:
        st.table(latent_table(result))
        st.caption(table_caption(result["n_images"]))
        return
    c1, c2 = st.columns(2)
    wanted = st.session_state.get("lat_wanted") == task.key
    if not wanted and c1.button("Compute set-level latent metrics", key="lat_start", type="primary"):
        st.session_state["lat_wanted"], wanted = task.key, True
    if not wanted:
        w.stop(client)  # the settings changed: this page no longer wants its older table
        return
    w.request([task], client)
    if c2.button("Stop", key="lat_stop"):
        w.stop(client)
        st.session_state.pop("lat_wanted", None)
        st.rerun()
    st.fragment(run_every=POLL_S)(_progress)(w, task, client)


def _progress(w, task, client: str) -> None:
    w.request([task], client)  # polling renews the request (a closed tab's lapses)
    status = w.status([task.key])
    st.progress(status.fraction, text=f"Scoring {status.done}/{status.total} test images"
                + (f" · about {status.eta_s:.0f} s left" if status.eta_s is not None else ""))
    if status.complete:
        st.rerun(scope="app")  # done: draw the table once


def choose_indices(split) -> list[int]:
    c1, c2, c3 = st.columns([2, 2, 3])
    modes = [m for m in SELECTION_MODES if m not in RANKED_MODES]  # ranking needs a scored set: Compare has it
    mode = c1.radio("Choose test images", modes, key="lat_mode", persist_state=P, format_func=SELECTION_MODES.get)
    count = int(c2.number_input("How many", min_value=1, max_value=8, value=3, key="lat_count",
                                persist_state=P, disabled=(mode == "index")))
    indices_text, class_index, seed = "0", 0, 0
    with c3:
        if mode == "index":
            indices_text = st.text_input("Test image indices", value="0, 1, 2", key="lat_indices",
                                         persist_state=P, help="Numbers and ranges, e.g. 0, 5, 10-12.")
        elif mode == "class":
            class_index = st.selectbox("Class", range(len(split.classes)), key="lat_class", persist_state=P,
                                       format_func=lambda c: split.classes[c])
        else:
            seed = int(st.number_input("Random seed", value=0, step=1, key="lat_seed", persist_state=P))
    try:
        return select_indices(mode, split, count=count, indices=indices_text, class_index=class_index, seed=seed)[:8]
    except UserError as exc:
        st.error(str(exc))
        return []


def interpolation_section(model, split, degradation: str) -> None:
    st.subheader("Interpolation")
    c1, c2 = st.columns(2)
    a = int(c1.number_input("From test image", 0, len(split) - 1, 0, key="lat_from", persist_state=P))
    b = int(c2.number_input("To test image", 0, len(split) - 1, 1, key="lat_to", persist_state=P))
    res = interpolation(model, split, a, b, degradation=degradation)
    for key, what in (("lr", "between their LR images"), ("mu", "between their μ's")):
        show_png(png_bytes(_strip(res[key]), HR_SCALE // 2),
                 caption=f"decoder of {INTERP_STEPS} latents on the line {what} (t = 0 … 1)")


def _strip(images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) -> one row of tiles."""
    return mosaic([list(images)], size=28, gap=2)


def noise_section(model, split, indices: list[int], degradation: str) -> None:
    st.subheader("Sampling noise")
    k = st.select_slider("Noise added to LR before decoding (× the image's σ)", NOISE_SCALES, value=0.0,
                         key="lat_noise", persist_state=P,
                         help="Training decodes z = LR-like latent + σ·noise; this shows how the decoder "
                              "treats that noise, and more of it.")
    res = noisy_decode(model, split, indices, float(k), degradation=degradation)
    show_png(png_bytes(_strip(res["sr"]), HR_SCALE // 2),
             caption="decoder(LR + noise): PSNR vs HR " + ", ".join(f"{v:.2f}" for v in res["psnr"]) + " dB")


def main() -> None:
    head = model_page_header("Latent", "🧬", "lat")
    model, degradation, split = head.model, head.degradation, head.split
    if not model.has_latent:
        st.info(f"`{model.name}` has no latent image: pick a CNN-VAE (cnn-vae-paper, cnn-vae, cnn-vae-class, "
                f"cnn-vae-deep). cvae-sr's latent is a 2-channel code on the 14×14 grid for what LR leaves "
                f"open, drawn from a prior given LR; resnet-sr has none.")
        return
    st.subheader("Samples")
    indices = choose_indices(split)
    if indices:
        samples_section(model, split, indices, degradation)
    st.subheader("Set-level latent metrics")
    set_section(head)
    interpolation_section(model, split, degradation)
    if indices:
        noise_section(model, split, indices, degradation)


if __name__ == "__main__":
    main()
