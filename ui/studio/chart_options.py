"""Chart options shared by the Train (live) and Runs pages: x as step or wall time, log-x, a visible
"Reset zoom", and a reference run (any run or shipped checkpoint) drawn dashed on the live charts.

Zoom: Plotly keeps the user's zoom across refreshes while the figure's ``uirevision`` is unchanged;
"Reset zoom" bumps it, so the next draw starts from the full range (double-click on the chart and the
modebar's "Reset axes" do the same inside the browser).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
import streamlit as st

from sr_core.errors import UserError
from sr_core.monitor.series import wall_time

from ui.figures import XAxis, add_reference, loss_figure

if TYPE_CHECKING:  # the page has torch already; this module alone does not need it
    from sr_core.trainer import TrainSnapshot

X_MODES = ("step", "wall time")
NO_REFERENCE = "none"


def axis_controls(key: str, columns: Sequence[Any] | None = None) -> tuple[str, bool]:
    """x-mode radio, log-x toggle and a "Reset zoom" button (in ``columns``, else a new row).
    Returns (x mode, log x); the zoom revision is read by :func:`x_axis`."""
    c1, c2, c3 = columns if columns is not None else st.columns([2, 1, 1.4], vertical_alignment="bottom")
    mode = c1.radio("x axis", X_MODES, horizontal=True, key=f"{key}_xmode",
                    help="step = batch number; wall time = seconds of training (a resumed run's segments "
                         "are laid end to end, as elapsed_s restarts at each resume).")
    log_x = c2.toggle("Log x", value=False, key=f"{key}_logx")
    if c3.button("Reset zoom", key=f"{key}_reset_zoom",
                 help="Back to the full range (double-click on a chart does the same)."):
        st.session_state[f"{key}_zoom_rev"] = st.session_state.get(f"{key}_zoom_rev", 0) + 1
    return mode, log_x


def x_axis(key: str, mode: str, log_x: bool, values: np.ndarray | None = None) -> XAxis:
    """The :class:`ui.figures.XAxis` for ``mode`` (``values``: the rows' wall times in wall mode)."""
    rev = f"{key}-{st.session_state.get(f'{key}_zoom_rev', 0)}-{mode}-{int(log_x)}"
    if mode == "step":
        return XAxis(log=log_x, revision=rev)
    return XAxis(values=values, title="wall time (s, resumes laid end to end)", log=log_x, revision=rev)


def wall_of(cols: Mapping[str, np.ndarray], train: Mapping[str, np.ndarray]) -> np.ndarray:
    """Cumulative wall time of the rows ``cols`` (step, elapsed_s), segments taken from ``train``."""
    if "elapsed_s" not in cols or "step" not in cols:
        return np.full(len(cols.get("step", ())), np.nan)
    return wall_time(cols["step"], cols["elapsed_s"], train.get("step"), train.get("elapsed_s"))


def rows_columns(rows: Sequence[Mapping[str, Any]], names: Sequence[str]) -> dict[str, np.ndarray]:
    """Float columns ``names`` of a few rows (NaN for missing)."""
    return {k: np.array([np.nan if r.get(k) is None else float(r[k]) for r in rows], dtype=np.float64)
            for k in names}


def reference_choices(exclude: str | None = None) -> dict[str, Path]:
    """label -> metrics.csv of every readable run and shipped checkpoint that has one."""
    from sr_core.runs.listing import list_runs
    from sr_core.runs.shipped import list_shipped

    from ui.labels import shipped_label

    out: dict[str, Path] = {}
    try:
        runs = list_runs()
    except UserError:
        runs = []
    for r in runs:
        if not r["error"] and r["name"] != exclude and (Path(r["path"]) / "metrics.csv").is_file():
            out[r["name"]] = Path(r["path"]) / "metrics.csv"
    for r in list_shipped():
        if (Path(r["path"]) / "metrics.csv").is_file():
            out[shipped_label(r["name"])] = Path(r["path"]) / "metrics.csv"
    return out


def reference_picker(key: str, exclude: str | None = None) -> tuple[str, Path] | None:
    """A select box of runs/shipped checkpoints to overlay; (label, metrics.csv) or None."""
    choices = reference_choices(exclude)
    label = st.selectbox("Reference run (dashed)", [NO_REFERENCE, *choices], key=f"{key}_ref",
                         help="Any run or shipped checkpoint: its curves are drawn dashed on the same axes "
                              "(same loss components, same x).")
    return (label, choices[label]) if label in choices else None


def overlay(fig, ref: tuple[str, Path] | None, split: str, components: Sequence[str], axes: XAxis, *,
            smoothing: float = 0.0, log_y: bool = False) -> list[str]:
    """Draw the reference's ``split`` curves on ``fig`` (x as ``axes``); warnings as lines."""
    from ui.studio.monitor import series_for

    if ref is None:
        return []
    try:
        s = series_for(ref[1])
    except (UserError, OSError) as exc:
        return [f"Reference '{ref[0]}' left out: {exc}"]
    cols, train = s.columns(split), s.columns("train")
    if "step" not in cols:
        return [f"Reference '{ref[0]}' has no {split} rows yet."]
    xs = cols["step"] if axes.values is None else wall_of(cols, train)
    add_reference(fig, ref[0], xs, cols, components, smoothing=smoothing, log_y=log_y, markers=split == "test")
    return []


def step_to_x(step: int | None, steps: np.ndarray, xs: np.ndarray | None) -> float | None:
    """The x of the preview ``step`` mark: the step itself, or the wall time of that step's row."""
    if step is None or xs is None:
        return step
    hit = np.flatnonzero(np.asarray(steps) == step)
    return float(xs[hit[-1]]) if len(hit) and np.isfinite(xs[hit[-1]]) else None


def live_loss_charts(snap: TrainSnapshot, choice: Any, comps: Sequence[str], *, smoothing: float,
                     log_y: bool, mark: int | None, max_points: int) -> None:
    """The Train page's train and test loss charts with the x/log-x/zoom controls and a reference run.
    ``choice``: :class:`ui.train_view.LossChoices`; ``mark``: the preview step chosen on the slider."""
    from ui.studio.monitor import live_columns, mark_step

    mode, log_x = axis_controls("train")  # one row; the reference below (the panel is ~480 px at 1280)
    ref = reference_picker("train", exclude=snap.run_name)
    cols = live_columns(snap.run_name, snap.train, [*choice.names, "elapsed_s"])  # only new rows converted
    test_cols = rows_columns(snap.test, ["step", "elapsed_s"])
    wall = mode != "step"
    ax_train = x_axis("train", mode, log_x, wall_of(cols, cols) if wall else None)
    ax_test = x_axis("train", mode, log_x, wall_of(test_cols, cols) if wall else None)
    mark_x = step_to_x(mark, test_cols["step"], ax_test.values)
    st.caption("Dotted lines mark the batches where alpha changes (the drop the paper notes in Figs. 3–4; "
               "on the step axis). Drag to zoom; **Reset zoom** or a double-click shows the full range.")
    warnings = []
    for split, rows, ax, kw in (("train", snap.train, ax_train, dict(smoothing=smoothing, columns=cols,
                                                                           max_points=max_points)),
                                ("test", snap.test, ax_test, dict(markers=True))):
        fig = loss_figure(rows, components=comps, log_y=log_y, alpha_changes=choice.alpha_marks, labels=choice.labels,
                          title=f"Loss per batch — {split} (paper Fig. {3 if split == 'train' else 4})", axes=ax, **kw)
        warnings += overlay(fig, ref, split, comps, ax, smoothing=smoothing if split == "train" else 0.0, log_y=log_y)
        st.plotly_chart(mark_step(fig, mark_x), key=f"train_chart_{split}")
    for w in dict.fromkeys(warnings):
        st.warning(w)
