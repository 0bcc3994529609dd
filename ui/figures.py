"""Plotly figure builders for the studio. Plain functions of plain data: no Streamlit, no model.

Every figure has a title that names what it shows (a browser test can look for it), traces named
after what they plot, and vertical markers as layout shapes (``fig.layout.shapes``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sr_core.models import registered_loss_names

#: Loss components in display order (every registered model's, from the models themselves), and their
#: colours (same colour in train and test charts).
LOSS_COMPONENTS: tuple[str, ...] = registered_loss_names()
COMPONENT_COLORS = {"total": "#1f77b4", "recon": "#ff7f0e", "latent": "#2ca02c", "kl": "#9467bd", "cls": "#8c564b"}
COMPONENT_LABELS = {"total": "total (minimized)", "recon": "recon = BCE(HR, recon) (eq. 9)",
                    "latent": "latent = BCE(LR, z) (eq. 10)", "kl": "KL (eq. 7)"}
#: Row keys of a metrics row that are not loss components.
NON_LOSS_KEYS = frozenset({"step", "split", "alpha", "lr", "elapsed_s", "img_s", "latent_psnr", "sr_psnr", "sr_ssim",
                           "bicubic_psnr", "bicubic_ssim", "val_psnr"})
#: Legends go under the chart, at the bottom of the figure (Plotly grows the bottom margin to fit them):
#: on top they wrap into several lines as models are added and were drawn over the title.
LEGEND_BELOW = dict(orientation="h", yref="container", yanchor="bottom", y=0.0, xanchor="left", x=0.0)
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")


def _title(text: str) -> dict[str, Any]:
    """A chart title at the top left, a little smaller than Plotly's default (long titles fit half a 1280-px page)."""
    return dict(text=text, x=0.0, xanchor="left", pad=dict(l=4), font=dict(size=15))


def ema(values: Sequence[float | None], weight: float) -> list[float | None]:
    """Exponential moving average with bias correction (TensorBoard's smoothing).

    ``weight`` in [0, 1): 0 returns the values unchanged. Missing/non-finite values stay None and do
    not disturb the average.
    """
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"smoothing weight must lie in [0, 1), got {weight}")
    out: list[float | None] = []
    acc, norm = 0.0, 0.0
    for v in values:
        if v is None or not math.isfinite(v):
            out.append(None)
            continue
        acc = weight * acc + (1.0 - weight) * v
        norm = weight * norm + (1.0 - weight)
        out.append(acc / norm)
    return out


def loss_components(rows: Sequence[Mapping[str, Any]], preferred: Iterable[str] = LOSS_COMPONENTS) -> list[str]:
    """Loss components present in ``rows``: ``preferred`` order first, then any others."""
    present: list[str] = []
    for row in rows:
        for k, v in row.items():
            if k not in NON_LOSS_KEYS and k not in present and isinstance(v, (int, float)):
                present.append(k)
    ordered = [c for c in preferred if c in present]
    return ordered + [c for c in present if c not in ordered]


def _markers(alpha_changes: Iterable[int | tuple[int, float] | Sequence[float]]) -> list[tuple[int, float | None]]:
    out = []
    for m in alpha_changes:
        if isinstance(m, (list, tuple)):
            out.append((int(m[0]), float(m[1])))
        else:
            out.append((int(m), None))
    return out


def vline(x: float, *, name: str, text: str, color: str = "#888", dash: str = "dot") -> tuple[dict, dict]:
    """A full-height vertical line (layout shape named ``name``) and its label (layout annotation).

    Plain dicts: ``fig.add_vline`` does the same through plotly's validators, which is slow per line
    and adds up in charts that are rebuilt every few seconds while a job trains.
    """
    shape = dict(type="line", name=name, xref="x", yref="y domain", x0=x, x1=x, y0=0, y1=1,
                 line=dict(color=color, width=1.5, dash=dash))
    label = dict(xref="x", yref="y domain", x=x, y=1, text=text, showarrow=False, xanchor="left",
                 yanchor="top", font=dict(size=11, color="#555"))
    return shape, label


