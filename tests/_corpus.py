"""A runs folder of malformed runs beside one good run: what a hand-edit, a foreign tool or a crash
can leave. Used by the CLI tests and by every page's AppTest."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch

from sr_core.runs import RunDir

# name -> how its files are broken
BROKEN = ("status-null", "status-list", "status-step-text", "config-list", "config-train-int",
          "metrics-bad-middle", "ckpt-state-list", "ckpt-step-text", "ckpt-nan-weights", "ckpt-unknown-dataset",
          "ckpt-garbage", "ckpt-foreign-pickle")


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
        elif name == "ckpt-foreign-pickle":
            torch.save({"format": "sr_core.checkpoint/1", "model_name": 3}, r / "checkpoint.pt")
    assert RunDir(root / "good").checkpoint_path.is_file()
    return root
