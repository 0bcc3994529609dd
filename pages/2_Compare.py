"""Compare page: one or several models' SR against the interpolation baselines.

Two fragments, so a control reruns only what depends on it:
- *Samples* (temperature, projection, sample choice): the grid of a few test images, one block per
  sample with the context images on top and each model's SR under them, pixel-exact; then n samples of
  one LR image per stochastic model. Computed in the script run: a handful of images is fast.
- *Set-level metrics*: every model's SR (and projection) and nearest/bilinear/bicubic over N test
  images, scored in the background (:mod:`ui.background`); this fragment polls every second, shows
  images done / total and time left, and keeps the last finished numbers (marked stale) meanwhile.
"""
from __future__ import annotations

import html
import uuid

import streamlit as st

from sr_core.data import get_degradation
from sr_core.errors import UserError
from sr_core.evaluate import eval_result, write_eval
from ui.background import worker
from ui.compare import (RANKED_MODES, SELECTION_MODES, compare_grid, diversity_samples, grid_rows,
                        projection_available, select_indices, takes_temperature, temperature_for)
from ui.figures import psnr_histogram_figure
from ui.images import heat_png, png_bytes
from ui.labels import SHIPPED_PREFIX, SHORT_PROTOCOL
from ui.set_level import BASELINES, STALE_MARK, LoadedModel, SetRequest, compare_table, table_state
from ui.widgets import PageModel, chosen_models, fmt_duration, model_page_header, show_png

P = "session"
HR_SCALE, LR_SCALE = 4, 8  # both show as 112 px
ERROR_VMAX = 0.5  # |SR − HR| of 0.5 or more shows at full brightness
MAX_MORE = 3  # models beside the primary one
PER_ROW = 5  # grid cells per row: 112-px images with their captions fit 1280-px windows
DEFAULT_LIMIT = 1000  # the live table's N; the full test set is an explicit action
POLL_S = 1.0  # the set-level fragment re-reads the background results this often


def cell_caption(col: dict, res: dict, i: int) -> str:
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


def image_for(col: dict, i: int) -> bytes:
    img = col["images"][i]
    if col["key"] == "error":
        return heat_png(img, ERROR_VMAX, scale=HR_SCALE)
    return png_bytes(img, scale=LR_SCALE if col["key"] == "lr" else HR_SCALE)


def title_html(title: str) -> str:
    """A cell title that wraps between words only (each word, hyphens included, stays on one line)."""
    words = " ".join(f'<span style="white-space:nowrap">{html.escape(w)}</span>' for w in title.split())
    return f'<div class="cmp-title"><b>{words}</b></div>'


def draw_grid(res: dict) -> None:
    """One block per sample: rows of :data:`PER_ROW` cells, each a title, the image and its caption."""
    for i, idx in enumerate(res["indices"]):
        st.markdown(f"**Test image #{idx}** · {res['labels'][i]}")
        for row in grid_rows(res["columns"], PER_ROW):
            for col, spec in zip(st.columns(PER_ROW), row):
                with col:
                    st.markdown(title_html(spec["title"]), unsafe_allow_html=True)
                    show_png(image_for(spec, i), caption=cell_caption(spec, res, i))


def diversity_section(models: list[LoadedModel], split, degradation: str, idx: int,
                      temperature: float | None) -> None:
    st.subheader("Diversity")
    stochastic = [m for m in models if type(m.model).stochastic]
    if not stochastic:
        st.caption("No chosen model is stochastic: each gives the same SR image every time, so there is no "
                   "sample diversity to show. (cvae-sr is; add its shipped checkpoint above.)")
        return
    n = int(st.slider("Samples of the same LR image", 2, 16, 6, key="cmp_nsamples", persist_state=P))
    t_text = "" if temperature is None else f" at temperature {temperature:g}"
    lr = get_degradation(degradation)(split.hr([idx]))  # (1, 1, 14, 14)
    for m in stochastic:
        st.markdown(f"**{m.label}**: {n} SR samples of test image #{idx}{t_text} (seeds 0…{n - 1}) and their "
                    f"per-pixel standard deviation")
        samples, std = diversity_samples(m.model, lr, n, labels=split.labels[[idx]], temperature=temperature)
        cols = st.columns(min(n, 8) + 1)
        for j in range(n):
            with cols[j % (len(cols) - 1)]:
                show_png(png_bytes(samples[j], HR_SCALE), caption=f"sample {j + 1}")
        with cols[-1]:
            vmax = max(float(std.max()), 1e-6)
            show_png(heat_png(std, vmax, HR_SCALE), caption=f"per-pixel std (max {vmax:.3f})")


