"""Crash consistency and one writer per run, in-process: a crash injected at chosen moments (before
the metrics flush, after the checkpoint rename, inside a checkpoint write), a torn metrics line, stale
temp files, two concurrent resumes, delete while training, and interrupted runs in the listing.

A "crash" is a BaseException raised from inside the trainer; the OS would free the lock of a killed
process, so the test frees it too (``release_lock``) and then resumes like a user would."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from _runs import losses, max_diff, tiny_config, train, weights
from sr_core import checkpoint as ckmod
from sr_core.cli.main import main
from sr_core.runs.jobs import prepare_run
from sr_core.runs.lock import RunLocked
from sr_core.runs.store import RunDir, delete_run
from sr_core.runs.listing import list_runs


class Crash(BaseException):
    """Stands for kill -9: nothing after it runs (no on_end, no status write)."""


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def straight(data_dir: Path, tmp_path_factory) -> RunDir:
    torch.set_num_threads(1)
    return train(tmp_path_factory.mktemp("straight"), "ref")


def crash_at(root: Path, event: str, at_step: int) -> RunDir:
    """Start run 'x' and crash it at ``event`` of step ``at_step``; the lock is freed like a dead process's."""
    trainer, run = prepare_run(tiny_config(), runs_dir=root, name="x")

    def boom(t, info):
        if t.step == at_step:
            raise Crash()

    trainer.add_callback(event, boom)
    with pytest.raises(Crash):
        trainer.run()
    run.release_lock()
    return run


def resume(root: Path, name: str = "x") -> RunDir:
    trainer, run = prepare_run(None, runs_dir=root, resume=name)
    assert trainer.run() == "finished"
    return run


# before_checkpoint fires after the recorder's flush (it attached first); on_checkpoint after the rename;
# on_step between batches; on_eval right after a test row.
@pytest.mark.parametrize("event,step", [("before_checkpoint", 2), ("on_checkpoint", 6), ("on_step", 3),
                                        ("on_eval", 4), ("on_step", 1)])
