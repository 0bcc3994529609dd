"""Spectra page: which frequencies does the decoder add beyond what the LR image can hold?

For one chosen test image and averaged over the test set: 2-D log-magnitude spectra of HR, LR,
reconstruction, SR and bicubic; radially averaged power spectra with the LR Nyquist radius marked;
the share of energy above it; and the spectra of the errors SR − HR and bicubic − HR. Below, the
radial spectra of several models (trained runs, shipped checkpoints) overlaid on one chart.
"""
from __future__ import annotations

from typing import Any

import streamlit as st

from sr_core.data import load_split
from sr_core.spectra import LR_NYQUIST
from ui.analysis import hf_share_table, spectra_outputs, spectra_summary
from ui.comparison import overlay_spectra
from ui.figures import radial_profile_figure, spectrum_panels_figure
from ui.widgets import data_dir, load_model_cached, load_model_or_none, model_page_header, pick_more_models

P = "session"


@st.cache_data(max_entries=16, show_spinner="Computing spectra over the test set…")
def cached_set_spectra(path: str, mtime: float, size: int, limit: int, root: str, dataset: str,
                       degradation: str) -> dict[str, Any]:
    """Spectra summary of the first ``limit`` test images; keyed by checkpoint path + mtime."""
    model, _ = load_model_cached(path, mtime, size)
    split = load_split(dataset, train=False, data_dir=root, download=False)
    return spectra_summary(spectra_outputs(model, split, slice(0, limit), degradation=degradation))


def draw(summary: dict[str, Any], key: str, what: str) -> None:
    st.plotly_chart(spectrum_panels_figure(summary["panels"], title=f"2-D log-magnitude spectra — {what}"),
                    key=f"{key}_panels")
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(radial_profile_figure(summary["radial"], nyquist=LR_NYQUIST,
                                              title=f"Radially averaged power spectrum — {what}"),
                        key=f"{key}_radial")
    with right:
        st.markdown("**High-frequency energy share**")
        st.table(hf_share_table(summary["hf_share"]))
        st.caption(f"Share of spectral power (DC included in the total) at radius > {LR_NYQUIST} cycles/image, "
                   f"the LR Nyquist limit: what the upsampler had to invent. LR corners (e.g. 7,7) lie "
                   f"beyond the circle too.")
    st.plotly_chart(spectrum_panels_figure(summary["error_panels"], title=f"Error spectra — {what}",
                                           colorbar_title="log(1+|F(err)|)"),
                    key=f"{key}_errors")


def overlay_section(path, ckey, limit: int, dataset: str, degradation: str) -> None:
    """Radial spectra of the page's model and up to 4 more, test-set average, on one chart."""
    st.subheader("Several models overlaid")
    primary, more = pick_more_models("spec", path, newcomer_models=("resnet-sr", "cvae-sr"), max_models=4)
    summaries = {primary: cached_set_spectra(*ckey, limit, str(data_dir()), dataset, degradation)}
    for label, p in more.items():
        loaded = load_model_or_none(p, label)
        if loaded is not None:
            summaries[label] = cached_set_spectra(*loaded[1], limit, str(data_dir()), dataset, degradation)
    profiles, hf = overlay_spectra(summaries)
    n = summaries[primary]["n"]
    left, right = st.columns([3, 2])
    with left:
        title = f"Radially averaged power spectrum — models, mean of {n} test images"
        st.plotly_chart(radial_profile_figure(profiles, nyquist=LR_NYQUIST, title=title), key="spec_overlay")
    with right:
        st.markdown("**High-frequency energy share**")
        st.table(hf_share_table(hf))
        st.caption(f"Every model on the same {n} {dataset} test images ({degradation} degradation). Above the "
                   f"LR Nyquist radius an SR curve below HR means lost detail; above HR, invented energy "
                   f"(noise, ringing).")


def main() -> None:
    path, model, info, ckey, dataset, degradation, split = model_page_header("Spectra", "📈", "spec")

    c1, c2 = st.columns(2)
    st.session_state.setdefault("spec_index", 0)
    st.session_state.setdefault("spec_limit", 1000)
    index = int(c1.number_input("Test image index", min_value=0, max_value=len(split) - 1, step=1,
                                key="spec_index", persist_state=P))
    limit = int(c2.number_input("Test images to average", min_value=10, max_value=len(split), step=500,
                                key="spec_limit", persist_state=P))
    st.caption("Spectra are centred (DC in the middle), in cycles per image, and on the scale of a 28×28 "
               "image: a 14×14 LR image is multiplied by 4 before its DFT so its low frequencies line up "
               "with the HR ones. Set averages are RMS magnitudes and mean powers.")

    tab_one, tab_set = st.tabs([f"Chosen sample #{index}", f"Test-set average ({limit} images)"])
    with tab_one:
        one = spectra_summary(spectra_outputs(model, split, [index], degradation=degradation))
        st.markdown(f"**Sample #{index}** · {split.classes[int(split.labels[index])]}")
        draw(one, "spec_one", f"sample #{index}")
    with tab_set:
        summary = cached_set_spectra(*ckey, limit, str(data_dir()), dataset, degradation)
        st.markdown(f"**Average over the first {summary['n']} test images**")
        draw(summary, "spec_set", f"mean of {summary['n']} test images")
    overlay_section(path, ckey, limit, dataset, degradation)


if __name__ == "__main__":
    main()