def options(head: PageModel, models: list[LoadedModel]) -> tuple[bool, float | None]:
    """Projection toggle and temperature slider (shared by the grid and the set-level table)."""
    c1, c2 = st.columns(2)
    can_project = projection_available(head.degradation)
    projection = c1.toggle("LR-consistent projection", key="cmp_projection", persist_state=P,
                           disabled=not can_project,
                           help="Adds each model's SR back-projected onto its LR input (exact for the box "
                                "degradation): the output then downsamples exactly to the input.") and can_project
    temperature = None
    tempered = [m.model for m in models if takes_temperature(m.model)]
    if tempered:
        st.session_state.setdefault("cmp_temperature", float(tempered[0].config.temperature))
        temperature = float(c2.slider("Temperature (stochastic models)", 0.0, 1.5, step=0.05,
                                      key="cmp_temperature", persist_state=P,
                                      help="Scales the spread of the prior the latent is drawn from: 0 gives one "
                                           "deterministic image, 1 samples the learned prior."))
    return projection, temperature


def samples_view(head: PageModel, models: list[LoadedModel]) -> None:
    """Fragment: options, sample choice, the grid and the diversity view."""
    projection, temperature = options(head, models)
    st.subheader("Samples")
    c1, c2, c3 = st.columns([2, 2, 3])
    mode = c1.radio("Choose test images", list(SELECTION_MODES), key="cmp_mode", persist_state=P,
                    format_func=SELECTION_MODES.get)
    count = int(c2.number_input("How many", min_value=1, max_value=24, value=6, key="cmp_count",
                                persist_state=P, disabled=(mode == "index"),
                                help="Not used with 'By index': the typed indices decide."))
    indices_text, class_index, seed, ranked = "0", 0, 0, None
    with c3:
        if mode == "index":
            indices_text = st.text_input("Test image indices", value="0, 1, 2, 3", key="cmp_indices",
                                         persist_state=P, help="Numbers and ranges, e.g. 0, 5, 10-12.")
        elif mode == "class":
            class_index = st.selectbox("Class", range(len(head.split.classes)), key="cmp_class", persist_state=P,
                                       format_func=lambda c: head.split.classes[c])
        elif mode == "random":
            seed = int(st.number_input("Random seed", value=0, step=1, key="cmp_seed", persist_state=P))
        else:
            request = set_request(head, models)
            ranked = worker().lookup(request.key(models[0].label))
            st.caption(f"Ranked by the SR PSNR of `{models[0].label}` over the {request.limit} images of the "
                       f"set-level table.")
    st.session_state["cmp_waiting_rank"] = mode in RANKED_MODES and ranked is None
    if st.session_state["cmp_waiting_rank"]:
        st.info("Ranking needs the set-level scores of the first model; they are being computed (see the "
                "progress under Set-level metrics) and the grid appears when they are ready.")
        return
    try:
        indices = select_indices(mode, head.split, count=count, indices=indices_text, class_index=class_index,
                                 seed=seed, psnr_values=ranked["model"]["psnr"] if ranked else None)
    except UserError as exc:
        st.error(str(exc))
        return
    grid = compare_grid({m.label: m.model for m in models}, head.split, indices, degradation=head.degradation,
                        projection=projection, temperature=temperature)
    draw_grid(grid)
    st.caption("Pixel-exact: each image is a lossless PNG zoomed with nearest neighbour (HR 4×, LR 8×). "
               "PSNR/SSIM are against the HR image, per image. Stochastic models show the sample of seed 0.")
    diversity_section(models, head.split, head.degradation, indices[0], temperature)


def set_request(head: PageModel, models: list[LoadedModel]) -> SetRequest:
    """The set-level request of the page's current settings (read from the widgets' session state)."""
    s = st.session_state
    temperature = float(s["cmp_temperature"]) if any(takes_temperature(m.model) for m in models) \
        and "cmp_temperature" in s else None
    projection = bool(s.get("cmp_projection")) and projection_available(head.degradation)
    limit = min(int(s.get("cmp_limit", DEFAULT_LIMIT)), len(head.split))
    return SetRequest(tuple(models), head.split, head.dataset, head.degradation, limit, projection, temperature)


def _score_all() -> None:
    st.session_state["cmp_limit"] = st.session_state["cmp_n_test"]
    st.session_state["cmp_paused"] = False


def _stop_or_resume(client: str) -> None:
    paused = not st.session_state.get("cmp_paused", False)
    st.session_state["cmp_paused"] = paused
    if paused:
        worker().stop(client)


