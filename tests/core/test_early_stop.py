"""Validation split (seeded, disjoint, opt-in), --early-stop at the right evaluation, best.pt equal to
the checkpoint of the best step (bit-identical), and RUN@best in the CLI, Compare's catalog and the demo."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from _runs import tiny_config
from sr_core.checkpoint import load_checkpoint
from sr_core.cli.main import main
from sr_core.presets import preset_config
from sr_core.data import load_split
from sr_core.monitor.early_stop import DEFAULT_VAL_SPLIT, split_validation
from sr_core.errors import UserError
from sr_core.runs.jobs import prepare_run
from sr_core.runs.catalog import catalog, display_label, model_choices, resolve
from sr_core.sweeps.spec import parse_grid, setting_overrides

pytestmark = pytest.mark.usefixtures("one_torch_thread")
ES = dict(steps=40, eval_every=2, lr=0.03, val_split=200, checkpoint_every=100)  # val PSNR peaks at step 2


def test_validation_split_seeded_disjoint(data_dir: Path) -> None:
    train = load_split("fashion-mnist", train=True, data_dir=data_dir)
    rng = torch.get_rng_state()
    keep, val = split_validation(train, 500, seed=3)
    assert torch.equal(rng, torch.get_rng_state())  # its own generator, never the global RNG
    keep2, val2 = split_validation(train, 500, seed=3)
    assert torch.equal(val.images, val2.images) and len(val) == 500 and len(keep) == len(train) - 500
    _, val4 = split_validation(train, 500, seed=4)
    assert not torch.equal(val.images, val4.images)
    with pytest.raises(UserError, match="does not fit"):
        split_validation(train, len(train), seed=0)


def test_config_rules() -> None:
    assert preset_config("tiny", early_stop=3).val_split == DEFAULT_VAL_SPLIT
    assert preset_config("tiny").val_split == 0  # opt-in: the default run holds nothing out
    with pytest.raises(UserError, match="needs a validation split"):
        preset_config("tiny").__class__(early_stop=2).validate()
    with pytest.raises(UserError, match="photo datasets"):
        preset_config("resnet-sr", dataset="photos", val_split=10).validate()
    assert parse_grid("early-stop=2|4") == [("early_stop", ["2", "4"])]
    assert setting_overrides({"early_stop": "4"}) == {"early_stop": 4}


def test_early_stop_and_best_checkpoint(data_dir: Path, tmp_path: Path, capsys) -> None:
    trainer, run = prepare_run(tiny_config(early_stop=2, **ES), runs_dir=tmp_path, name="es")
    assert trainer.run() == "finished"
    tests = [r for r in run.read_metrics() if r["split"] == "test"]
    vals = [r["val_psnr"] for r in tests]
    best_i = max(range(len(vals)), key=vals.__getitem__)
    # stops at the evaluation that makes it 2 without improvement over the best, not before
    assert len(tests) - 1 - best_i == 2 and trainer.step == tests[-1]["step"] < 40
    assert "early stop" in trainer.snapshot().message
    best = load_checkpoint(run.path / "best.pt")
    assert best["step"] == tests[best_i]["step"] and best["optimizer_state"] is None
    assert "validation" in run.config()["monitor"] and run.config()["train"]["val_split"] == 200
    # the same run trained to the best step without early stopping ends with the same weights
    t2, run2 = prepare_run(tiny_config(**dict(ES, steps=best["step"])), runs_dir=tmp_path, name="to-best")
    assert t2.run() == "finished"
    last = load_checkpoint(run2.checkpoint_path)["model_state"]
    assert all(torch.equal(last[k], best["model_state"][k]) for k in last)

    # RUN@best: the resolver (CLI), Compare's catalog and the demo's choices
    assert resolve("es@best", tmp_path) == run.path / "best.pt"
    assert "run:es@best" in model_choices(tmp_path)
    assert "es@best" in [display_label(e) for e in catalog(tmp_path).values()]
    assert main(["eval", "es@best", "--runs-dir", str(tmp_path), "--limit", "20", "--json",
                 "--data-dir", str(data_dir)]) == 0
    assert json.loads(capsys.readouterr().out)["step"] == best["step"]
    plain = tmp_path / "plain"
    prepare_run(tiny_config(steps=2), runs_dir=tmp_path, name="plain")[0].run()
    assert main(["eval", "plain@best", "--runs-dir", str(tmp_path), "--json"]) == 2
    assert "has no best.pt" in capsys.readouterr().err and plain.is_dir()


def test_cli_flags_and_resume_rules(data_dir: Path, tmp_path: Path, capsys) -> None:
    assert main(["train", "--preset", "tiny", "--steps", "2", "--eval-limit", "50", "--device", "cpu",
                 "--runs-dir", str(tmp_path), "--name", "r", "--no-progress", "--val-split", "100",
                 "--early-stop", "3"]) == 0
    cfg = json.loads((tmp_path / "r" / "config.json").read_text())["train"]
    assert (cfg["val_split"], cfg["early_stop"], cfg["early_stop_metric"]) == (100, 3, "val_psnr")
    capsys.readouterr()
    assert main(["train", "--resume", "r", "--steps", "4", "--val-split", "50", "--runs-dir", str(tmp_path)]) == 2
    assert "val_split cannot change" in capsys.readouterr().err
