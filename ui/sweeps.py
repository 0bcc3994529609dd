"""The Sweeps page's helpers: the background sweep process, the sweeps on disk, figure and tables.

A sweep started from the page runs as its own process, ``python -m sr_core sweep ... --no-progress``
(Ray must not live inside the Streamlit server), held by the process-wide :class:`SweepLauncher`
(``ui.studio.services.sweep_launcher``), so a refresh or a second tab sees the same sweep and a second
Start is refused. Live state comes from the sweep's ``sweep.json``, which the sweep rewrites
atomically after every trial event; Stop sends SIGINT, on which Ray Tune ends its trials and the
sweep records them as pending (``sweep --resume NAME`` continues).
"""
from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from sr_core.errors import UserError
from sr_core.runs.status import TrialStatus
from sr_core.sweeps.driver import create_sweep
from sr_core.sweeps.spec import SweepSpec, read_state, shipped_studies, sweep_dir, sweeps_root
from sr_core.sweeps.stats import METRICS

ROOT = Path(__file__).resolve().parents[1]
METRIC_LABELS = {m: label for m, label, _ in METRICS}


class SweepLauncher:
    """At most one sweep process per server: ``start``, ``stop``, ``running``, ``name``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self.name = ""
        self.runs_dir = ""
        self.log_path: Path | None = None
        self.command: list[str] = []

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self._proc is None else self._proc.poll()

    def start(self, spec: SweepSpec, runs_dir: str | os.PathLike, workers: int) -> None:
        """Write ``spec`` as the sweep's ``sweep.json`` and run ``python -m sr_core sweep --resume NAME``
        in the background (its output to a log file): the spec crosses once, as the file it is kept as."""
        with self._lock:
            if self.running:
                raise UserError(f"sweep '{self.name}' is still running; stop it or wait until it finishes")
            folder = create_sweep(spec, runs_dir)
            name = spec.name
            self.log_path = folder / "driver.log"
            cmd = [sys.executable, "-m", "sr_core", "sweep", "--resume", name, "--runs-dir", str(runs_dir),
                   "--workers", str(int(workers)), "--no-progress"]
            self.command = cmd
            with open(self.log_path, "w") as log:
                self._proc = subprocess.Popen(cmd, cwd=str(ROOT), stdout=log, stderr=subprocess.STDOUT,
                                              start_new_session=True)
            self.name, self.runs_dir = name, str(runs_dir)

    def stop(self, timeout: float = 60.0) -> bool:
        """SIGINT the sweep (Tune stops its trials; finished ones are kept); False if none runs."""
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return False
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # its own session: the sweep and the Ray it started
            proc.wait()
        return True

    def last_error(self) -> str:
        """The last line of a sweep process that ended with an error (e.g. a bad grid), else ''."""
        if self.running or self.returncode in (None, 0, 1) or self.log_path is None:
            return ""
        try:
            lines = [ln for ln in self.log_path.read_text().splitlines() if ln.strip()]
        except OSError:
            return ""
        return lines[-1] if lines else f"the sweep process ended with code {self.returncode}"


def my_sweeps(runs_dir: str | os.PathLike | None = None) -> dict[str, Path]:
    """Sweeps under the runs folder (newest first) that have a ``sweep.json``."""
    root = sweeps_root(runs_dir)
    if not root.is_dir():
        return {}
    paths = sorted((p for p in root.iterdir() if (p / "sweep.json").is_file()), key=lambda p: p.stat().st_mtime,
                   reverse=True)
    return {p.name: p for p in paths}


def load_state(folder: Path) -> dict[str, Any]:
    """A sweep's validated state (one-line UserError if malformed); "interrupted" when its driver died."""
    from sr_core.sweeps.check import live_status

    state = read_state(folder)
    state["status"] = live_status(state, folder)
    return state


def counts(state: dict[str, Any]) -> dict[str, int]:
    out = {str(s): 0 for s in TrialStatus}
    for t in state["trials"]:
        out[t["status"]] = out.get(t["status"], 0) + 1
    return out


