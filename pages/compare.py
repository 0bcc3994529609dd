"""Compare page: one or several models' SR against the interpolation baselines, on the model's 28×28 test
set or on held-out photos (:func:`ui.studio.photo_views.compare_photos`). For 28×28, two fragments:
- *Samples* (temperature, projection, sample choice): a grid of a few test images, pixel-exact, per model;
  then n samples of one LR image per stochastic model. Computed in the script run (a handful is fast).
- *Set-level metrics*: every model's SR (and projection) and nearest/bilinear/bicubic over N test images,
  scored in the background (:mod:`ui.background`), polled every second with progress; the last finished
  numbers stay (marked stale) meanwhile.
"""
from __future__ import annotations

import uuid

import streamlit as st

from sr_core.errors import UserError
from ui.studio.services import worker
from ui.compare import (RANKED_MODES, SELECTION_MODES, already_consistent, cell_caption, cell_png, compare_grid,
                        consistent_note, diversity_pngs, grid_cells, projection_available, select_indices, title_html)
from ui.figures import psnr_histogram_figure
from ui.studio.photo_views import compare_photos, data_source, trained_on_caption
from ui.studio.model_picker import PageModel, chosen_models, model_page_header
from ui.set_level import (STALE_MARK, LoadedModel, SetRequest, compare_table, eval_run_dir, histogram_values,
                          init_table_settings, progress_text, protocol_caption, save_eval, score_all, set_request,
                          stop_or_resume, table_state)
from ui.studio.widgets import cell, cell_flow, show_png

P = "session"
MAX_MORE = 3  # models beside the primary one
POLL_S = 1.0  # the set-level fragment re-reads the background results this often


def draw_grid(res: dict) -> None:
    """One block per sample: fixed-width cells (title, image, caption) that wrap to the window's width."""
    cells = grid_cells(res["columns"])
    for i, idx in enumerate(res["indices"]):
        st.markdown(f"**Test image #{idx}** · {res['labels'][i]}")
        with cell_flow():
            for spec in cells:
                with cell():
                    st.markdown(title_html(spec["title"]), unsafe_allow_html=True)
                    show_png(cell_png(spec, i), caption=cell_caption(spec, res, i))
    if same := already_consistent(res["columns"]):
        st.caption(consistent_note(same))


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
    for m in stochastic:
        st.markdown(f"**{m.label}**: {n} SR samples of test image #{idx}{t_text} (seeds 0…{n - 1}) and their "
                    f"per-pixel standard deviation")
        samples, std, vmax = diversity_pngs(m.model, split, idx, n, degradation=degradation, temperature=temperature)
        with cell_flow():  # wraps to the window: never narrower than the images
            for j, png in enumerate(samples):
                with cell():
                    show_png(png, caption=f"sample {j + 1}")
            with cell():
                show_png(std, caption=f"per-pixel std (max {vmax:.3f})")


