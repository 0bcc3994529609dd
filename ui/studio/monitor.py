"""The training monitor as the Train and Runs pages show it: alert banners, the quality chart (SR PSNR
vs bicubic), the preview-history step slider (the chosen step marked on the loss chart), the notes
for runs of older versions, and fast curves of long runs (incremental reading, min/max downsampling).
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from sr_core.monitor.alerts import run_alerts
from sr_core.monitor.history import HISTORY_NAME, entry, load_history
from sr_core.monitor.quality import QUALITY_IMAGES, QUALITY_PROTOCOL
from sr_core.monitor.series import MetricsSeries, downsample_minmax

from ui.figures import LEGEND_BELOW, vline
from ui.train_view import preview_caption, preview_pngs
from ui.studio.widgets import show_png

MAX_POINTS = 1000  # points per drawn series (min/max per bucket beyond that)
_SERIES: dict[str, MetricsSeries] = {}
_HISTORY: dict[str, tuple[tuple[int, int], Any]] = {}
_LOCK = threading.Lock()


def series_for(metrics_path: str | Path) -> MetricsSeries:
    """The process-wide incremental reader of ``metrics_path``, brought up to date (new rows only)."""
    key = str(Path(metrics_path).resolve())
    with _LOCK:
        s = _SERIES.setdefault(key, MetricsSeries(key))
    s.read()
    return s


def history_for(run_path: str | Path) -> dict[str, np.ndarray] | None:
    """The run's preview history (cached per file version), or None when it has none."""
    p = Path(run_path) / HISTORY_NAME
    try:
        st_ = p.stat()
    except OSError:
        return None
    key, version = str(p), (st_.st_mtime_ns, st_.st_size)
    with _LOCK:
        hit = _HISTORY.get(key)
    if hit is not None and hit[0] == version:
        return hit[1]
    data = load_history(p)
    with _LOCK:
        _HISTORY[key] = (version, data)
    return data


_LIVE: dict[str, dict[str, Any]] = {}


def live_columns(key: str, rows: Sequence[Mapping[str, Any]], names: Sequence[str]) -> dict[str, np.ndarray]:
    """``step`` and ``names`` columns of a live job's growing row list, converting only the rows added
    since the last call (cache ``key``: the run; reset when the list shrinks or starts differently)."""
    names = ["step", *names]
    with _LOCK:
        c = _LIVE.get(key)
        if (c is None or len(rows) < c["n"] or (c["n"] and rows[0] is not c["first"])
                or any(k not in c["arr"] for k in names)):
            c = _LIVE[key] = {"n": 0, "first": rows[0] if rows else None,
                              "arr": {k: np.empty(0, dtype=np.float64) for k in names}}
        if len(rows) > c["n"]:
            new = rows[c["n"]:]
            for k in names:  # only the new rows go through Python; the arrays grow by one copy in C
                part = np.fromiter((np.nan if r.get(k) is None else r[k] for r in new), dtype=np.float64,
                                   count=len(new))
                c["arr"][k] = np.concatenate([c["arr"][k], part])
            c["n"] = len(rows)
        return dict(c["arr"])


def rows_downsampled(series: MetricsSeries, split: str, columns: Sequence[str], smoothing: float = 0.0,
                     max_points: int = MAX_POINTS) -> list[dict[str, Any]]:
    """Rows of ``split`` for drawing: ``columns`` (EMA-smoothed first when ``smoothing``), at the union of
    each column's min/max-downsampled points, so a long run draws ~``max_points`` points per curve."""
    from ui.figures import ema_array

    cols = series.columns(split)
    if "step" not in cols or not len(cols["step"]):
        return []
    ys = {c: (ema_array(cols[c], smoothing) if smoothing > 0 else cols[c]) for c in columns if c in cols}
    idx = np.unique(np.concatenate([downsample_minmax(y, max_points) for y in ys.values()] or [np.arange(0)]))
    steps = cols["step"][idx].astype(np.int64)
    from ui.studio.chart_options import wall_of

    wall = wall_of(cols, series.columns("train"))[idx]  # x of the wall-time axis (resumes laid end to end)
    return [{"step": int(s), "split": split, "wall_s": None if np.isnan(w) else float(w),
             **{c: (None if np.isnan(y[i]) else float(y[i])) for c, y in ys.items()}}
            for s, w, i in zip(steps, wall, idx)]