def alpha_marker_layout(alpha_changes: Iterable[int | tuple[int, float]]) -> dict[str, list[dict]]:
    """Layout ``shapes`` and ``annotations``: a dotted line named 'alpha change' per alpha change."""
    shapes, labels = [], []
    for step, alpha in _markers(alpha_changes):
        shape, label = vline(step, name="alpha change", text=f"α → {alpha:g}" if alpha is not None else "α changes")
        shapes.append(shape)
        labels.append(label)
    return {"shapes": shapes, "annotations": labels}


def _decimate(xs: np.ndarray, ys: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_points`` points, keeping each bucket's minimum and maximum and the first and last
    point (:func:`sr_core.monitor.series.downsample_minmax`), so a spike survives on a long run's chart."""
    from sr_core.monitor.series import downsample_minmax

    if len(xs) <= max_points:
        return xs, ys
    idx = downsample_minmax(ys, max(4, max_points - 2))
    return xs[idx], ys[idx]


def _column(rows: Sequence[Mapping[str, Any]], key: str, log_y: bool = False) -> np.ndarray:
    """Float column of ``rows``; missing, non-finite (and, for a log axis, non-positive) values are NaN."""
    ys = np.array([r.get(key) if r.get(key) is not None else np.nan for r in rows], dtype=np.float64)
    ys[~np.isfinite(ys)] = np.nan
    if log_y:
        ys[ys <= 0] = np.nan
    return ys


def _clean(ys: np.ndarray, log_y: bool) -> np.ndarray:
    """A copy of a float column with non-finite (and, for a log axis, non-positive) values as NaN."""
    ys = np.array(ys, dtype=np.float64)
    ys[~np.isfinite(ys)] = np.nan
    if log_y:
        ys[ys <= 0] = np.nan
    return ys


def ema_array(values: np.ndarray, weight: float) -> np.ndarray:
    """:func:`ema` on a float array (NaN = missing), returning NaN where the input is missing.
    Without missing values it runs block-wise in numpy (a long run's 200k rows in milliseconds)."""
    v = np.asarray(values, dtype=np.float64)
    if not np.isnan(v).any() and 0.0 <= weight < 1.0:
        return _ema_dense(v, weight)
    out = ema([None if math.isnan(x) else x for x in v.tolist()], weight)
    return np.array([np.nan if x is None else x for x in out], dtype=np.float64)


def _ema_dense(v: np.ndarray, w: float, block: int = 256) -> np.ndarray:
    """:func:`ema` (bias-corrected) of a NaN-free array, blocks of ``block`` as one matrix product each."""
    j = np.arange(block)
    lag = j[:, None] - j[None, :]
    mat = np.tril(np.power(w, np.clip(lag, 0, None).astype(np.float64))) * (1.0 - w)  # (B, B)
    carry = np.power(w, j + 1.0)
    rows = mat.sum(axis=1)
    out = np.empty_like(v)
    acc = norm = 0.0
    for s in range(0, len(v), block):
        x = v[s:s + block]
        m = len(x)
        a = mat[:m, :m] @ x + carry[:m] * acc
        nrm = rows[:m] + carry[:m] * norm
        out[s:s + m] = a / nrm
        acc, norm = float(a[-1]), float(nrm[-1])
    return out


def loss_figure(rows: Sequence[Mapping[str, Any]], *, components: Iterable[str] | None = None,
                smoothing: float = 0.0, log_y: bool = False,
                alpha_changes: Iterable[int | tuple[int, float]] = (),
                title: str = "Loss per batch", markers: bool = False, show_raw: bool = True,
                max_points: int = 2500, height: int = 360,
                labels: Mapping[str, str] | None = None,
                columns: Mapping[str, np.ndarray] | None = None, axes: "XAxis | None" = None) -> go.Figure:
    """Loss components against the batch number (paper Figs. 3-4).

    rows: metric rows (dicts with ``step`` and one float per component, e.g. ``snapshot.train``).
    One trace per component, named after it (``"total"``, ``"recon"``, ...); with ``smoothing`` > 0
    the smoothed curve keeps that name and a faint ``"<name> (raw)"`` trace shows the data.
    ``alpha_changes``: steps (or (step, alpha) pairs) where alpha changes, drawn as dotted lines.
    ``log_y``: log-scaled loss axis. ``labels``: component -> human label (the model's ``loss_labels``).
    ``columns``: the rows' ``step`` and component columns already as float arrays (NaN = missing; see
    :func:`ui.studio.monitor.live_columns`), so a long live run is not re-read row by row at each refresh.
    ``axes``: x values other than the step (wall time), log-x and the zoom revision (:class:`XAxis`).
    """
    labels = COMPONENT_LABELS if labels is None else labels
    y_title = "loss (BCE, mean per pixel)" if labels is COMPONENT_LABELS else "loss"
    if columns is None:
        rows = [r for r in rows if r.get("step") is not None]
    comps = list(components) if components is not None else loss_components(rows)
    steps = (columns["step"].astype(np.int64) if columns is not None
             else np.fromiter((r["step"] for r in rows), dtype=np.int64, count=len(rows)))
    axes = axes or XAxis()
    if axes.values is not None:
        steps = np.asarray(axes.values, dtype=np.float64)
    traces: list[dict] = []
    mode = "lines+markers" if markers else "lines"
    for comp in comps:
        ys = _column(rows, comp, log_y) if columns is None else _clean(columns.get(comp, np.full(len(steps), np.nan)), log_y)
        if not np.isfinite(ys).any():
            continue
        color = COMPONENT_COLORS.get(comp, PALETTE[len(traces) % len(PALETTE)])
        if smoothing > 0 and show_raw:
            x_raw, y_raw = _decimate(steps, ys, max_points)
            traces.append(dict(type="scatter", x=x_raw, y=y_raw, name=f"{comp} (raw)", mode=mode, opacity=0.25,
                               line=dict(color=color, width=1), showlegend=False, legendgroup=comp,
                               hoverinfo="skip"))
        ys_s = ema_array(ys, smoothing) if smoothing > 0 else ys
        xs, ys_s = _decimate(steps, ys_s, max_points)
        traces.append(dict(type="scatter", x=xs, y=ys_s, name=comp, mode=mode, legendgroup=comp,
                           line=dict(color=color, width=2),
                           hovertemplate=f"{labels.get(comp, comp)}<br>{axes.hover} %{{x}}: "
                                         f"%{{y:.4g}}<extra></extra>"))
    layout = dict(title=_title(title), height=height, margin=dict(l=10, r=10, t=50, b=10),
                  legend=LEGEND_BELOW, uirevision=axes.revision,
                  hovermode="x unified", xaxis=axes.layout(),
                  yaxis=dict(title=dict(text=y_title), type="log" if log_y else "linear"),
                  **(alpha_marker_layout(alpha_changes) if axes.values is None else {}))
    return go.Figure(data=traces, layout=layout)


@dataclass
class XAxis:
    """The x axis of a curve chart: ``values`` (None: the step; else e.g. cumulative wall time in s,
    aligned with the rows), its ``title``, ``log`` scale, and ``revision`` (Plotly's ``uirevision``: the
    user's zoom survives refreshes while it is unchanged; a new value resets the zoom)."""

    values: np.ndarray | None = None
    title: str = "batch"
    log: bool = False
    revision: str = "0"

    @property
    def hover(self) -> str:
        return "batch" if self.values is None else "t (s)"

    def layout(self) -> dict[str, Any]:
        return dict(title=dict(text=self.title), type="log" if self.log else "linear")


def add_reference(fig: go.Figure, name: str, xs: np.ndarray, columns: Mapping[str, np.ndarray],
                  components: Sequence[str], *, smoothing: float = 0.0, log_y: bool = False,
                  markers: bool = False, max_points: int = 1000) -> go.Figure:
    """Another run's curves on ``fig``, dashed, one per component (same colour as this run's; named
    ``"<component> · <name>"``): the same metric against the same x (``xs`` aligned with ``columns``)."""
    xs = np.asarray(xs, dtype=np.float64)
    for i, comp in enumerate(components):
        if comp not in columns:
            continue
        ys = _clean(columns[comp], log_y)
        if not np.isfinite(ys).any():
            continue
        ys = ema_array(ys, smoothing) if smoothing > 0 else ys
        x, y = _decimate(xs, ys, max_points)
        fig.add_trace(go.Scatter(x=x, y=y, name=f"{comp} · {name}", mode="lines+markers" if markers else "lines",
                                 line=dict(color=COMPONENT_COLORS.get(comp, PALETTE[i % len(PALETTE)]), width=1.5,
                                           dash="dash"), legendgroup=f"ref-{comp}"))
    return fig

def runs_loss_figure(curves: Mapping[str, Sequence[Mapping[str, Any]]], *, component: str = "total",
                     split: str = "test", smoothing: float = 0.0, log_y: bool = False,
                     title: str | None = None, height: int = 400, axes: XAxis | None = None) -> go.Figure:
    """One ``component`` loss curve per run (trace name = run name), for ``split`` rows only.
    ``axes``: log-x and zoom revision; a ``title`` other than "batch" plots each row's ``wall_s``."""
    fig = go.Figure()
    axes = axes or XAxis()
    x_key = "step" if axes.title == "batch" else "wall_s"
    for i, (name, rows) in enumerate(curves.items()):
        rows = [r for r in rows if r.get("split") == split and r.get(x_key) is not None]
        xs = np.array([r[x_key] for r in rows], dtype=np.float64)
        ys = _column(rows, component, log_y)
        if smoothing > 0:
            ys = ema_array(ys, smoothing)
        xs, ys = _decimate(xs, ys, 2500)
        fig.add_trace(go.Scatter(x=xs, y=ys, name=name, mode="lines+markers" if split == "test" else "lines",
                                 line=dict(color=PALETTE[i % len(PALETTE)], width=2)))
    fig.update_layout(title=_title(title or f"{split.capitalize()} loss per batch ({component})"),
                      height=height, margin=dict(l=10, r=10, t=50, b=10), hovermode="x unified",
                      legend=LEGEND_BELOW, uirevision=axes.revision, xaxis=axes.layout())
    fig.update_yaxes(title_text=f"{component} loss", type="log" if log_y else "linear")
    return fig


def frequencies(n: int) -> np.ndarray:
    """Centred DFT frequencies of an axis of length ``n`` in cycles per image (matches fftshift)."""
    return np.fft.fftshift(np.fft.fftfreq(n, d=1.0 / n))


def spectrum_panels_figure(panels: Mapping[str, np.ndarray], *, title: str = "2-D log-magnitude spectra",
                           colorbar_title: str = "log(1+|F|)", shared_range: bool = True,
                           height: int = 300, half: int = 14) -> go.Figure:
    """One heatmap per centred 2-D spectrum (DC in the centre), axes in cycles per image, -``half`` .. ``half``
    shown (14: a 28×28 image's Nyquist; a photo crop's is its side / 2).

    panels: name -> (H, W) array (e.g. :func:`ui.spectra.spectra_summary` ``["panels"]``). Panels of
    different sizes (28x28 HR, 14x14 LR) keep their own frequency axes. With ``shared_range`` all
    panels use one colour scale so brightness is comparable across them.
    """
    names = list(panels)
    fig = make_subplots(rows=1, cols=max(1, len(names)), subplot_titles=names, horizontal_spacing=0.03)
    arrays = [np.asarray(panels[n], dtype=float) for n in names]
    zmin = min(float(a.min()) for a in arrays) if arrays and shared_range else None
    zmax = max(float(a.max()) for a in arrays) if arrays and shared_range else None
    for i, (name, arr) in enumerate(zip(names, arrays)):
        h, w = arr.shape
        fig.add_trace(go.Heatmap(z=arr, x=frequencies(w), y=frequencies(h), name=name, zmin=zmin, zmax=zmax,
                                 coloraxis="coloraxis",
                                 hovertemplate="fx %{x}, fy %{y}: %{z:.2f}<extra>" + name + "</extra>"),
                      row=1, col=i + 1)
        ticks = [-half, -half // 2, 0, half // 2]
        fig.update_xaxes(range=[-half - 0.5, half - 0.5], constrain="domain", showticklabels=True, row=1, col=i + 1,
                         tickvals=ticks, title_text="fx")
        fig.update_yaxes(range=[half - 0.5, -half - 0.5], scaleanchor=f"x{i + 1 if i else ''}", constrain="domain",
                         tickvals=ticks, showticklabels=i == 0, row=1, col=i + 1)
    fig.update_layout(title=_title(title), height=height, margin=dict(l=10, r=10, t=70, b=10),
                      coloraxis=dict(colorscale="Viridis", cmin=zmin, cmax=zmax,
                                     colorbar=dict(title=dict(text=colorbar_title), thickness=12)))
    return fig


def radial_profile_figure(profiles: Mapping[str, tuple[np.ndarray, np.ndarray]], *, nyquist: float = 7.0,
                          title: str = "Radially averaged power spectrum", height: int = 380) -> go.Figure:
    """Radial power profiles on one log-scale chart, with the LR Nyquist radius marked.

    profiles: name -> (radii, power), e.g. :func:`ui.spectra.spectra_summary` ``["radial"]``.
    The marker is a dashed vertical line at ``nyquist`` (``name='LR Nyquist'``).
    """
    fig = go.Figure()
    for i, (name, (radii, power)) in enumerate(profiles.items()):
        power = np.asarray(power, dtype=float)
        y = np.where(power > 0, power, np.nan)
        fig.add_trace(go.Scatter(x=np.asarray(radii, dtype=float), y=y, name=name, mode="lines+markers",
                                 line=dict(color=PALETTE[i % len(PALETTE)], width=2), marker=dict(size=5)))
    shape, label = vline(nyquist, name="LR Nyquist", text=f"LR Nyquist ({nyquist:g} cycles/image)",
                         color="#d62728", dash="dash")
    fig.update_layout(shapes=[shape], annotations=[label])
    fig.update_layout(title=_title(title), height=height, margin=dict(l=10, r=10, t=50, b=10),
                      hovermode="x unified",
                      legend=LEGEND_BELOW)
    fig.update_xaxes(title_text="radius (cycles per image)")
    fig.update_yaxes(title_text="mean |F|² (28×28 DFT)", type="log")  # short: fits a low plot
    return fig


def psnr_histogram_figure(values: Mapping[str, np.ndarray], *, title: str = "Per-image PSNR",
                          height: int = 300) -> go.Figure:
    """Overlaid histograms of per-image PSNR (dB), one trace per method; infinite values dropped."""
    fig = go.Figure()
    for i, (name, v) in enumerate(values.items()):
        v = np.asarray(v, dtype=float)
        fig.add_trace(go.Histogram(x=v[np.isfinite(v)], name=name, opacity=0.55, nbinsx=60,
                                   marker_color=PALETTE[i % len(PALETTE)]))
    fig.update_layout(barmode="overlay", title=_title(title), height=height,
                      margin=dict(l=10, r=10, t=50, b=10),
                      legend=LEGEND_BELOW)
    fig.update_xaxes(title_text="PSNR (dB)")
    fig.update_yaxes(title_text="images")
    return fig