def test_crash_at_a_chosen_moment_then_resume_matches_straight_run(event, step, straight, tmp_path,
                                                                   capsys) -> None:
    run = crash_at(tmp_path, event, step)
    rows = {r["name"]: r for r in list_runs(tmp_path)}
    assert rows["x"]["status"] == "interrupted" and "resume with" in rows["x"]["note"]
    assert main(["list", "--runs-dir", str(tmp_path)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("x "))
    assert "interrupted at step" in line and "--resume x" in line
    done = resume(tmp_path)
    assert losses(done) == losses(straight)  # exactly one row per (split, step), same values
    assert max_diff(weights(done), weights(straight)) == 0.0
    assert run.status()["status"] == "finished"


def test_crash_inside_checkpoint_write_leaves_no_temp_file_after_resume(straight, tmp_path, monkeypatch) -> None:
    real = ckmod.os.replace

    def die_before_rename(src, dst):  # the temp file is complete, the rename never happens
        if str(dst).endswith("checkpoint.pt") and "step4" not in os.environ.get("_SEEN", ""):
            os.environ["_SEEN"] = "step4"
            raise Crash()
        return real(src, dst)

    trainer, run = prepare_run(tiny_config(), runs_dir=tmp_path, name="x")
    trainer.add_callback("before_checkpoint", lambda t, i: t.step == 4 and monkeypatch.setattr(
        ckmod.os, "replace", die_before_rename))
    monkeypatch.delenv("_SEEN", raising=False)
    # atomic_write_bytes unlinks its temp file on an exception: a real kill would not, so keep one around.
    (run.path / ".checkpoint.pt.leftover.tmp").write_bytes(b"x" * 1000)
    with pytest.raises(Crash):
        trainer.run()
    run.release_lock()
    monkeypatch.setattr(ckmod.os, "replace", real)
    done = resume(tmp_path)
    assert not list(done.path.glob(".*.tmp"))
    assert losses(done) == losses(straight)
    assert max_diff(weights(done), weights(straight)) == 0.0


def test_torn_metrics_line_is_repaired_on_resume(straight, tmp_path) -> None:
    run = crash_at(tmp_path, "on_step", 5)
    with open(run.metrics_path, "a") as f:
        f.write("6,train,0.51")  # a write cut short: no newline
    assert [r["step"] for r in run.read_metrics()]  # readable meanwhile (torn line skipped)
    done = resume(tmp_path)
    assert losses(done) == losses(straight)


def test_two_concurrent_resumes_one_wins_the_other_names_the_holder(straight, tmp_path, capsys) -> None:
    crash_at(tmp_path, "on_step", 3)
    first, run = prepare_run(None, runs_dir=tmp_path, resume="x")
    with pytest.raises(RunLocked, match=rf"process {os.getpid()}"):
        prepare_run(None, runs_dir=tmp_path, resume="x")
    assert main(["train", "--resume", "x", "--runs-dir", str(tmp_path), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert "being trained by process" in err and "\n" not in err
    assert {r["name"]: r for r in list_runs(tmp_path)}["x"]["status"] != "interrupted"
    assert first.run() == "finished"
    assert losses(run) == losses(straight)  # the refused resumes wrote nothing


def test_delete_refuses_a_run_being_trained_and_deletes_it_after(data_dir, tmp_path) -> None:
    trainer, run = prepare_run(tiny_config(steps=2), runs_dir=tmp_path, name="busy")
    with pytest.raises(RunLocked, match="cannot delete"):
        delete_run("busy", tmp_path)
    assert trainer.run() == "finished"
    delete_run("busy", tmp_path)
    assert not run.path.exists() and not list(tmp_path.iterdir())


def test_delete_a_symlinked_run_removes_the_link_not_the_target(tmp_path) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "precious.txt").write_text("keep")
    root = tmp_path / "runs"
    root.mkdir()
    (root / "link").symlink_to(target, target_is_directory=True)
    delete_run("link", root)
    assert not (root / "link").exists() and (target / "precious.txt").read_text() == "keep"


def test_resume_resolves_a_name_the_way_it_was_stored(data_dir, tmp_path) -> None:
    trainer, run = prepare_run(tiny_config(steps=2), runs_dir=tmp_path, name="a b")
    assert run.name == "a-b"
    trainer.run()
    t2, run2 = prepare_run(None, runs_dir=tmp_path, resume="a b", steps=4)
    assert run2.path == run.path and t2.run() == "finished"


def test_resume_applies_options_and_records_them(data_dir, tmp_path, capsys) -> None:
    train(tmp_path, "r", steps=2)
    assert main(["train", "--resume", "r", "--runs-dir", str(tmp_path), "--steps", "4", "--lr", "5e-4",
                 "--batch-size", "20", "--no-progress"]) == 0
    cfg = RunDir(tmp_path / "r").config()
    assert cfg["train"]["lr"] == 5e-4 and cfg["train"]["batch_size"] == 20 and cfg["train"]["steps"] == 4
    assert cfg["resumes"][0]["changes"]["lr"] == [1e-3, 5e-4] and cfg["resumes"][0]["at_step"] == 2
    capsys.readouterr()
    assert main(["train", "--resume", "r", "--runs-dir", str(tmp_path), "--model", "resnet-sr",
                 "--steps", "6"]) == 2
    err = capsys.readouterr().err.strip()
    assert "model cannot change when resuming" in err and "\n" not in err


def test_run_files_share_one_mode(data_dir, tmp_path) -> None:
    run = train(tmp_path, "m", steps=2)
    modes = {p.name: p.stat().st_mode & 0o777 for p in run.path.iterdir() if p.name != ".lock"}
    assert {"config.json", "status.json", "metrics.csv", "checkpoint.pt"} <= modes.keys()
    assert len(set(modes.values())) == 1, modes