def show_alerts(test: Sequence[Mapping[str, Any]], *, status: str | None, message: str = "",
                total_steps: int | None = None) -> None:
    """Banners for the alerts that hold (:func:`sr_core.monitor.alerts.run_alerts`)."""
    for a in run_alerts(list(test), status=status, message=message, total_steps=total_steps):
        (st.error if a.kind in ("nan", "rising") else st.warning)(a.text, icon=":material/warning:")


def mark_step(fig: go.Figure, step: int | None) -> go.Figure:
    """The preview step chosen on the slider, as a vertical line on ``fig``."""
    if step is not None:
        shape, label = vline(step, name="preview step", text=f"preview @ {step}", color="#d62728", dash="dash")
        # at the bottom of the plot: the alpha-change labels sit at its top, and the two may share a step
        label.update(y=0, yanchor="bottom")
        fig.add_shape(shape)
        fig.add_annotation(label)
    return fig


def quality_figure(test: Sequence[Mapping[str, Any]], mark: int | None = None) -> go.Figure | None:
    """SR PSNR of the model and bicubic's level on the quality subset (and validation PSNR), per step;
    None when the rows have no quality columns (a run of an older version)."""
    rows = [r for r in test if r.get("sr_psnr") is not None]
    if not rows:
        return None
    xs = [r["step"] for r in rows]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=xs, y=[r["sr_psnr"] for r in rows], name="model SR PSNR", mode="lines+markers",
                             line=dict(color="#1f77b4", width=2)))
    if rows[-1].get("bicubic_psnr") is not None:
        fig.add_trace(go.Scatter(x=[xs[0], xs[-1]], y=[rows[-1]["bicubic_psnr"]] * 2, name="bicubic", mode="lines",
                                 line=dict(color="#7f7f7f", dash="dash")))
    val = [r for r in rows if r.get("val_psnr") is not None]
    if val:
        fig.add_trace(go.Scatter(x=[r["step"] for r in val], y=[r["val_psnr"] for r in val], mode="lines+markers",
                                 name="validation SR PSNR", line=dict(color="#2ca02c", dash="dot")))
    fig.update_layout(title=dict(text=f"SR PSNR vs bicubic (first {QUALITY_IMAGES} test images)"), height=320,
                      hovermode="x unified", margin=dict(l=10, r=10, t=50, b=10),
                      legend=LEGEND_BELOW)
    fig.update_xaxes(title_text="batch")
    fig.update_yaxes(title_text="PSNR (dB)")
    return mark_step(fig, mark)


def chosen_step(key: str) -> int | None:
    """The step the history slider ``key`` shows (for marking the charts before the slider is drawn);
    None while it follows the newest evaluation (nothing to mark)."""
    v = st.session_state.get(f"{key}_hist_step")
    if not isinstance(v, (int, np.integer)) or v == st.session_state.get(f"{key}_hist_last"):
        return None
    return int(v)


def history_slider(data: dict[str, np.ndarray], key: str) -> int:
    """A step slider over the stored evaluations and the strips of the chosen one; follows the newest
    step until the user moves it. Returns the step shown."""
    steps = [int(s) for s in data["steps"]]
    wkey, lkey = f"{key}_hist_step", f"{key}_hist_last"
    if st.session_state.get(wkey) not in steps or st.session_state.get(wkey) == st.session_state.get(lkey):
        st.session_state[wkey] = steps[-1]
    st.session_state[lkey] = steps[-1]
    if len(steps) > 1:
        st.select_slider("Preview at step", options=steps, key=wkey,
                         help="Scrub the stored test evaluations; the chosen step is marked on the charts.")
    prev = entry(data, st.session_state[wkey])
    strip, latent = preview_pngs(prev)
    show_png(strip, caption=preview_caption(prev) + f" {len(steps)} evaluations stored.")
    if latent is not None:
        show_png(latent, caption=f"Latent strip at step {prev['step']}: top LR, bottom the encoder's latent z "
                                 f"of the HR image (both 14×14).")
    return prev["step"]


def missing_parts(run_path: str | Path | None, test: Sequence[Mapping[str, Any]]) -> list[str]:
    """What a run of an older version lacks, one line each ([] when it has everything)."""
    out = []
    if run_path is None or history_for(run_path) is None:
        out.append("No preview history: this run was trained before previews were kept at each evaluation "
                   "(only its last checkpoint can be looked at, on Compare).")
    if test and all(r.get("sr_psnr") is None for r in test):
        out.append("No quality curves (SR PSNR/SSIM per evaluation): trained before they were recorded; "
                   "`python -m sr_core eval RUN` scores its checkpoint.")
    return out


