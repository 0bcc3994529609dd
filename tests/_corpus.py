"""A runs folder of malformed runs beside one good run: what a hand-edit, a foreign tool or a crash
can leave. Used by the CLI tests and by every page's AppTest."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch

from sr_core.runs.store import RunDir

# name -> how its files are broken
BROKEN = ("status-null", "status-list", "status-step-text", "config-list", "config-train-int",
          "metrics-bad-middle", "ckpt-state-list", "ckpt-step-text", "ckpt-nan-weights", "ckpt-unknown-dataset",
          "ckpt-garbage", "ckpt-foreign-pickle", "ckpt-zero-bytes", "ckpt-unsafe-pickle")


class _Unsafe:
    """Pickles as a call of os.getcwd: what torch.load(weights_only=True) refuses."""

    def __reduce__(self):
        import os
        return (os.getcwd, ())


def _patch_ckpt(run: Path, **fields) -> None:
    ck = torch.load(run / "checkpoint.pt", weights_only=True)
    ck.update(fields)
    torch.save(ck, run / "checkpoint.pt")


def make_corpus(good: Path, root: Path) -> Path:
    """Copy the trained run ``good`` into ``root`` as 'good' and as each broken variant."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(good, root / "good")
    for name in BROKEN:
        shutil.copytree(good, root / name)
        r = root / name
        (r / ".lock").unlink(missing_ok=True)
        if name == "status-null":
            (r / "status.json").write_text("null")
        elif name == "status-list":
            (r / "status.json").write_text("[]")
        elif name == "status-step-text":
            (r / "status.json").write_text(json.dumps({"status": "finished", "step": "many"}))
        elif name == "config-list":
            (r / "config.json").write_text("[1, 2]")
        elif name == "config-train-int":
            (r / "config.json").write_text(json.dumps({"train": 5}))
        elif name == "metrics-bad-middle":
            lines = (r / "metrics.csv").read_text().splitlines(keepends=True)
            lines.insert(2, "x,train,zz\r\n")
            (r / "metrics.csv").write_text("".join(lines))
        elif name == "ckpt-state-list":
            _patch_ckpt(r, model_state=[1, 2, 3])
        elif name == "ckpt-step-text":
            _patch_ckpt(r, step="10")
        elif name == "ckpt-nan-weights":
            ck = torch.load(r / "checkpoint.pt", weights_only=True)
            for t in ck["model_state"].values():
                if t.is_floating_point():
                    t.fill_(float("nan"))
            torch.save(ck, r / "checkpoint.pt")
        elif name == "ckpt-unknown-dataset":
            ck = torch.load(r / "checkpoint.pt", weights_only=True)
            ck["train_config"]["dataset"] = "imagenet"
            torch.save(ck, r / "checkpoint.pt")
        elif name == "ckpt-garbage":
            (r / "checkpoint.pt").write_bytes(b"\x00not a checkpoint" * 10)
        elif name == "ckpt-zero-bytes":
            (r / "checkpoint.pt").write_bytes(b"")
        elif name == "ckpt-unsafe-pickle":
            ck = torch.load(r / "checkpoint.pt", weights_only=True)
            ck["extra"] = {"x": _Unsafe()}
            torch.save(ck, r / "checkpoint.pt")
        elif name == "ckpt-foreign-pickle":
            torch.save({"format": "sr_core.checkpoint/1", "model_name": 3}, r / "checkpoint.pt")
    assert RunDir(root / "good").checkpoint_path.is_file()
    return root


# Sweep files: name -> how its sweep.json is broken (beside one good, finished sweep named 'good').
BROKEN_SWEEPS = ("top-list", "status-null", "trials-dict", "not-json", "grid-text", "trial-status-odd",
                 "summary-row-text", "trial-metrics-text", "seeds-huge")


def _good_sweep_state() -> dict:
    from sr_core.sweeps.driver import new_state
    from sr_core.sweeps.spec import SweepSpec, parse_grid
    from sr_core.sweeps.stats import summarize

    spec = SweepSpec(name="good", preset="tiny", grid=parse_grid("lr=0.001|0.003"), seeds=[0, 1])
    state = new_state(spec, "")
    for i, t in enumerate(state["trials"]):
        t.update(status="finished", metrics={"sr_psnr": 18.0 + i, "sr_ssim": 0.7, "test_loss": 0.3})
    state["summary"] = summarize(state["trials"], state["labels"], 0)
    state["status"] = "finished"
    return state


def make_sweep_corpus(runs: Path) -> Path:
    """``runs/.sweeps/<name>/sweep.json`` for the good sweep and each broken variant; returns ``runs``."""
    import copy

    good = _good_sweep_state()
    for name in ("good", *BROKEN_SWEEPS):
        folder = runs / ".sweeps" / name
        folder.mkdir(parents=True)
        st = copy.deepcopy(good)
        st["spec"]["name"] = name
        text = None
        if name == "top-list":
            st = []
        elif name == "status-null":
            st["status"] = None
        elif name == "trials-dict":
            st["trials"] = {"0": st["trials"][0]}
        elif name == "not-json":
            text = '{"spec": {"name": "not-json", '
        elif name == "grid-text":
            st["spec"]["grid"] = "lr=0.001|0.003"
        elif name == "trial-status-odd":
            st["trials"][1]["status"] = None
        elif name == "summary-row-text":
            st["summary"][0] = "row"
        elif name == "trial-metrics-text":
            st["trials"][0]["metrics"]["sr_psnr"] = "high"
        elif name == "seeds-huge":
            st["spec"]["seeds"] = list(range(5000))
        (folder / "sweep.json").write_text(text if text is not None else json.dumps(st))
    return runs
