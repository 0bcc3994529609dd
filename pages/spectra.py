"""Spectra page: which frequencies does the decoder add beyond what the LR image can hold?

For one chosen test image and averaged over the test set: 2-D log-magnitude spectra of HR, LR,
reconstruction, SR and bicubic; radially averaged power spectra with the LR Nyquist radius marked;
the share of energy above it; and the spectra of the errors SR − HR and bicubic − HR. Below, the
radial spectra of several models (trained runs, shipped checkpoints) overlaid on one chart. On held-out
photos: the same views of a chosen crop (:func:`photo_view`).
The chosen sample is computed at once (a fragment: changing it reruns only that part); the set
averages are computed in the background (:mod:`ui.background`) and polled with their progress.
"""
from __future__ import annotations

import uuid
from typing import Any

import streamlit as st

from sr_core.spectra import LR_NYQUIST
from ui.studio.services import worker
from ui.figures import radial_profile_figure, spectrum_panels_figure
from ui.labels import fmt_duration
from ui.studio.photo_views import data_source, spectra_crop, trained_on_caption
from ui.studio.model_picker import PageModel, chosen_models, model_page_header
from ui.set_level import LoadedModel
from ui.spectra import hf_share_table, overlay_spectra, set_spectra_task, spectra_outputs, spectra_summary

P = "session"
DEFAULT_LIMIT = 1000
POLL_S = 1.0


def draw(summary: dict[str, Any], key: str, what: str, nyquist: float = LR_NYQUIST) -> None:
    half = int(round(2 * nyquist))  # the HR Nyquist radius: the panels show -half .. half cycles
    st.plotly_chart(spectrum_panels_figure(summary["panels"], title=f"2-D log-magnitude spectra — {what}", half=half),
                    key=f"{key}_panels")
    left, right = st.columns([2, 1])  # the chart gets 2/3: its title fits at 1280 px
    with left:
        st.plotly_chart(radial_profile_figure(summary["radial"], nyquist=nyquist,
                                              title=f"Radially averaged power spectrum — {what}"),
                        key=f"{key}_radial")
    with right:
        st.markdown("**High-frequency energy share**")
        st.table(hf_share_table(summary["hf_share"], nyquist))
        st.caption(f"Share of spectral power (DC included in the total) at radius > {nyquist:g} cycles/image, "
                   f"the LR Nyquist limit: what the upsampler had to invent. LR corners (e.g. {nyquist:g},"
                   f"{nyquist:g}) lie beyond the circle too.")
    st.plotly_chart(spectrum_panels_figure(summary["error_panels"], title=f"Error spectra — {what}",
                                           colorbar_title="log(1+|F(err)|)", half=half),
                    key=f"{key}_errors")


def sample_view(head: PageModel) -> None:
    """Fragment: the spectra of one chosen test image."""
    st.session_state.setdefault("spec_index", 0)
    index = int(st.number_input("Test image index", min_value=0, max_value=len(head.split) - 1, step=1,
                                key="spec_index", persist_state=P))
    one = spectra_summary(spectra_outputs(head.model, head.split, [index], degradation=head.degradation))
    st.markdown(f"**Sample #{index}** · {head.split.classes[int(head.split.labels[index])]}")
    draw(one, "spec_one", f"sample #{index}")


def set_view(head: PageModel, models: list[LoadedModel]) -> None:
    """Fragment (polls every second): the set averages of every model, computed in the background."""
    st.session_state.setdefault("spec_limit", DEFAULT_LIMIT)
    limit = int(st.number_input("Test images to average", min_value=10, max_value=len(head.split), step=500,
                                key="spec_limit", persist_state=P,
                                help="The first N test images; computed in the background, cached per model."))
    tasks = [set_spectra_task(m.model, m.ckpt, m.label, head.split, dataset=head.dataset,
                              degradation=head.degradation, limit=limit) for m in models]
    w = worker()
    w.request(tasks, st.session_state.setdefault("spec_client", f"spectra:{uuid.uuid4()}"))
    status = w.status([t.key for t in tasks])
    if not status.complete:
        st.progress(status.fraction, text=f"Averaging spectra of {status.current or 'queued work'}: "
                                          f"{status.done:,} / {status.total:,} images · "
                                          f"{fmt_duration(status.eta_s)} left")
    for t in tasks:
        if w.error(t.key):
            st.error(f"'{t.label}': set-average spectra failed: {w.error(t.key)}")
    summaries = {t.label: w.lookup(t.key) for t in tasks}
    summaries = {k: v for k, v in summaries.items() if v is not None}
    primary = models[0].label
    if primary in summaries:
        n = summaries[primary]["n"]
        st.markdown(f"**Average over the first {n} test images**")
        draw(summaries[primary], "spec_set", f"mean of {n} test images")
    overlay_section(summaries, head)


