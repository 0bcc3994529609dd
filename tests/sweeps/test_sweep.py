"""Sweeps on embedded Ray with real Fashion-MNIST (tiny trials: a few batches, 200 scored test images).

One embedded Ray serves the whole module (it starts once: slow on 2 cores); the kill-and-resume
test runs its first half as a separate ``python -m sr_core sweep`` process, killed with SIGKILL.
"""
from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sr_core.cli.main import main
from sr_core.sweeps.driver import run_sweep
from sr_core.cli.sweep import show
from sr_core.sweeps.spec import read_state, sweep_dir

ROOT = Path(__file__).resolve().parents[2]
T_975_1 = 12.706204736174698  # Student t(0.975, df=1), two seeds


@pytest.fixture(scope="module", autouse=True)
def one_ray():
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    yield
    import ray

    if ray.is_initialized():
        ray.shutdown()


def _sweep_args(runs: Path, data: Path, name: str, grid: str, seeds: int, workers: int,
                steps: int | None = None) -> list[str]:
    return ["sweep", "--preset", "tiny", *(["--steps", str(steps)] if steps else []), "--grid", grid,
            "--seeds", str(seeds), "--eval-images", "200", "--workers", str(workers), "--name", name,
            "--runs-dir", str(runs), "--data-dir", str(data), "--no-progress"]


def test_sweep_summary_matches_eval_json_and_a_failing_trial_is_recorded(tmp_path, data_dir, capsys):
    runs = tmp_path / "runs"
    # Setting 2's batch (70,000) is larger than the 60,000 training images: it fails inside its trial.
    code = main(_sweep_args(runs, data_dir, "t", "batch-size=16|70000", seeds=2, workers=2, steps=4))
    assert code == 1  # a failed trial makes the command's exit code 1, the sweep still finishes
    out = capsys.readouterr()
    assert out.out.strip().endswith(str(sweep_dir("t", runs).resolve()))
    state = read_state(sweep_dir("t", runs))
    assert state["status"] == "finished"
    by = {(t["setting"], t["seed"]): t for t in state["trials"]}
    assert [by[(0, s)]["status"] for s in (0, 1)] == ["finished", "finished"]
    assert [by[(1, s)]["status"] for s in (0, 1)] == ["failed", "failed"]
    assert "batch size 70000" in by[(1, 0)]["error"]
    # Hand computation from the trials' own eval.json (the `eval` protocol's output in each run folder)
    psnrs = []
    for seed in (0, 1):
        run = runs / f"t-00-seed{seed}"
        ev = json.loads((run / "eval.json").read_text())
        assert ev["n_images"] == 200 and ev["step"] == 4
        psnrs.append(ev["model"]["psnr"])
        tag = json.loads((run / "config.json").read_text())["sweep"]
        assert tag == {"name": "t", "setting": 0, "label": "batch_size=16", "seed": seed}
    assert psnrs[0] != psnrs[1]  # two seeds, two different models
    mean = (psnrs[0] + psnrs[1]) / 2
    half = T_975_1 * abs(psnrs[0] - psnrs[1]) / math.sqrt(2) / math.sqrt(2)  # std of two = |a-b|/sqrt(2)
    e = state["summary"][0]["metrics"]["sr_psnr"]
    assert e["mean"] == pytest.approx(mean, rel=1e-12) and e["ci_half"] == pytest.approx(half, rel=1e-9)
    csv_line = (sweep_dir("t", runs) / "summary.csv").read_text().splitlines()[1].split(",")
    assert csv_line[:5] == ["1", "batch_size=16", "1", "2", "0"]
    assert float(csv_line[5]) == pytest.approx(mean, rel=1e-5)
    assert float(csv_line[7]) == pytest.approx(mean - half, rel=1e-5)
    assert state["summary"][1]["n_failed"] == 2 and not state["summary"][1]["metrics"]
    text = show("t", str(runs))
    assert "batch_size=16" in text and "failed: t-01-seed0" in text


def _wait_for(pred, proc: subprocess.Popen, limit_s: float = 240.0) -> None:
    t0 = time.monotonic()
    while not pred():
        assert proc.poll() is None, "the sweep process ended before the test could kill it"
        assert time.monotonic() - t0 < limit_s, "the sweep made no progress"  # a hang guard, not a timing test
        time.sleep(0.1)


def _finished(folder: Path) -> list[int]:
    try:
        state = json.loads((folder / "sweep.json").read_text())
    except (OSError, ValueError):
        return []
    return [t["setting"] for t in state["trials"] if t["status"] == "finished"]


def test_resume_after_killing_the_sweep_keeps_the_finished_trial(tmp_path, data_dir):
    runs = tmp_path / "runs"
    folder = sweep_dir("k", runs)
    # One worker: the 4-batch trial runs first, then the 600-batch one, during which we kill the sweep.
    cmd = [sys.executable, "-m", "sr_core", *_sweep_args(runs, data_dir, "k", "steps=4|600", 1, 1)]
    proc = subprocess.Popen(cmd, cwd=str(ROOT), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        _wait_for(lambda: _finished(folder) == [0], proc)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep and the Ray it started (its own session)
        proc.wait()
    first = runs / "k-00-seed0" / "eval.json"
    kept = (first.stat().st_mtime_ns, first.read_text())
    before = read_state(folder)
    assert [t["status"] for t in before["trials"]] in (["finished", "running"], ["finished", "pending"])
    state = run_sweep(resume="k", runs_dir=runs, data_dir=data_dir, workers=1)
    assert [t["status"] for t in state["trials"]] == ["finished", "finished"]
    assert (first.stat().st_mtime_ns, first.read_text()) == kept  # not retrained, not rescored
    assert state["trials"][0]["metrics"] == before["trials"][0]["metrics"]
    ev = json.loads((runs / "k-01-seed0" / "eval.json").read_text())
    assert ev["step"] == 600 and state["trials"][1]["metrics"]["sr_psnr"] == pytest.approx(ev["model"]["psnr"])


def test_a_seed_fixes_a_trial_and_another_seed_changes_it(tmp_path, data_dir):
    """What sweeps rely on: the same (setting, seed) twice gives the same numbers (weights included)."""
    from sr_core.sweeps.spec import SweepSpec, parse_grid
    from sr_core.sweeps.trial import run_trial

    spec = SweepSpec(name="s", preset="tiny", grid=parse_grid("lr=0.001"), seeds=[0, 1], base={"steps": 3},
                     eval_limit=200)
    out = [run_trial({"spec": spec.to_dict(), "setting": 0, "seed": seed, "runs_dir": str(tmp_path / d),
                      "data_dir": str(data_dir), "threads": 1}) for d, seed in (("a", 0), ("b", 0), ("c", 1))]
    assert [o["status"] for o in out] == ["finished"] * 3
    assert out[0]["metrics"] == out[1]["metrics"]
    assert out[0]["metrics"]["sr_psnr"] != out[2]["metrics"]["sr_psnr"]


@pytest.mark.parametrize("argv,fragment", [
    (["sweep", "--preset", "tiny"], "needs --grid"),
    (["sweep", "--grid", "colour=red"], "unknown grid key"),
    (["sweep", "--grid", "lr=0.001|20"], "learning rate"),
    (["sweep", "--grid", "lr=0.001", "--reference", "7"], "matches no setting"),
    (["sweep", "--show", "nope"], "no sweep named 'nope'"),
])
def test_bad_sweep_input_is_one_line_and_exit_2(argv, fragment, tmp_path, capsys):
    assert main([*argv, "--runs-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and "\n" not in err
