"""Helpers of the robustness tests: tiny real-data runs in-process, and their files compared."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from sr_core.checkpoint import load_checkpoint
from sr_core.presets import preset_config
from sr_core.runs.jobs import prepare_run
from sr_core.runs.store import RunDir

LOSSES = ("total", "recon", "latent", "kl")


def tiny_config(**overrides: Any):
    """8 batches of 50, test loss on 100 images every 4, a checkpoint every 2 batches, on the CPU; Adam's
    state kept in the final checkpoint so files of runs can be compared whole."""
    values = dict(steps=8, eval_every=4, eval_limit=100, checkpoint_every=2, device="cpu", seed=0,
                  keep_optimizer=True)
    values.update(overrides)
    return preset_config("tiny", **values)


def train(root: Path, name: str, **overrides: Any) -> RunDir:
    trainer, run = prepare_run(tiny_config(**overrides), runs_dir=root, name=name)
    assert trainer.run() == "finished"
    return run


def losses(run: RunDir) -> list[tuple]:
    """(split, step, total, recon, latent, kl) of every metrics row, in file order."""
    return [(r["split"], r["step"], *(r.get(k) for k in LOSSES)) for r in run.read_metrics()]


def weights(run: RunDir) -> dict[str, torch.Tensor]:
    ck = load_checkpoint(run.checkpoint_path)
    out = dict(ck["model_state"])
    for i, st in ck["optimizer_state"]["state"].items():
        for k, v in st.items():
            out[f"adam.{i}.{k}"] = torch.as_tensor(v)
    return out


def max_diff(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    assert a.keys() == b.keys()
    return max(float((a[k].double() - b[k].double()).abs().max()) for k in a)