def overlay_section(summaries: dict[str, Any], head: PageModel) -> None:
    """Radial spectra of the page's model and up to 4 more, test-set average, on one chart."""
    st.subheader("Several models overlaid")
    if not summaries:
        st.caption("Appears when the first model's set average is ready.")
        return
    profiles, hf = overlay_spectra(summaries)
    n = next(iter(summaries.values()))["n"]
    left, right = st.columns([2, 1])  # the chart gets 2/3: its title fits at 1280 px
    with left:
        title = f"Radially averaged power spectrum — models, mean of {n} test images"
        st.plotly_chart(radial_profile_figure(profiles, nyquist=LR_NYQUIST, title=title), key="spec_overlay")
    with right:
        st.markdown("**High-frequency energy share**")
        st.table(hf_share_table(hf))
        st.caption(f"Every model on the same {n} {head.dataset} test images ({head.degradation} degradation). "
                   f"Above the LR Nyquist radius an SR curve below HR means lost detail; above HR, invented "
                   f"energy (noise, ringing).")


def photo_view(models: list[LoadedModel], degradation: str) -> None:
    """Fragment: the spectra of a crop of a held-out photo: HR, LR, bicubic and each model's SR of the whole
    photo, cut to the crop box, on the Y channel."""
    picked = spectra_crop(models, degradation)
    if picked is None:
        return
    name, (x, y, side), crops = picked
    nyquist = side / 4  # the LR crop is side/2 pixels: its Nyquist radius in cycles per crop
    summaries = {label: spectra_summary(images, cutoff=nyquist) for label, images in crops.items()}
    primary = next(iter(summaries))
    st.caption(f"Luminance (Y) of the {side}×{side} crop at ({x}, {y}) of '{name}' (LR {side // 2}×{side // 2}); "
               f"each model super-resolved the whole photo ({degradation} degradation), then the crop was cut "
               f"out. Frequencies in cycles per crop; LR Nyquist radius {nyquist:g}. Test-set averages apply to "
               f"the 28×28 data only (choose it above).")
    draw(summaries[primary], "spec_photo", f"{name} crop · {primary}", nyquist=nyquist)
    st.subheader("Several models overlaid")
    profiles, hf = overlay_spectra(summaries)
    left, right = st.columns([2, 1])
    with left:
        st.plotly_chart(radial_profile_figure(profiles, nyquist=nyquist, title=f"Radially averaged power "
                                              f"spectrum — models, {name} crop"), key="spec_photo_overlay")
    with right:
        st.markdown("**High-frequency energy share**")
        st.table(hf_share_table(hf, nyquist))


def main() -> None:
    head = model_page_header("Spectra", "📈", "spec")
    models = chosen_models("spec", head, newcomer_models=("resnet-sr", "cvae-sr"), max_models=4)
    trained_on_caption(models)
    if data_source("spec", head.dataset):  # a crop of a held-out photo
        return st.fragment(photo_view)(models, head.degradation)
    st.caption("Spectra are centred (DC in the middle), in cycles per image, and on the scale of a 28×28 "
               "image: a 14×14 LR image is multiplied by 4 before its DFT so its low frequencies line up "
               "with the HR ones. Set averages are RMS magnitudes and mean powers.")
    tab_one, tab_set = st.tabs(["Chosen sample", "Test-set average and models overlaid"])
    with tab_one:
        st.fragment(sample_view)(head)
    with tab_set:
        st.fragment(run_every=POLL_S)(set_view)(head, models)


if __name__ == "__main__":
    main()
