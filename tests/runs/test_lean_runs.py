"""Lean run folders: a finished run keeps weights, not Adam's state (unless --keep-optimizer); a stopped
run keeps it to continue exactly; continuing a lean run starts a fresh Adam, says so and records it."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from sr_core.cli.main import _train_options, build_parser, main
from sr_core.presets import preset_config
from sr_core.runs.jobs import OPTIMIZER_RESET, prepare_run
from sr_core.runs.store import RunDir

ROOT = Path(__file__).resolve().parents[2]


def _opt(run) -> dict | None:
    return torch.load(run.checkpoint_path, weights_only=True)["optimizer_state"]


def _folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


@pytest.mark.parametrize("keep", [False, True])
def test_finished_run_drops_optimizer_unless_asked(tmp_path: Path, data_dir: Path, keep: bool) -> None:
    cfg = preset_config("tiny", steps=3, eval_every=3, eval_limit=20, keep_optimizer=keep)
    trainer, run = prepare_run(cfg, runs_dir=tmp_path, name="r")
    assert trainer.run() == "finished"
    assert (_opt(run) is not None) == keep


def test_stopped_run_keeps_optimizer_and_lean_continue_is_said_and_recorded(tmp_path: Path, data_dir: Path,
                                                                           capsys) -> None:
    cfg = preset_config("tiny", steps=4, eval_every=2, eval_limit=20)
    trainer, run = prepare_run(cfg, runs_dir=tmp_path, name="r")
    trainer.add_callback("on_step", lambda t, row: t.request_stop() if row["step"] == 2 else None)
    assert trainer.run() == "stopped"
    assert _opt(run) is not None  # can still be continued exactly
    trainer, run = prepare_run(None, runs_dir=tmp_path, resume="r")
    assert trainer.snapshot().notice == ""
    assert trainer.run() == "finished" and _opt(run) is None
    assert main(["train", "--resume", "r", "--steps", "6", "--runs-dir", str(tmp_path), "--no-progress"]) == 0
    assert capsys.readouterr().err.count(OPTIMIZER_RESET) == 1  # the CLI says it, once
    assert RunDir(run.path).status()["step"] == 6
    resumes = json.loads(run.config_path.read_text())["resumes"]
    assert resumes[-1]["at_step"] == 4 and resumes[-1]["optimizer"].startswith("reset")


def test_keep_optimizer_flag_reaches_the_train_config() -> None:
    on = preset_config("tiny", **_train_options(build_parser().parse_args(["train", "--keep-optimizer"])))
    off = preset_config("tiny", **_train_options(build_parser().parse_args(["train"])))
    assert on.keep_optimizer is True and off.keep_optimizer is False


def test_tiny_cli_run_folder_is_at_most_5_mb(tmp_path: Path, data_dir: Path) -> None:
    argv = ["train", "--preset", "quick", "--steps", "5", "--eval-every", "5", "--eval-limit", "50",
            "--runs-dir", str(tmp_path), "--name", "t", "--no-progress"]
    assert main(argv) == 0  # the CLI's entry point in this process (the same code as `python -m sr_core`)
    size = _folder_bytes(tmp_path / "t")
    assert size <= 5_000_000, f"{size} bytes"
    assert torch.load(tmp_path / "t" / "checkpoint.pt", weights_only=True)["optimizer_state"] is None


@pytest.mark.parametrize("keep", [False, True])
def test_finished_sweep_trial_is_lean_unless_the_sweep_asks(tmp_path: Path, data_dir: Path, keep: bool) -> None:
    from sr_core.cli.main import build_parser
    from sr_core.cli.sweep import spec_from_args
    from sr_core.sweeps.trial import run_trial

    argv = ["sweep", "--preset", "tiny", "--steps", "2", "--eval-limit", "20", "--grid", "lr=0.001", "--seeds", "1", "--eval-images", "50",
            "--name", "s", *(["--keep-optimizer"] if keep else [])]
    spec = spec_from_args(build_parser().parse_args(argv))
    assert spec.trial_config(0, 0).keep_optimizer is keep
    out = run_trial({"spec": spec.to_dict(), "setting": 0, "seed": 0, "runs_dir": str(tmp_path),
                     "data_dir": str(data_dir), "threads": 1})
    assert out["status"] == "finished", out
    ckpt = torch.load(tmp_path / out["run"] / "checkpoint.pt", weights_only=True)
    assert (ckpt["optimizer_state"] is not None) == keep and ckpt["model_state"]
