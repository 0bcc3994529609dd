"""Sweeps bounded like runs: malformed sweep files are one line (the rest of the listing shown), sizes
capped before anything is materialised, resources checked before Ray starts, an unreachable cluster
fails in seconds, a sweep whose driver was SIGKILLed reads "interrupted"."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sr_core.cli.main import main
from sr_core.sweeps.spec import list_sweeps, sweep_dir
from tests._corpus import BROKEN_SWEEPS, make_sweep_corpus

ROOT = Path(__file__).resolve().parents[2]


def one_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    return err


def test_list_names_every_bad_sweep_and_shows_the_good_one(tmp_path, capsys) -> None:
    runs = make_sweep_corpus(tmp_path / "runs")
    rows = {r["name"]: r for r in list_sweeps(runs, shipped=False)}
    assert rows["good"]["error"] == "" and rows["good"]["status"] == "finished"
    for name in BROKEN_SWEEPS:
        assert rows[name]["error"] and "\n" not in rows[name]["error"], name
        assert "sweep.json" in rows[name]["error"]
    assert "not an object" in rows["top-list"]["error"] and "'status'" in rows["status-null"]["error"]
    assert main(["sweep", "--list", "--runs-dir", str(runs)]) == 0
    out = capsys.readouterr().out
    assert out.count("ERROR") == len(BROKEN_SWEEPS) and "good" in out and "alpha-ablation" in out


@pytest.mark.parametrize("name", BROKEN_SWEEPS)
@pytest.mark.parametrize("action", ["--show", "--resume"])
def test_show_and_resume_of_a_bad_sweep_is_one_line(name, action, tmp_path, capsys) -> None:
    runs = make_sweep_corpus(tmp_path / "runs")
    assert main(["sweep", action, name, "--runs-dir", str(runs)]) == 2
    err = one_line(capsys)
    assert err.startswith("error: ") and name in err


def test_the_good_sweep_of_the_corpus_shows(tmp_path, capsys) -> None:
    runs = make_sweep_corpus(tmp_path / "runs")
    assert main(["sweep", "--show", "good", "--runs-dir", str(runs)]) == 0
    assert "sweep good [finished]" in capsys.readouterr().out


@pytest.mark.parametrize("argv, words", [
    (["--grid", "lr=0.001", "--seeds", "1000000000"], "seeds per setting"),
    (["--grid", "lr=" + "|".join(f"0.00{i}" for i in range(1, 10)) + " batch-size="
      + "|".join(str(i) for i in range(1, 101))], "settings, above the limit"),
    (["--grid", "lr=" + "|".join(f"0.00{i}" for i in range(1, 10)) + "|0.01|0.02", "--seeds", "100", "--seed", "0"],
     "trials, above the limit"),  # 11 settings x 100 seeds = 1,100 trials > 1,000
    (["--grid", "lr=0.001", "--seed", "4294967295", "--seeds", "3"], "4294967295"),  # seeds past 2**32-1: named
    (["--grid", "lr=0.001", "--gpus-per-trial", "-1"], "--gpus-per-trial must be 0 or positive"),
    (["--grid", "lr=0.001", "--cpus-per-trial", "nan"], "positive"),
])
def test_sizes_seeds_and_resources_refused_in_one_line(argv, words, tmp_path, capsys) -> None:
    runs = tmp_path / "runs"
    assert main(["sweep", "--preset", "tiny", *argv, "--runs-dir", str(runs), "--no-progress"]) == 2
    assert words in one_line(capsys)
    assert not (runs / ".sweeps").exists() or not any((runs / ".sweeps").rglob("sweep.json"))


def test_gpus_or_cuda_without_a_gpu_refused_before_ray(tmp_path, capsys, monkeypatch) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    base = ["sweep", "--preset", "tiny", "--grid", "lr=0.001", "--runs-dir", str(tmp_path), "--no-progress"]
    assert main([*base, "--gpus-per-trial", "1"]) == 2
    assert "no CUDA GPU" in one_line(capsys)
    assert main([*base, "--device", "cuda"]) == 2
    assert "not available on this machine" in one_line(capsys)
    assert not (tmp_path / ".sweeps").exists()


def test_runs_dir_that_is_a_file_is_refused(tmp_path, capsys) -> None:
    f = tmp_path / "afile"
    f.write_text("x")
    assert main(["sweep", "--preset", "tiny", "--grid", "lr=0.001", "--runs-dir", str(f), "--no-progress"]) == 2
    assert "is a file" in one_line(capsys)


def test_unreachable_address_fails_within_seconds_and_leaves_nothing_running(tmp_path, capsys) -> None:
    with socket.socket() as s:  # a port on which nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.monotonic()
    code = main(["sweep", "--preset", "tiny", "--grid", "lr=0.001", "--name", "far", "--address",
                 f"127.0.0.1:{port}", "--runs-dir", str(tmp_path), "--no-progress"])
    assert code == 2 and time.monotonic() - t0 < 15  # was > 140 s inside ray.init
    assert "no Ray cluster answers at" in one_line(capsys)
    assert not (sweep_dir("far", tmp_path) / "sweep.json").exists()
    assert main(["sweep", "--preset", "tiny", "--grid", "lr=0.001", "--address", "nohostport",
                 "--runs-dir", str(tmp_path)]) == 2
    assert "HOST:PORT" in one_line(capsys)


def test_grid_validation_is_linear(monkeypatch) -> None:
    """Each setting's config is built once per end seed, not once per (setting x setting)."""
    from sr_core.sweeps import spec as sweep_spec
    from sr_core.sweeps.spec import SweepSpec, parse_grid

    calls = []
    real = sweep_spec.preset_config
    monkeypatch.setattr(sweep_spec, "preset_config", lambda *a, **k: calls.append(1) or real(*a, **k))
    spec = SweepSpec(name="x", preset="tiny", seeds=[0, 1],
                     grid=parse_grid("lr=" + "|".join(f"0.00{i}" for i in range(1, 10)) + " steps=1|2|3|4|5|6|7|8|9|10"))
    spec.validate()
    assert len(calls) == 90 * 2


def test_a_sigkilled_sweep_reads_interrupted(tmp_path) -> None:
    """The driver holds the sweep folder's lock (the runs' rule): while it lives the sweep is running,
    after SIGKILL it is interrupted (list, show and the page use the same rule)."""
    runs = make_sweep_corpus(tmp_path / "runs")
    folder = sweep_dir("good", runs)
    state = json.loads((folder / "sweep.json").read_text())
    state["status"] = "running"
    (folder / "sweep.json").write_text(json.dumps(state))
    holder = ("import sys, time\nfrom sr_core.runs.lock import RunLock\nlock = RunLock(sys.argv[1])\n"
              "print('held', flush=True)\ntime.sleep(120)\n")
    proc = subprocess.Popen([sys.executable, "-c", holder, str(folder)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        assert {r["name"]: r.get("status") for r in list_sweeps(runs, shipped=False)}["good"] == "running"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert {r["name"]: r.get("status") for r in list_sweeps(runs, shipped=False)}["good"] == "interrupted"
    from sr_core.cli.sweep import show
    assert "[interrupted]" in show("good", str(runs))
