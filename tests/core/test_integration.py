"""Real data: a short training run on Fashion-MNIST lowers the test loss for both CNN-VAEs."""
from __future__ import annotations

from pathlib import Path

import pytest

from sr_core.presets import preset_config
from sr_core.runs.jobs import TrainJob, prepare_run


@pytest.mark.parametrize("preset,steps,lr", [("quick", 150, None), ("paper", 150, 1e-3)])
def test_short_run_lowers_test_loss(preset: str, steps: int, lr: float | None, data_dir: Path, runs_dir: Path) -> None:
    cfg = preset_config(preset, steps=steps, eval_every=50, eval_limit=2000, lr=lr,
                        alpha_schedule=[(0, 0.75)])
    trainer, run = prepare_run(cfg, data_dir=data_dir)
    job = TrainJob(trainer, run).start()
    assert job.join(timeout=300)
    snap = job.snapshot()
    assert snap.status == "finished", snap.error
    tests = snap.test
    assert len(tests) == 4  # step 0, 50, 100, 150
    assert tests[-1]["total"] < tests[0]["total"] - 0.01
    rows = run.read_metrics()
    assert sum(r["split"] == "train" for r in rows) == steps
    assert run.status()["status"] == "finished"
