"""Learning curves of a sweep: per setting and step, the mean over its seeds' runs and the 95 % Student-t
CI of that mean (:func:`sr_core.sweeps.stats.describe`, the same numbers as the sweep's table).

Each trial's curve is its run folder's ``metrics.csv`` (test rows: the test loss or the quality columns
at each evaluation; train rows: the loss per batch). A step counts the seeds that have a value there
(a running trial or a failed one contributes the steps it reached); with one seed the CI is None.
"""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from sr_core.errors import UserError
from sr_core.runs.metrics_log import read_rows
from sr_core.runs.store import runs_root
from sr_core.sweeps.stats import describe

#: metric key -> (label, split of the rows it is read from)
CURVE_METRICS: dict[str, tuple[str, str]] = {
    "total": ("test loss (total)", "test"), "sr_psnr": ("SR PSNR dB (quality subset)", "test"),
    "train_total": ("train loss (total)", "train"),
}


def trial_curve(path: Path, metric: str) -> dict[int, float]:
    """{step: value} of one trial's ``metric`` (the last row per step wins: a resumed run's re-evaluation)."""
    label, split = CURVE_METRICS[metric]
    key = "total" if metric == "train_total" else metric
    rows, _ = read_rows(path / "metrics.csv")
    out: dict[int, float] = {}
    for r in rows:
        v = r.get(key)
        if r["split"] == split and v is not None and math.isfinite(v):
            out[int(r["step"])] = float(v)
    return out


def learning_curves(state: dict[str, Any], metric: str = "total",
                    runs_dir: str | os.PathLike | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """Per setting: ``{"setting", "label", "steps", "mean", "ci_low", "ci_high", "n"}`` (lists over the
    steps any of its seeds reached; CI bounds None where fewer than 2 seeds have a value), and the
    notes on trials left out (no run folder, unreadable metrics), one line each."""
    if metric not in CURVE_METRICS:
        raise UserError(f"unknown curve metric '{metric}'; choose one of: {', '.join(CURVE_METRICS)}")
    root = runs_root(runs_dir)
    per: dict[int, list[dict[int, float]]] = {}
    notes: list[str] = []
    for t in state["trials"]:
        path = root / t["run"]
        if not (path / "metrics.csv").is_file():
            notes.append(f"trial {t['run']}: no run folder with metrics.csv under {root}")
            continue
        try:
            per.setdefault(int(t["setting"]), []).append(trial_curve(path, metric))
        except UserError as exc:
            notes.append(f"trial {t['run']}: {exc}")
    out = []
    for k, label in enumerate(state["labels"]):
        curves = [c for c in per.get(k, []) if c]
        if not curves:
            continue
        steps = sorted(set().union(*curves))
        entry: dict[str, Any] = {"setting": k, "label": label, "steps": steps, "mean": [], "ci_low": [],
                                 "ci_high": [], "n": []}
        for s in steps:
            d = describe([c[s] for c in curves if s in c])
            for name in ("mean", "ci_low", "ci_high", "n"):
                entry[name].append(d[name])
        out.append(entry)
    return out, notes