def quality_section(test: Sequence[Mapping[str, Any]], run_path: str | Path | None, key: str,
                    latest: Mapping[str, Any] | None = None) -> None:
    """Quality chart, preview history slider and missing-part notes of one run (``latest``: the live
    job's newest preview, shown when the run keeps no history)."""
    mark = chosen_step(key)
    fig = quality_figure(test, mark)
    if fig is not None:
        st.plotly_chart(fig, key=f"{key}_quality_chart")
        st.caption(f"Quality protocol: {QUALITY_PROTOCOL}.")
    data = history_for(run_path) if run_path else None
    if data is not None:
        st.subheader("Outputs over time: LR → decoder-only SR → HR")
        history_slider(data, key)
    elif latest is not None:
        st.subheader("LR → decoder-only SR → HR")
        strip, latent = preview_pngs(latest)
        show_png(strip, caption=preview_caption(latest))
        if latent is not None:
            show_png(latent, caption="Latent strip: top LR, bottom the encoder's latent z of the HR image (14×14).")
    for line in missing_parts(run_path, test):
        if latest is None or not line.startswith("No preview"):
            st.info(line)


def split_rows(series: MetricsSeries, split: str) -> list[dict[str, Any]]:
    """All rows of ``split`` from the reader's columns (for the few test rows; NaN cells -> None)."""
    cols = series.columns(split)
    n = len(cols.get("step", ()))
    out = []
    for i in range(n):
        r: dict[str, Any] = {"split": split}
        for k, v in cols.items():
            x = float(v[i])
            r[k] = None if np.isnan(x) else (int(x) if k == "step" else x)
        out.append(r)
    return out


def read_curves_fast(rows: Mapping[str, Mapping[str, Any]], names: list[str], *, split: str, component: str,
                     smoothing: float) -> tuple[dict[str, list[dict]], list[str]]:
    """Like :func:`ui.run_tables.read_curves`, through the incremental readers, smoothed first and then
    min/max-downsampled to ~:data:`MAX_POINTS` points per run (draw them with smoothing 0)."""
    from sr_core.errors import UserError

    curves, warnings = {}, []
    for name in names:
        try:
            s = series_for(Path(rows[name]["path"]) / "metrics.csv")
            curves[name] = rows_downsampled(s, split, [component], smoothing)
        except UserError as exc:
            warnings.append(f"Run '{name}': {exc} — its curve is left out")
        except OSError as exc:
            warnings.append(f"metrics.csv of run '{name}' is unreadable ({exc.strerror}); its curve is left out")
    return curves, warnings


def run_monitor_section(runs: list[dict]) -> None:
    """Runs page: one run's alerts, train loss (min/max downsampled), quality curves and preview history."""
    from sr_core.errors import UserError
    from sr_core.runs.store import RunDir

    from ui.figures import loss_figure

    by_name = {r["name"]: r for r in runs if not r["error"]}
    if not by_name:
        return
    st.subheader("Monitor")
    name = st.selectbox("Run to inspect", list(by_name), key="runs_monitor_run")
    row = by_name[name]
    path = Path(row["path"])
    try:
        series = series_for(path / "metrics.csv")
    except UserError as exc:
        st.warning(f"Run '{name}': {exc}")
        return
    test = split_rows(series, "test")
    try:
        message = str(RunDir(path).status().get("message") or "")
    except UserError:
        message = ""
    show_alerts(test, status=row.get("status"), message=message, total_steps=row.get("total_steps"))
    train = rows_downsampled(series, "train", ["total"])
    if train:
        from ui.studio.chart_options import step_to_x, x_axis

        n = len(series.columns("train")["step"])
        mode, log_x = st.session_state.get("runs_xmode", "step"), bool(st.session_state.get("runs_logx"))
        wall = np.array([np.nan if r["wall_s"] is None else r["wall_s"] for r in train])
        ax = x_axis("runs", mode, log_x, wall if mode != "step" else None)  # the options above the curves
        mark = step_to_x(chosen_step("runs_mon"), np.array([r["step"] for r in train]), ax.values)
        st.plotly_chart(mark_step(loss_figure(train, components=["total"], axes=ax, title=f"Train loss (total), "
                                              f"{n:,} batches, min/max per bucket"), mark), key="runs_monitor_loss")
    quality_section(test, path, "runs_mon")
