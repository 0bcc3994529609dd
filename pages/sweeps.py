"""Sweeps page: settings x seeds with confidence intervals — start one, watch it, read the results.

The shipped study (assets/studies/) is shown without running anything. A sweep started here runs as
its own process in the background (:class:`ui.sweeps.SweepLauncher`, one per server): a refresh or a
second tab reattaches to it. While it runs, a fragment rereads its sweep.json every 2 s.
"""
from __future__ import annotations

import streamlit as st

from sr_core.presets import PRESETS
from sr_core.errors import UserError
from sr_core.runs.store import runs_root, sanitize_name
from sr_core.runs.status import TrialStatus
from sr_core.sweeps.spec import SweepSpec, default_sweep_name, parse_grid
from sr_core.sweeps.curves import CURVE_METRICS, learning_curves
from sr_core.sweeps.stats import METRICS, PROTOCOL_NOTE
from ui.studio.services import sweep_launcher
from ui.sweeps import (SweepLauncher, counts, curves_figure, load_state, my_sweeps, shipped_studies, summary_table,
                       sweep_figure, trials_table)
from ui.studio.widgets import PAGES, page_setup

REFRESH_S = 2.0
SHIPPED = "shipped · "


def start_form(launcher: SweepLauncher) -> None:
    """Preset, grid, seeds, steps -> a background sweep; bad input is one message."""
    with st.form("sweep_form"):
        c1, c2, c3, c4 = st.columns([1, 3, 1, 1])
        preset = c1.selectbox("Preset", list(PRESETS), index=list(PRESETS).index("tiny"), key="sweep_preset",
                              help="\n".join(f"{k}: {v.help}" for k, v in PRESETS.items()))
        grid = c2.text_input("Grid (key=v1|v2; keys separated by ';')", value="lr=0.001|0.003", key="sweep_grid",
                             help="keys: alpha, lr, lr-schedule, kl-weight, model, batch-size, steps, eval-every, "
                                  "eval-limit, dataset, patch, early-stop; e.g. alpha=0:1.0|0:0.75,1200:0.25 "
                                  "or dataset=fashion-mnist|photos (photos: 28×28 patches for the CNN-VAEs)")
        seeds = c3.number_input("Seeds", min_value=1, max_value=20, value=2, key="sweep_seeds")
        steps = c4.number_input("Steps (0 = preset's)", min_value=0, value=0, step=10, key="sweep_steps")
        c5, c6, c7 = st.columns([2, 1, 1])
        name = c5.text_input("Sweep name", value="", placeholder="default: timestamp-sweep", key="sweep_name")
        workers = c6.number_input("Trials at once", min_value=1, max_value=64, value=2, key="sweep_workers")
        images = c7.number_input("Test images scored (0 = all)", min_value=0, value=0, step=500, key="sweep_images")
        submitted = st.form_submit_button("Start sweep", type="primary", disabled=launcher.running)
    if not submitted:
        return
    try:
        parse_grid(grid)
        sweep = sanitize_name(name) if name.strip() else default_sweep_name()
        spec = SweepSpec(name=sweep, preset=preset, grid=parse_grid(grid), seeds=list(range(int(seeds))),
                         base={"steps": int(steps)} if steps else {}, eval_limit=int(images))
        launcher.start(spec, runs_root(), workers=int(workers))  # validated, written as sweep.json, resumed
        st.session_state["sweep_pick"] = sweep
    except UserError as exc:
        st.error(str(exc))


def pick(launcher: SweepLauncher) -> tuple[str, dict] | None:
    """The sweep to show: the user's sweeps first (this server's running one even before it has written
    its sweep.json), then the shipped studies."""
    mine, shipped = my_sweeps(), shipped_studies()
    starting = launcher.running and launcher.name not in mine
    options = ([launcher.name] if starting else []) + list(mine) + [SHIPPED + n for n in shipped]
    if not options:
        st.info("No sweep yet and no shipped study in assets/studies/.")
        return None
    if st.session_state.get("sweep_pick") not in options:
        st.session_state["sweep_pick"] = options[0]
    choice = st.selectbox("Sweep", options, key="sweep_pick")
    if starting and choice == launcher.name:
        st.info(f"Sweep **{choice}** is starting (Ray comes up first; on 2 busy cores that takes a while).")
        return None
    folder = shipped[choice[len(SHIPPED):]] if choice.startswith(SHIPPED) else mine[choice]
    try:
        return choice, load_state(folder)
    except UserError as exc:
        st.error(str(exc))
        return None


