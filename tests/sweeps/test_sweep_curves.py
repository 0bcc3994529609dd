"""Sweep learning curves (mean ± 95 % Student-t CI per step, the numbers of sr_core.sweeps.stats, drawn
as bands on the Sweeps page) and sweeps over datasets (the grid's ``dataset`` axis validated; a tiny
fashion-mnist | photos sweep trains and scores both settings)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from app_support import page, plotly_specs, require_data, values
from app_support import empty_runs, fresh_registry  # noqa: F401  (fixtures)
from sr_core.errors import UserError
from sr_core.runs.metrics_log import METRIC_FIELDS
from sr_core.sweeps.curves import learning_curves
from sr_core.sweeps.driver import create_sweep
from sr_core.sweeps.spec import SweepSpec, parse_grid, read_state, sweep_dir
from sr_core.sweeps.stats import describe, summarize

# setting -> seed -> test loss at steps 0, 10, 20 (seed 2 of setting 1 stopped after step 10)
LOSSES = {0: {0: [0.50, 0.40, 0.30], 1: [0.52, 0.43, 0.31], 2: [0.49, 0.41, 0.35]},
          1: {0: [0.50, 0.30, 0.20], 1: [0.55, 0.32, 0.24], 2: [0.51, 0.36]}}


def _synthetic_sweep(runs: Path) -> dict:
    spec = SweepSpec(name="syn", preset="tiny", grid=parse_grid("lr=0.001|0.003"), seeds=[0, 1, 2])
    folder = create_sweep(spec, runs)
    state = read_state(folder)
    for t in state["trials"]:
        d = runs / t["run"]
        d.mkdir(parents=True)
        lines = [",".join(METRIC_FIELDS)]
        for i, v in enumerate(LOSSES[t["setting"]][t["seed"]]):
            row = {"step": 10 * i, "split": "test", "total": v, "elapsed_s": float(i)}
            lines.append(",".join("" if row.get(k) is None else str(row[k]) for k in METRIC_FIELDS))
        (d / "metrics.csv").write_text("\n".join(lines) + "\n")
    return state


def test_curve_bands_are_the_stats_ci_per_step(empty_runs: Path) -> None:
    state = _synthetic_sweep(empty_runs)
    curves, notes = learning_curves(state, "total", empty_runs)
    assert notes == [] and [c["steps"] for c in curves] == [[0, 10, 20], [0, 10, 20]]
    for c in curves:
        seeds = LOSSES[c["setting"]]
        for i, step in enumerate(c["steps"]):
            want = describe([v[i] for v in seeds.values() if len(v) > i])
            assert (c["mean"][i], c["ci_low"][i], c["ci_high"][i], c["n"][i]) == \
                (want["mean"], want["ci_low"], want["ci_high"], want["n"])
    assert curves[1]["n"] == [3, 3, 2]  # the stopped seed counts where it has a value
    # t(0.975, 2) = 4.303: the CI of three seeds by hand
    xs = [0.40, 0.43, 0.41]
    m = sum(xs) / 3
    half = 4.302652729911275 * math.sqrt(sum((x - m) ** 2 for x in xs) / 2) / math.sqrt(3)
    assert curves[0]["ci_high"][1] == pytest.approx(m + half, rel=1e-9)
    # the page draws the same numbers: one band (upper then lower, reversed) and one mean line per setting
    at = page("pages/sweeps.py", sweep_pick="syn")
    assert not at.exception
    fig = next(f for f in plotly_specs(at) if f["layout"]["title"]["text"].startswith("Learning curves"))
    for c in curves:
        band = next(t for t in fig["data"] if t["name"] == f"{c['label']} 95% CI")
        assert values(band["y"]) == pytest.approx(c["ci_high"] + c["ci_low"][::-1])
        line = next(t for t in fig["data"] if t["name"] == c["label"])
        assert values(line["y"]) == pytest.approx(c["mean"])
    colours = {t["line"]["color"] for t in fig["data"] if "95%" not in t["name"]}
    assert len(colours) == 2  # one colour per setting


def test_dataset_axis_is_validated() -> None:
    bad = SweepSpec(name="d", preset="tiny", grid=parse_grid("dataset=fashion-mnist|nope"), seeds=[0])
    with pytest.raises(UserError, match="unknown dataset 'nope'"):
        bad.validate()
    patch = SweepSpec(name="d", preset="tiny", grid=parse_grid("dataset=fashion-mnist|photos"), seeds=[0],
                      base={"patch": 48})
    with pytest.raises(UserError, match="patch"):  # the paper's CNN-VAE takes 28x28 patches only
        patch.validate()
    ok = SweepSpec(name="d", preset="tiny", grid=parse_grid("dataset=fashion-mnist|photos"), seeds=[0]).validate()
    assert [ok.trial_config(k, 0).dataset for k in range(2)] == ["fashion-mnist", "photos"]


def test_a_tiny_sweep_over_datasets_trains_and_scores_both(empty_runs: Path) -> None:
    from sr_core.sweeps.trial import run_trial

    require_data()
    spec = SweepSpec(name="ds", preset="tiny", grid=parse_grid("dataset=fashion-mnist|photos"), seeds=[0],
                     base={"steps": 4, "eval_every": 2, "eval_limit": 50}, eval_limit=50).validate()
    outs = [run_trial({"spec": spec.to_dict(), "setting": k, "seed": 0, "runs_dir": str(empty_runs),
                       "data_dir": None, "threads": 1}) for k in range(2)]
    assert [o["status"] for o in outs] == ["finished", "finished"], outs
    for o, ds in zip(outs, ("fashion-mnist", "photos")):
        cfg = json.loads((empty_runs / o["run"] / "config.json").read_text())
        assert cfg["train"]["dataset"] == ds and cfg["sweep"]["label"] == f"dataset={ds}"
        ev = json.loads((empty_runs / o["run"] / "eval.json").read_text())
        assert ev["model"]["psnr"] == o["metrics"]["sr_psnr"]
    state = {"trials": [dict(o, label=f"dataset={d}") for o, d in zip(outs, ("fashion-mnist", "photos"))],
             "labels": ["dataset=fashion-mnist", "dataset=photos"]}
    rows = summarize(state["trials"], state["labels"])
    assert [r["n_finished"] for r in rows] == [1, 1]
    curves, _ = learning_curves(state, "total", empty_runs)
    assert [c["steps"] for c in curves] == [[0, 2, 4], [0, 2, 4]]
    assert not (sweep_dir("ds", empty_runs)).exists()  # trials alone write no sweep state