def table_view(head: PageModel, models: list[LoadedModel]) -> None:
    """Fragment (polls every second): request the set-level table, draw what is ready."""
    st.subheader("Set-level metrics")
    n_test = len(head.split)
    st.session_state["cmp_n_test"] = n_test
    st.session_state.setdefault("cmp_limit", min(DEFAULT_LIMIT, n_test))
    c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
    c1.number_input("Test images for set-level metrics", min_value=100, max_value=n_test, step=500,
                    key="cmp_limit", persist_state=P,
                    help="The first N test images, scored in the background; results are cached per setting.")
    c2.button(f"Score the full {n_test:,} test images", key="cmp_score_all", on_click=_score_all,
              disabled=st.session_state["cmp_limit"] >= n_test, help="Runs in the background with its progress.")
    request = set_request(head, models)
    w = worker()
    paused = st.session_state.get("cmp_paused", False)
    client = st.session_state.setdefault("cmp_client", f"compare:{uuid.uuid4()}")
    if not paused:
        w.request(request.tasks(), client)
    state = table_state(w, request, st.session_state.setdefault("cmp_shown", {}))
    if not state.complete and not state.errors:
        c3.button("Stop" if not paused else "Resume", key="cmp_stop", on_click=_stop_or_resume, args=(client,))
        if paused:
            st.warning("Set-level scoring is stopped; press Resume to go on.")
        else:
            st.progress(state.status.fraction,
                        text=f"Scoring {state.status.current or 'queued work'}: {state.status.done:,} / "
                             f"{state.status.total:,} images · {fmt_duration(state.status.eta_s)} left")
    for label, err in state.errors.items():
        st.error(f"'{label}': set-level scoring failed: {err}")
    per = state.per
    if per or state.missing:
        st.table(compare_table(per, stale=state.stale, projection=request.projection, pending=state.missing))
    if state.stale:
        st.caption(f"Rows marked{STALE_MARK} are the last finished numbers of an earlier setting; the new "
                   f"ones replace them model by model.")
    sampled = any(type(m.model).stochastic for m in models)
    st.caption(f"Protocol: {SHORT_PROTOCOL}. Set-level table over the first {request.limit:,} of {n_test:,} "
               f"test images; a full reconstruction sees the HR image, so it is not super-resolution."
               + (" Diversity: mean per-pixel standard deviation over 8 SR samples of each LR image; "
                  "best-of-8: per image the best PSNR of those 8 samples." if sampled else ""))
    primary = models[0].label
    if state.complete and primary in per:
        save_eval_button(head, models[0], per, request)
        if st.toggle("Per-image PSNR distribution", key="cmp_hist_on"):
            hist = {label: p["model"]["psnr"] for label, p in per.items() if label != BASELINES}
            hist["bicubic"] = per[BASELINES]["bicubic"]["psnr"]
            st.plotly_chart(psnr_histogram_figure(hist, title="Per-image PSNR (each model's SR vs bicubic)"),
                            key="cmp_hist")
    if st.session_state.get("cmp_waiting_rank") and primary in per and primary not in state.stale:
        st.session_state["cmp_waiting_rank"] = False
        st.rerun()  # the ranked grid was waiting for these numbers


def save_eval_button(head: PageModel, primary: LoadedModel, per: dict, request: SetRequest) -> None:
    """Write the primary's set-level numbers as its run's eval.json (trained runs only)."""
    path = head.path
    if not ((path.resolve().parent / "config.json").is_file() and path.name == "checkpoint.pt"
            and not primary.label.startswith(SHIPPED_PREFIX)):
        return
    if st.button("Save as the run's evaluation (eval.json)", key="cmp_save_eval",
                 help="The Runs page shows the PSNR of a run's eval.json."):
        stochastic = type(primary.model).stochastic
        result = eval_result({**per[primary.label], **per[BASELINES]}, dataset=head.dataset,
                             degradation=head.degradation, step=head.info.get("step"),
                             samples=8 if stochastic else None,
                             temperature=temperature_for(primary.model, request.temperature))
        saved = write_eval(path.resolve().parent, result)
        st.success(f"Saved {saved}: SR PSNR {result['model']['psnr']:.2f} dB over {result['n_images']} test images.")


def main() -> None:
    head = model_page_header("Compare", "🖼️", "cmp")
    # A newcomer (opening on a shipped checkpoint) sees it next to the strong deterministic bar.
    models = chosen_models("cmp", head, newcomer_models=("resnet-sr",), max_models=MAX_MORE)
    if len(models) > 1:
        st.caption(f"Every model is evaluated on {head.dataset} test images with the {head.degradation} "
                   f"degradation (the first model's; a model trained on other data is shown as it transfers).")
    st.fragment(samples_view)(head, models)
    st.fragment(run_every=POLL_S)(table_view)(head, models)


if __name__ == "__main__":
    main()