def options(head: PageModel, models: list[LoadedModel]) -> tuple[bool, float | None]:
    """Projection toggle and temperature slider (shared by the grid and the set-level table)."""
    c1, c2 = st.columns(2)
    can_project = projection_available(head.degradation)
    projection = c1.toggle("LR-consistent projection", key="cmp_projection", persist_state=P,
                           disabled=not can_project,
                           help="Adds each model's SR back-projected onto its LR input (exact for the box "
                                "degradation): the output then downsamples exactly to the input.") and can_project
    temperature = None
    tempered = [m.model for m in models if m.model.takes_temperature]
    if tempered:  # the range and default are the models' own (SRModel.temperature_range)
        lo, hi = min(m.temperature_range[0] for m in tempered), max(m.temperature_range[1] for m in tempered)
        st.session_state.setdefault("cmp_temperature", float(tempered[0].default_temperature()))
        temperature = float(c2.slider("Temperature (stochastic models)", lo, hi, step=0.05,
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
            request = set_request(st.session_state, models, head.split, head.dataset, head.degradation)
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


def table_view(head: PageModel, models: list[LoadedModel]) -> None:
    """Fragment (polls every second): request the set-level table, draw what is ready."""
    st.subheader("Set-level metrics")
    n_test = len(head.split)
    init_table_settings(st.session_state, n_test)
    c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
    c1.number_input("Test images for set-level metrics", min_value=100, max_value=n_test, step=500,
                    key="cmp_limit", persist_state=P,
                    help="The first N test images, scored in the background; results are cached per setting.")
    c2.button(f"Score the full {n_test:,} test images", key="cmp_score_all", on_click=score_all, args=(st.session_state,),
              disabled=st.session_state["cmp_limit"] >= n_test, help="Runs in the background with its progress.")
    request = set_request(st.session_state, models, head.split, head.dataset, head.degradation)
    w = worker()
    paused = st.session_state.get("cmp_paused", False)
    client = st.session_state.setdefault("cmp_client", f"compare:{uuid.uuid4()}")
    if not paused:
        w.request(request.tasks(), client)
    state = table_state(w, request, st.session_state.setdefault("cmp_shown", {}))
    if not state.complete and not state.errors:
        c3.button("Stop" if not paused else "Resume", key="cmp_stop", on_click=stop_or_resume,
                  args=(st.session_state, w, client))
        if paused:
            st.warning("Set-level scoring is stopped; press Resume to go on.")
        else:
            st.progress(state.status.fraction, text=progress_text(state.status))
    for label, err in state.errors.items():
        st.error(f"'{label}': set-level scoring failed: {err}")
    per = state.per
    if per or state.missing:
        st.table(compare_table(per, stale=state.stale, projection=request.projection, pending=state.missing))
    if state.stale:
        st.caption(f"Rows marked{STALE_MARK} are the last finished numbers of an earlier setting; the new "
                   f"ones replace them model by model.")
    st.caption(protocol_caption(request.limit, n_test, any(type(m.model).stochastic for m in models)))
    primary = models[0].label
    if state.complete and primary in per:
        save_eval_button(head, per, request)
        if st.toggle("Per-image PSNR distribution", key="cmp_hist_on"):
            st.plotly_chart(psnr_histogram_figure(histogram_values(per), title="Per-image PSNR (each model's SR vs bicubic)"),
                            key="cmp_hist")
    if st.session_state.get("cmp_waiting_rank") and primary in per and primary not in state.stale:
        st.session_state["cmp_waiting_rank"] = False
        st.rerun()  # the ranked grid was waiting for these numbers


def save_eval_button(head: PageModel, per: dict, request: SetRequest) -> None:
    """Write the primary's set-level numbers as its run's eval.json (trained runs only)."""
    run_dir = eval_run_dir(head.path, request.models[0].label)
    if run_dir is not None and st.button("Save as the run's evaluation (eval.json)", key="cmp_save_eval",
                                         help="The Runs page shows the PSNR of a run's eval.json."):
        saved, result = save_eval(run_dir, request, per, head.info.get("step"))
        st.success(f"Saved {saved}: SR PSNR {result['model']['psnr']:.2f} dB over {result['n_images']} test images.")


def main() -> None:
    head = model_page_header("Compare", "🖼️", "cmp")
    models = chosen_models("cmp", head, newcomer_models=("resnet-sr",), max_models=MAX_MORE)  # newcomer: beside resnet-sr
    trained_on_caption(models)
    if data_source("cmp", head.dataset):  # held-out photos: whole images, a crop box, the photo protocol
        return st.fragment(compare_photos)(models, head.degradation)
    if len(models) > 1:
        st.caption(f"Every model is evaluated on {head.dataset} test images with the {head.degradation} "
                   f"degradation (the first model's; a model trained on other data is shown as it transfers).")
    st.fragment(samples_view)(head, models)
    st.fragment(run_every=POLL_S)(table_view)(head, models)


if __name__ == "__main__":
    main()