def sweep_figure(state: dict[str, Any], metric: str = "sr_psnr") -> go.Figure:
    """Per setting: each seed as a dot and the mean with its 95 % Student-t CI as an error bar."""
    fig = go.Figure()
    labels = state["labels"]
    rows = {r["setting"]: r for r in state.get("summary", [])}
    xs, means, halves = [], [], []
    for k, label in enumerate(labels):
        e = rows.get(k, {}).get("metrics", {}).get(metric)
        if not e:
            continue
        seeds = list(e["per_seed"].items())
        n = len(seeds)
        offsets = [(-0.18 + 0.36 * i / (n - 1)) if n > 1 else 0.0 for i in range(n)]
        fig.add_trace(go.Scatter(x=[k + o for o in offsets], y=[v for _, v in seeds], mode="markers",
                                 marker=dict(size=7, opacity=0.55, color="#888"), showlegend=k == 0,
                                 name="one seed", text=[f"seed {s}" for s, _ in seeds],
                                 hovertemplate="%{text}: %{y:.4g}<extra></extra>"))
        xs.append(k)
        means.append(e["mean"])
        halves.append(e["ci_half"] if e.get("ci_half") is not None else 0.0)
    fig.add_trace(go.Scatter(x=xs, y=means, mode="markers", name="mean ± 95% CI",
                             marker=dict(size=12, symbol="diamond", color="#d62728"),
                             error_y=dict(type="data", array=halves, visible=True, thickness=2, width=8),
                             hovertemplate="mean %{y:.4g} ± %{error_y.array:.3g}<extra></extra>"))
    fig.update_layout(height=420, margin=dict(l=10, r=10, t=40, b=10),
                      title=f"{METRIC_LABELS.get(metric, metric)} per setting (dots: seeds)",
                      xaxis=dict(tickmode="array", tickvals=list(range(len(labels))), ticktext=labels),
                      yaxis_title=METRIC_LABELS.get(metric, metric), legend=dict(orientation="h", y=-0.15))
    return fig


def _num(v: float | None, d: int) -> str:
    return "-" if v is None or not math.isfinite(v) else f"{v:.{d}f}"


def summary_table(state: dict[str, Any], metric: str = "sr_psnr") -> pd.DataFrame:
    """One row per setting: n, mean ± CI, std, CI, paired difference vs the reference [CI]."""
    d = 4 if metric in ("sr_ssim", "test_loss") else 2
    out = []
    for r in state.get("summary", []):
        e = r["metrics"].get(metric, {})
        p = e.get("paired") or {}
        diff = "reference" if r["reference"] else (
            f"{p['mean']:+.{d}f} [{_num(p.get('ci_low'), d)}, {_num(p.get('ci_high'), d)}]"
            if p.get("mean") is not None else "-")
        out.append({"#": r["setting"] + 1, "setting": r["label"], "seeds": f"{r['n_finished']}",
                    "failed": r["n_failed"], "mean ± 95% CI": f"{_num(e.get('mean'), d)} ± {_num(e.get('ci_half'), d)}",
                    "std": _num(e.get("std"), d), "paired diff vs reference [95% CI]": diff})
    return pd.DataFrame(out)


def trials_table(state: dict[str, Any]) -> pd.DataFrame:
    """One row per trial: run, setting, seed, status, its numbers or its error."""
    out = []
    for t in state["trials"]:
        m = t.get("metrics") or {}
        out.append({"run": t["run"], "setting": t["label"], "seed": t["seed"], "status": t["status"],
                    "SR PSNR dB": _num(m.get("sr_psnr"), 2), "SR SSIM": _num(m.get("sr_ssim"), 4),
                    "final test loss": _num(m.get("test_loss"), 4), "error": t.get("error", "")})
    return pd.DataFrame(out)



def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    return f"rgba({int(h[0:2], 16)}, {int(h[2:4], 16)}, {int(h[4:6], 16)}, {alpha})"


def curves_figure(curves: list[dict[str, Any]], metric_label: str) -> go.Figure:
    """Learning curves (:func:`sr_core.sweeps.curves.learning_curves`): per setting, one colour, the mean
    over seeds as a line (``"<label>"``) and its 95 % CI as a shaded band (``"<label> 95% CI"``)."""
    from ui.figures import LEGEND_BELOW, PALETTE

    fig = go.Figure()
    for c in curves:
        colour = PALETTE[c["setting"] % len(PALETTE)]
        band = [(s, lo, hi) for s, lo, hi in zip(c["steps"], c["ci_low"], c["ci_high"]) if lo is not None]
        if band:
            xs = [b[0] for b in band]
            fig.add_trace(go.Scatter(x=xs + xs[::-1], y=[b[2] for b in band] + [b[1] for b in band][::-1],
                                     fill="toself", fillcolor=_rgba(colour, 0.18), line=dict(width=0),
                                     name=f"{c['label']} 95% CI", legendgroup=c["label"], showlegend=False,
                                     hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=c["steps"], y=c["mean"], name=c["label"], legendgroup=c["label"],
                                 mode="lines+markers", line=dict(color=colour, width=2), customdata=c["n"],
                                 hovertemplate="%{y:.4g} (n=%{customdata})<extra>" + c["label"] + "</extra>"))
    fig.update_layout(height=400, margin=dict(l=10, r=10, t=50, b=10), hovermode="x unified",
                      title=dict(text=f"Learning curves: {metric_label}, mean over seeds ± 95% Student-t CI"),
                      legend=LEGEND_BELOW)
    fig.update_xaxes(title_text="batch")
    fig.update_yaxes(title_text=metric_label)
    return fig
