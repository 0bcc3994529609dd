"""Bounded checkpoints: an architecture outside the per-model size bounds is refused in one line before
anything is allocated; an optimizer state that does not fit the parameters is refused at resume."""
from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from sr_core.checkpoint import model_from_checkpoint, save_checkpoint
from sr_core.errors import UserError
from sr_core.models import build_model

ROOT = Path(__file__).resolve().parents[2]


def _hand_made(path: Path, name: str, config: dict) -> Path:
    """A tiny checkpoint declaring ``config`` with no weights (as a hostile or hand-edited file would)."""
    from sr_core.checkpoint import FORMAT

    torch.save({"format": FORMAT, "model_name": name, "model_config": config, "train_config": {},
                "model_state": {}, "optimizer_state": None, "step": 0, "extra": {}}, path)
    return path


@pytest.mark.parametrize("name, config, word", [
    ("resnet-sr", {"channels": 256, "blocks": 2000}, "blocks"),
    ("cvae-sr", {"channels": 100000}, "channels"),
    ("cnn-vae", {"enc_channels": [16, 10**6]}, "enc_channels"),
    ("cnn-vae-deep", {"blocks": -1}, "blocks"),
    ("resnet-sr", {"res_scale": float("nan")}, "res_scale"),
    ("resnet-sr", {"channels": True}, "channels"),
    ("resnet-sr", {"base": 3}, "base"),
])
def test_out_of_bounds_architecture_is_one_line_and_fast(tmp_path: Path, name: str, config: dict, word: str) -> None:
    path = _hand_made(tmp_path / "x.pt", name, config)
    assert path.stat().st_size < 4096
    t0 = time.perf_counter()
    with pytest.raises(UserError) as err:
        model_from_checkpoint(path)
    assert word in str(err.value) and "\n" not in str(err.value)
    assert time.perf_counter() - t0 < 5  # refused before building (a 2,000-block net took 67 s and 9.8 GB)


def test_the_refusal_allocates_nothing_large(tmp_path: Path) -> None:
    path = _hand_made(tmp_path / "x.pt", "resnet-sr", {"channels": 256, "blocks": 2000})
    probe = ("import resource, sys\nfrom sr_core.checkpoint import model_from_checkpoint\n"
             "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
             f"try:\n    model_from_checkpoint({str(path)!r})\nexcept Exception as e:\n    print(type(e).__name__)\n"
             "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    kind, grew_kb = out.stdout.split()
    assert kind == "CheckpointError" or kind == "UserError"
    assert int(grew_kb) < 200_000  # < 200 MB more than after the imports


def test_default_and_shipped_sizes_stay_inside_the_bounds() -> None:
    for name in ("cnn-vae-paper", "cnn-vae", "resnet-sr", "cvae-sr", "cnn-vae-class", "cnn-vae-deep"):
        build_model(name, {})
    build_model("resnet-sr", {"channels": 64, "blocks": 16})  # a bigger model than shipped is still allowed


def test_resume_with_a_mismatched_optimizer_state_is_one_line(tmp_path: Path, data_dir: Path) -> None:
    from sr_core.presets import preset_config
    from sr_core.runs.jobs import prepare_run

    trainer, run = prepare_run(preset_config("tiny", steps=4, eval_every=2, eval_limit=20), runs_dir=tmp_path, name="r")
    trainer.add_callback("on_step", lambda t, row: t.request_stop() if row["step"] == 2 else None)
    assert trainer.run() == "stopped"
    ck = torch.load(run.checkpoint_path, weights_only=True)
    first = next(iter(ck["optimizer_state"]["state"]))
    ck["optimizer_state"]["state"][first]["exp_avg"] = torch.zeros(3, 3, 3)
    torch.save(ck, run.checkpoint_path)
    out = subprocess.run([sys.executable, "-m", "sr_core", "train", "--resume", "r", "--runs-dir", str(tmp_path),
                          "--no-progress"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 2 and "optimizer state does not match" in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64])
def test_the_torch_free_scan_finds_inf_and_nan_in_every_float_width(dtype) -> None:
    from sr_core.runs.ckpt_scan import _FLOAT_STORAGES, _nonfinite

    kind = {torch.float16: "HalfStorage", torch.bfloat16: "BFloat16Storage", torch.float32: "FloatStorage",
            torch.float64: "DoubleStorage"}[dtype]
    assert kind in _FLOAT_STORAGES
    for bad in (float("nan"), float("inf"), -float("inf"), None):
        t = (torch.randn(500, generator=torch.Generator().manual_seed(0)) * 100).to(dtype)
        t[7] = 6e4 if dtype == torch.float16 else 1e30  # large but finite
        if bad is not None:
            t[321] = bad
        raw = bytes(t.view({2: torch.int16, 4: torch.int32, 8: torch.int64}[t.element_size()]).numpy().tobytes())
        assert _nonfinite(raw, kind) == (bad is not None)


def test_list_and_the_demo_skip_broken_checkpoints_without_torch(tmp_path: Path) -> None:
    """Zero bytes, an unsafe pickle, NaN weights: broken rows in list_runs (no torch needed) and not
    offered by the demo's model list."""
    import shutil

    from sr_core.runs.catalog import model_choices
    from sr_core.runs.listing import list_runs
    from tests.demo_support import RUN_NAME, make_tiny_run

    make_tiny_run(tmp_path)
    good = tmp_path / RUN_NAME
    for name in ("zero", "unsafe", "nan"):
        shutil.copytree(good, tmp_path / name)
    (tmp_path / "zero" / "checkpoint.pt").write_bytes(b"")
    ck = torch.load(good / "checkpoint.pt", weights_only=True)
    torch.save({**ck, "extra": {"f": print}}, tmp_path / "unsafe" / "checkpoint.pt")
    for t in ck["model_state"].values():
        t.fill_(float("nan"))
    torch.save(ck, tmp_path / "nan" / "checkpoint.pt")
    rows = {r["name"]: r["error"] for r in list_runs(tmp_path)}
    assert rows[RUN_NAME] == "" and "0 bytes" in rows["zero"] and "print" in rows["unsafe"] and "weights_only" in rows["unsafe"]
    assert "not finite" in rows["nan"]
    offered = model_choices(tmp_path)
    assert f"run:{RUN_NAME}" in offered and not {"run:zero", "run:unsafe", "run:nan"} & set(offered)
