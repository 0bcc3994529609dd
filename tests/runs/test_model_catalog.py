"""One catalog, one resolver, one load cache: labels, typed names and paths resolve to the same files
for the CLI, the studio and the demo; a rewritten checkpoint is reloaded."""
from __future__ import annotations

from pathlib import Path

import pytest

from sr_core.runs import catalog as mc
from sr_core.errors import UserError
from sr_core.runs.shipped import shipped_checkpoints

from _runs import train


def test_every_form_of_a_name_resolves(tmp_path: Path, data_dir: Path) -> None:
    run = train(tmp_path, "mine")
    shipped = shipped_checkpoints()["resnet-sr"]
    for text in ("resnet-sr", "shipped · resnet-sr", str(shipped), str(shipped.parent)):
        assert mc.resolve(text, tmp_path) == shipped
    for text in ("run:mine", "mine", str(run.path), str(run.checkpoint_path)):
        assert mc.resolve(text, tmp_path).resolve() == run.checkpoint_path.resolve()
    entries = mc.catalog(tmp_path, check=True)
    assert "run:mine" in entries and "resnet-sr" in entries
    assert mc.display_label(entries["run:mine"]) == "mine"
    assert mc.display_label(entries["resnet-sr"]) == "shipped · resnet-sr"
    assert all(mc.resolve(mc.display_label(e), tmp_path) == e.path for e in entries.values())


def test_a_run_named_like_a_model_wins_over_the_shipped_one_and_run_prefix_reaches_it(tmp_path: Path,
                                                                                       data_dir: Path) -> None:
    run = train(tmp_path, "cnn-vae")
    assert mc.resolve("cnn-vae", tmp_path).resolve() == run.checkpoint_path.resolve()
    assert mc.resolve("shipped · cnn-vae", tmp_path) == shipped_checkpoints()["cnn-vae"]


def test_unknown_name_is_one_line_listing_the_choices(tmp_path: Path) -> None:
    with pytest.raises(UserError) as err:
        mc.resolve("nope", tmp_path)
    assert "'nope'" in str(err.value) and "resnet-sr" in str(err.value) and "\n" not in str(err.value)


def test_load_cache_reuses_and_reloads_a_rewritten_file(tmp_path: Path, data_dir: Path) -> None:
    run = train(tmp_path, "r", steps=4)
    a, info = mc.load_path(run.checkpoint_path)
    assert mc.load_path(run.checkpoint_path)[0] is a and info["step"] == 4
    from sr_core.runs.jobs import prepare_run
    trainer, _ = prepare_run(None, runs_dir=tmp_path, resume="r", steps=6)
    trainer.run()
    b, info = mc.load_path(run.checkpoint_path)
    assert b is not a and info["step"] == 6
