"""Chart options (AppTest): log-x, x as step or wall time (a resumed run's restarting elapsed_s laid end
to end), "Reset zoom" (a new uirevision), and a reference run drawn dashed on the live Train charts."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from app_support import RUNS, page, start_tiny_job, values, wait_for_status
from app_support import empty_runs, fresh_registry  # noqa: F401  (fixtures)
from sr_core.runs.metrics_log import METRIC_FIELDS
from sr_core.monitor.series import wall_time


def _chart(at, key: str) -> dict:
    return json.loads(next(c for c in at.get("plotly_chart") if key in c.proto.id).proto.spec)


def _resumed_rows() -> list[dict]:
    """A run of 6 batches trained in two segments: batches 1-3 (elapsed 2, 4, 6 s; evals at 0 and 3),
    resumed at 3 (elapsed restarts: eval at 0.5 s, batches 4-6 at 2, 4, 6 s, eval at 6)."""
    rows = [{"step": 0, "split": "test", "total": 0.5, "elapsed_s": 0.2}]
    rows += [{"step": s, "split": "train", "total": 0.5 - 0.01 * s, "elapsed_s": 2.0 * s} for s in (1, 2, 3)]
    rows += [{"step": 3, "split": "test", "total": 0.45, "elapsed_s": 6.5},
             {"step": 3, "split": "test", "total": 0.45, "elapsed_s": 0.5}]
    rows += [{"step": s, "split": "train", "total": 0.5 - 0.01 * s, "elapsed_s": 2.0 * (s - 3)} for s in (4, 5, 6)]
    rows += [{"step": 6, "split": "test", "total": 0.4, "elapsed_s": 6.4}]
    return rows


def _write_run(root: Path, name: str, rows: list[dict]) -> None:
    d = root / name
    d.mkdir(parents=True)
    (d / "config.json").write_text(json.dumps({"train": {"model": "cnn-vae", "steps": 6, "seed": 0}}))
    (d / "status.json").write_text(json.dumps({"status": "finished", "step": 6, "total_steps": 6}))
    lines = [",".join(METRIC_FIELDS)] + [",".join("" if r.get(k) is None else str(r[k]) for k in METRIC_FIELDS)
                                         for r in rows]
    (d / "metrics.csv").write_text("\n".join(lines) + "\n")


def test_wall_time_lays_resumed_segments_end_to_end() -> None:
    rows = _resumed_rows()
    train = [r for r in rows if r["split"] == "train"]
    test = [r for r in rows if r["split"] == "test"]
    ts, te = np.array([r["step"] for r in train]), np.array([r["elapsed_s"] for r in train])
    assert wall_time(ts, te).tolist() == [2, 4, 6, 8, 10, 12]
    got = wall_time([r["step"] for r in test], [r["elapsed_s"] for r in test], ts, te)
    # the first segment's last eval (6.5 s) stays in it; the eval made at resume time (0.5 s) is 6 + 0.5
    assert got.tolist() == [0.2, 6.5, 6.5, 12.4]
    assert wall_time([1, 2], [1.0, 2.0]).tolist() == [1.0, 2.0]  # no resume: elapsed_s as it is


def test_runs_page_log_x_wall_time_and_reset_zoom(empty_runs: Path) -> None:
    _write_run(empty_runs, "resumed", _resumed_rows())
    at = page(RUNS, runs_overlay=["resumed"], runs_split="train", runs_monitor_run="resumed")
    spec = _chart(at, "runs_chart")
    assert spec["layout"]["xaxis"]["type"] == "linear" and values(spec["data"][0]["x"]) == [1, 2, 3, 4, 5, 6]
    rev = spec["layout"]["uirevision"]
    at.toggle(key="runs_logx").set_value(True).run()
    for key in ("runs_chart", "runs_monitor_loss"):
        assert _chart(at, key)["layout"]["xaxis"]["type"] == "log"
    at.radio(key="runs_xmode").set_value("wall time").run()
    spec = _chart(at, "runs_chart")
    assert spec["layout"]["xaxis"]["title"]["text"].startswith("wall time")
    assert values(spec["data"][0]["x"]) == [2, 4, 6, 8, 10, 12]  # 2..6 s, then the resumed 2..6 s after 6 s
    assert values(_chart(at, "runs_monitor_loss")["data"][0]["x"]) == [2, 4, 6, 8, 10, 12]
    rev2 = _chart(at, "runs_chart")["layout"]["uirevision"]
    at.button(key="runs_reset_zoom").click().run()
    rev3 = _chart(at, "runs_chart")["layout"]["uirevision"]
    assert len({rev, rev2, rev3}) == 3  # a new uirevision: Plotly drops the user's zoom


def test_train_page_reference_overlay_log_x_and_wall_time(empty_runs: Path) -> None:
    _write_run(empty_runs, "ref-run", _resumed_rows())
    at = start_tiny_job(20, eval_every=10)
    wait_for_status(at, ("finished",), timeout=120)
    at.run()
    assert "ref-run" in at.selectbox(key="train_ref").options
    at.selectbox(key="train_ref").set_value("ref-run").run()
    train, test = _chart(at, "train_chart_train"), _chart(at, "train_chart_test")
    ref = [t for t in train["data"] if t["name"] == "total · ref-run"]
    assert len(ref) == 1 and ref[0]["line"]["dash"] == "dash"
    assert values(ref[0]["x"]) == [1, 2, 3, 4, 5, 6]  # smoothed, but on its own steps
    ref_test = next(t for t in test["data"] if t["name"] == "total · ref-run")
    assert values(ref_test["x"]) == [0, 3, 3, 6] and values(ref_test["y"]) == [0.5, 0.45, 0.45, 0.4]
    at.toggle(key="train_logx").set_value(True).run()
    assert _chart(at, "train_chart_train")["layout"]["xaxis"]["type"] == "log"
    at.radio(key="train_xmode").set_value("wall time").run()
    test = _chart(at, "train_chart_test")
    assert test["layout"]["xaxis"]["title"]["text"].startswith("wall time")
    own = values(next(t for t in test["data"] if t["name"] == "total")["x"])
    assert len(own) == 3 and own == sorted(own) and own[0] < 5.0  # seconds, not batches 0/10/20
    assert values(next(t for t in test["data"] if t["name"] == "total · ref-run")["x"]) == [0.2, 6.5, 6.5, 12.4]
