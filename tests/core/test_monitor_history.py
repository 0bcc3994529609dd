"""Preview history (bounded, atomic, the trainer's strips) and the quality columns (equal to `eval` on
the same subset; the losses are the same with the monitor on or off)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from _runs import losses, tiny_config
from sr_core.data import load_split
from sr_core.evaluate import evaluate
from sr_core.monitor.history import HISTORY_NAME, PreviewHistory, entry, load_history, thin
from sr_core.imaging.io import to_uint8
from sr_core.runs.jobs import prepare_run
from sr_core.models import build_model
from sr_core.monitor.quality import QUALITY_IMAGES, QualityProbe

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _prev(step: int, z: bool = True) -> dict:
    rng = np.random.default_rng(step)
    p = {"step": step, "indices": [0, 1, 2], "lr": rng.random((3, 14, 14)), "sr": rng.random((3, 28, 28)),
         "hr": np.full((3, 28, 28), 0.5)}
    if z:
        p["z"] = rng.random((3, 14, 14))
    return p


def test_thin_bounds_and_keeps_ends() -> None:
    for n in (10, 64, 65, 200, 1000):
        keep = thin(list(range(n)), 64)
        assert len(keep) <= 64 and keep[0] == 0 and keep[-1] == n - 1 and keep == sorted(set(keep))


def test_history_bounded_atomic_and_readable(tmp_path: Path) -> None:
    path = tmp_path / HISTORY_NAME
    h = PreviewHistory(path, cap=16)
    for step in range(0, 1000, 10):
        h.add(_prev(step))
    data = load_history(path)
    assert data is not None and len(data["steps"]) <= 16
    assert data["steps"][0] == 0 and data["steps"][-1] == 990 and data["sr"].dtype == np.uint8
    assert not list(tmp_path.glob(".*.tmp")) and path.stat().st_size < 200_000
    e = entry(data, 990)
    assert e["step"] == 990 and np.array_equal(to_uint8(e["sr"]), to_uint8(_prev(990)["sr"]))
    assert entry(data, 3)["step"] == 0
    # a resumed run drops what came after its checkpoint, and a re-evaluated step replaces its entry
    h2 = PreviewHistory(path, cap=16, upto=500)
    assert h2.data["steps"].max() <= 500
    h2.add(_prev(500))
    assert list(load_history(path)["steps"]).count(500) == 1
    path.write_bytes(b"not a zip")
    assert load_history(path) is None


def test_run_writes_history_of_each_evaluation(data_dir: Path, tmp_path: Path) -> None:
    trainer, run = prepare_run(tiny_config(), runs_dir=tmp_path, name="h")
    assert trainer.run() == "finished"
    data = load_history(run.path / HISTORY_NAME)
    tests = [r for r in run.read_metrics() if r["split"] == "test"]
    assert data is not None and data["steps"].tolist() == [r["step"] for r in tests] == [0, 4, 8]
    last = trainer.latest_preview()
    assert np.array_equal(data["sr"][-1], to_uint8(last["sr"])) and np.array_equal(data["z"][-1], to_uint8(last["z"]))
    assert all(r["sr_psnr"] is not None and r["bicubic_psnr"] is not None for r in tests)
    assert "quality" in run.config()["monitor"]


def test_losses_same_with_monitor_on_or_off(data_dir: Path, tmp_path: Path) -> None:
    a, ra = prepare_run(tiny_config(steps=6), runs_dir=tmp_path, name="on")
    b, rb = prepare_run(tiny_config(steps=6), runs_dir=tmp_path, name="off", monitor=False)
    after = []
    for t in (a, b):
        torch.manual_seed(123)
        t.run()
        after.append(torch.get_rng_state())
    assert torch.equal(*after)  # the monitor's passes draw nothing from the global RNG
    assert losses(ra) == losses(rb)
    assert not (rb.path / HISTORY_NAME).exists()


@pytest.mark.parametrize("name", ["cnn-vae", "cnn-vae-class", "cvae-sr"])
def test_quality_columns_match_eval(name: str, data_dir: Path) -> None:
    split = load_split("fashion-mnist", train=False, data_dir=data_dir)
    model = build_model(name, {}, seed=1)
    q = QualityProbe(split, "box", "cpu").measure(model)
    ev = evaluate(model, split, limit=QUALITY_IMAGES, samples=0, temperature=0.0)
    assert q["sr_psnr"] == pytest.approx(ev["model"]["psnr"], abs=1e-4)
    assert q["sr_ssim"] == pytest.approx(ev["model"]["ssim"], abs=1e-5)
    assert q["bicubic_psnr"] == pytest.approx(ev["bicubic"]["psnr"], abs=1e-9)
    assert q["bicubic_ssim"] == pytest.approx(ev["bicubic"]["ssim"], abs=1e-9)