def results(choice: str, state: dict) -> None:
    """Counts, chart with error bars and per-seed dots, table, trials with links to their runs."""
    c = counts(state)
    spec = state["spec"]
    st.markdown(f"**{spec['name']}** · preset `{spec['preset']}` · {len(state['labels'])} settings × "
                f"{len(spec['seeds'])} seeds · status **{state.get('status', '?')}** — "
                f"{c[TrialStatus.FINISHED]} finished, {c[TrialStatus.RUNNING]} running, {c[TrialStatus.FAILED]} failed, "
                f"{c[TrialStatus.PENDING]} pending")
    total = max(1, len(state["trials"]))
    st.progress((c[TrialStatus.FINISHED] + c[TrialStatus.FAILED]) / total)
    metric = st.radio("Metric", [m for m, _, _ in METRICS], horizontal=True, key="sweep_metric",
                      format_func=lambda m: dict((k, lbl) for k, lbl, _ in METRICS)[m])
    if state.get("summary") and any(r["metrics"] for r in state["summary"]):
        st.plotly_chart(sweep_figure(state, metric), key="sweep_chart")
        st.dataframe(summary_table(state, metric), hide_index=True)
    else:
        st.info("No finished trial yet: the chart appears with the first one.")
    st.caption(f"Protocol: {state.get('protocol', PROTOCOL_NOTE)}")
    curves_section(choice, state)
    with st.expander("Trials", expanded=not choice.startswith(SHIPPED)):
        st.dataframe(trials_table(state), hide_index=True)
        done = [t["run"] for t in state["trials"] if t["status"] == TrialStatus.FINISHED]
        if choice.startswith(SHIPPED):
            st.caption("Shipped study: its runs are not shipped (no checkpoints); rerun it with the command in "
                       "the README to open its trials in Compare and Runs.")
        elif done:
            run = st.selectbox("Open a trial's run", done, key="sweep_trial")
            c1, c2 = st.columns(2)
            if c1.button("Open in Compare", key="sweep_to_compare"):
                st.session_state["selected_run"] = run
                st.switch_page(PAGES["compare"])
            if c2.button("Open in Runs", key="sweep_to_runs"):
                st.session_state["runs_selected"] = run
                st.switch_page(PAGES["runs"])


def curves_section(choice: str, state: dict) -> None:
    """Learning curves of every setting: mean over seeds with its 95 % CI band, one colour per setting."""
    st.subheader("Learning curves")
    if choice.startswith(SHIPPED):
        st.caption("Shipped study: its trial runs are not shipped, so there are no curves to draw.")
        return
    metric = st.radio("Curve", list(CURVE_METRICS), horizontal=True, key="sweep_curve",
                      format_func=lambda m: CURVE_METRICS[m][0])
    curves, notes = learning_curves(state, metric)
    if curves:
        st.plotly_chart(curves_figure(curves, CURVE_METRICS[metric][0]), key="sweep_curves")
        st.caption("Per step: mean over the seeds that reached it, band = mean ± t(0.975, n−1)·std/√n "
                   "(no band where n < 2). Settings on different datasets are scored on different test sets.")
    else:
        st.info("No trial has written metrics yet.")
    if notes:
        st.caption("Left out: " + "; ".join(notes[:5]) + (f" (+{len(notes) - 5} more)" if len(notes) > 5 else ""))


def live(launcher: SweepLauncher) -> None:
    """Status line with Stop while this server's sweep runs, then the chosen sweep's results."""
    if launcher.running:
        st.session_state["sweep_was_running"] = True
        c1, c2 = st.columns([4, 1])
        c1.info(f"Sweep **{launcher.name}** is running in the background (log: `{launcher.log_path}`).")
        if c2.button("Stop sweep", key="sweep_stop"):
            launcher.stop()
            st.rerun()
    elif st.session_state.pop("sweep_was_running", False):
        st.rerun()  # the sweep just ended: a full rerun turns the live refresh off and enables Start
    elif launcher.last_error():
        st.error(f"Sweep '{launcher.name}' ended with an error: {launcher.last_error()}")
    picked = pick(launcher)
    if picked is not None:
        results(*picked)


def main() -> None:
    page_setup("Sweeps", "📊")
    st.title("Sweeps: settings × seeds, with confidence intervals")
    st.caption("One run per setting cannot tell a 1 dB difference from seed noise. A sweep trains every setting "
               "with several seeds on Ray Tune and reports mean ± 95 % Student-t CI, plus a paired difference "
               "against a reference setting (same seeds). Also `python -m sr_core sweep` (see the README).")
    launcher = sweep_launcher()
    with st.expander("Start a sweep", expanded=False):
        start_form(launcher)
    running = launcher.running
    st.fragment(run_every=REFRESH_S if running else None)(live)(launcher)


main()
