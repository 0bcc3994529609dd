"""The monitor in the app (AppTest): the preview-history slider shows the chosen step's strip and marks
it on the chart (Runs and Train), NaN and divergence banners, and runs of older versions open with
their missing parts said."""
from __future__ import annotations

import json
from pathlib import Path

from app_support import RUNS, page, start_tiny_job, texts, wait_for_status
from app_support import empty_runs, fresh_registry, runs, trained_runs  # noqa: F401  (fixtures)
from sr_core.runs.metrics_log import METRIC_FIELDS


def _captions(at) -> list[str]:
    return [img.proto.imgs[0].caption for img in at.get("image")]


def _shapes(at, key: str) -> list[dict]:
    chart = next(c for c in at.get("plotly_chart") if key in c.proto.id)
    return json.loads(chart.proto.spec)["layout"].get("shapes", [])


def _fake_run(root: Path, name: str, test: list[dict], *, status: dict | None = None, header=METRIC_FIELDS) -> None:
    d = root / name
    d.mkdir(parents=True)
    (d / "config.json").write_text(json.dumps({"train": {"model": "cnn-vae", "steps": 100, "seed": 0}}))
    (d / "status.json").write_text(json.dumps(status or {"status": "finished", "step": 100, "total_steps": 100}))
    lines = [",".join(header)]
    for r in test:
        lines.append(",".join("" if r.get(k) is None else str(r[k]) for k in header))
    (d / "metrics.csv").write_text("\n".join(lines) + "\n")


def test_runs_slider_shows_chosen_step_and_marks_chart(runs: Path) -> None:
    at = page(RUNS, runs_monitor_run="tiny-run")
    slider = at.select_slider(key="runs_mon_hist_step")
    assert list(slider.options) == ["0", "10", "20"] and slider.value == 20
    assert any("at step 20" in c for c in _captions(at))
    slider.set_value(10).run()
    assert any("at step 10" in c for c in _captions(at)) and not any("at step 20:" in c for c in _captions(at))
    for key in ("runs_monitor_loss", "runs_mon_quality_chart"):
        assert [s["x0"] for s in _shapes(at, key) if s.get("name") == "preview step"] == [10]
    assert any("SR PSNR vs bicubic" in json.loads(c.proto.spec)["layout"]["title"]["text"]
               for c in at.get("plotly_chart"))


def test_nan_and_divergence_banners(empty_runs: Path) -> None:
    rising = [{"step": s, "split": "test", "total": t, "alpha": 0.75} for s, t in
              zip(range(0, 60, 10), (0.5, 0.4, 0.45, 0.5, 0.55, 0.6))]
    _fake_run(empty_runs, "diverging", rising)
    _fake_run(empty_runs, "nan-run", rising[:2], status={"status": "nan", "step": 12, "total_steps": 100,
                                                         "message": "loss became nan at step 12; lower the lr"})
    at = page(RUNS, runs_monitor_run="diverging")
    assert any("Test loss rose for 4 evaluations" in e for e in texts(at, "error"))
    at = page(RUNS, runs_monitor_run="nan-run")
    assert any("NaN" in e and "loss became nan at step 12" in e for e in texts(at, "error"))
    assert not any("rose" in e for e in texts(at, "error"))


def test_old_run_opens_with_missing_parts_said(empty_runs: Path) -> None:
    old = ("step", "split", "total", "recon", "latent", "kl", "alpha", "lr", "elapsed_s", "img_s")
    _fake_run(empty_runs, "old", [{"step": 0, "split": "test", "total": 0.5, "alpha": 0.75},
                                  {"step": 1, "split": "train", "total": 0.4, "alpha": 0.75}], header=old)
    at = page(RUNS, runs_monitor_run="old")
    assert not at.exception
    info = " ".join(texts(at, "info"))
    assert "No preview history" in info and "No quality curves" in info


def test_train_page_slider_after_a_run(empty_runs: Path) -> None:
    at = start_tiny_job(20, eval_every=10)
    wait_for_status(at, ("finished",), timeout=120)
    at.run()
    slider = at.select_slider(key="train_hist_step")
    assert slider.value == 20
    slider.set_value(0).run()
    assert any("at step 0:" in c for c in _captions(at))
    assert [s["x0"] for s in _shapes(at, "train_chart_test") if s.get("name") == "preview step"] == [0]
