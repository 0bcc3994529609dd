"""Runs page: every run folder in a table, loss curves side by side, downloads and deletion.

A broken run (unreadable config/status, foreign files) shows its error in its own row; the rest of
the page keeps working. The shipped checkpoints (assets/checkpoints) are listed too, marked as shipped:
their curves can be overlaid and their files downloaded, but they cannot be deleted.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from sr_core.errors import UserError
from sr_core.runs.table import rows_from
from sr_core.runs.store import RunDir, delete_run, runs_root, sanitize_name
from sr_core.runs.listing import list_runs
from sr_core.runs.shipped import list_shipped
from ui.studio.chart_options import axis_controls, x_axis
from ui.figures import LOSS_COMPONENTS, runs_loss_figure
from ui.labels import shipped_label
from ui.studio.monitor import read_curves_fast, run_monitor_section
from ui.run_tables import runs_table, shipped_caption, shipped_table
from ui.studio.widgets import PAGES, page_setup

P = "session"


def curves_section(runs: list[dict]) -> None:
    st.subheader("Loss curves")
    usable = [r["name"] for r in runs if not r["error"]]
    if not usable:
        st.caption("No readable run to plot.")
        return
    by_name = {r["name"]: r for r in runs}
    wkey = "runs_overlay"
    if wkey in st.session_state:  # forget runs that were deleted meanwhile
        st.session_state[wkey] = [n for n in st.session_state[wkey] if n in usable]
    else:  # the user's own runs first; shipped ones when there are none
        own = [r["name"] for r in runs if not r["error"] and not r.get("shipped")]
        st.session_state[wkey] = (own or usable)[:3]
    chosen = st.multiselect("Runs to overlay", usable, key=wkey, persist_state=P)
    c1, c2, c3, c4 = st.columns(4)
    split = c1.radio("Split", ["test", "train"], horizontal=True, key="runs_split", persist_state=P)
    component = c2.selectbox("Loss component", LOSS_COMPONENTS, key="runs_component", persist_state=P)
    smoothing = c3.slider("Smoothing", 0.0, 0.99, 0.0 if split == "test" else 0.6, 0.01, key="runs_smoothing")
    log_y = c4.toggle("Log y", value=False, key="runs_log", persist_state=P)
    mode, log_x = axis_controls("runs")  # also the x of the monitor's loss chart below
    curves, warnings = read_curves_fast(by_name, chosen, split=split, component=component, smoothing=smoothing)
    for warning in warnings:
        st.warning(warning)
    if curves:
        st.plotly_chart(runs_loss_figure(curves, component=component, split=split, log_y=log_y,
                                         axes=x_axis("runs", mode, log_x)), key="runs_chart")
        st.caption("Drag to zoom; **Reset zoom** (or a double-click) shows the full range. Wall time: seconds "
                   "of training, a resumed run's segments laid end to end.")


def actions_section(runs: list[dict]) -> None:
    st.subheader("Download or delete a run")
    names = [r["name"] for r in runs]
    by_name = {r["name"]: r for r in runs}
    name = st.selectbox("Run", names, key="runs_selected", persist_state=P)
    if name is None:
        return
    row = by_name[name]
    run = RunDir(Path(row["path"]))
    fname = sanitize_name(name)  # "shipped · cnn-vae" -> "shipped-cnn-vae"
    c1, c2 = st.columns(2)
    with c1:
        if run.metrics_path.is_file():
            st.download_button("Download metrics.csv", data=lambda p=run.metrics_path: p.read_bytes(),
                               file_name=f"{fname}-metrics.csv", mime="text/csv", key="runs_dl_metrics",
                               on_click="ignore")
        else:
            st.caption("No metrics.csv yet.")
    with c2:
        if run.checkpoint_path.is_file():
            size_mb = run.checkpoint_path.stat().st_size / 1e6
            st.download_button(f"Download checkpoint ({size_mb:.1f} MB)",
                               data=lambda p=run.checkpoint_path: p.read_bytes(),
                               file_name=f"{fname}-checkpoint.pt", mime="application/octet-stream",
                               key="runs_dl_ckpt", on_click="ignore")
        else:
            st.caption("No checkpoint yet.")
    if row.get("shipped"):
        st.caption("Shipped checkpoints are read-only: the app never deletes or overwrites them.")
        return
    with st.container(border=True):
        st.markdown(f"**Delete run `{name}`** — removes its folder `{run.path}` for good.")
        typed = st.text_input("Type the run name to confirm deletion", key="runs_confirm")
        if st.button("Delete run", key="runs_delete", type="primary", disabled=typed.strip() != name):
            try:  # the core takes the run's lock: a run being trained (here or by the CLI) is refused
                delete_run(name)
            except UserError as exc:
                st.error(str(exc))
                return
            st.session_state["runs_flash"] = f"Deleted run '{name}'."
            st.session_state.pop("runs_confirm", None)
            st.rerun()


def main() -> None:
    page_setup("Runs", "🗂️")
    st.title("Runs")
    if "runs_flash" in st.session_state:
        st.success(st.session_state.pop("runs_flash"))
    root = runs_root().resolve()
    try:
        runs = list_runs(check=True)  # never cached (checkpoint checks are, per file version, in the core)
    except UserError as exc:  # the runs folder itself is unusable
        st.error(str(exc))
        runs = []
    st.caption(f"Runs folder: `{root}` (set SR_RUNS_DIR to use another one)")
    if not runs:
        st.info("No runs yet.")
        st.page_link(PAGES["train"], label="Train a model", icon=":material/model_training:")
    else:
        st.subheader(f"{len(runs)} run(s)")
        st.dataframe(runs_table(rows_from(runs)), hide_index=True, key="runs_table")
        for r in runs:
            if r["error"]:
                st.error(f"Run '{r['name']}' is broken: {r['error']}")
            elif r.get("note"):
                st.warning(f"Run '{r['name']}' {r['note']}")
    shipped = [dict(r, name=shipped_label(r["name"])) for r in list_shipped()]  # never a run's name
    if shipped:
        st.subheader(f"{len(shipped)} shipped checkpoint(s)")
        st.dataframe(shipped_table(rows_from(shipped)), hide_index=True, key="runs_shipped_table")
        st.caption(shipped_caption(rows_from(shipped)))
    if runs or shipped:
        curves_section(runs + shipped)
        run_monitor_section(runs + shipped)
        actions_section(runs + shipped)


if __name__ == "__main__":
    main()
