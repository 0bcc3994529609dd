"""The Train page's process-wide job registry: one job per server, however many tabs press Start."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from sr_core.presets import preset_config
from sr_core.errors import UserError
from sr_core.runs.jobs import TrainJob
from sr_core.trainer import TrainSnapshot
from ui import jobs


class FakeTrainer:
    """Runs until asked to stop; enough of Trainer for TrainJob."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self.status = "ready"
        self.step, self.config = 0, preset_config("tiny")

    def run(self) -> str:
        self.status = "running"
        self._stop.wait(30)
        self.status = "stopped"
        return self.status

    def request_stop(self) -> None:
        self._stop.set()

    def snapshot(self) -> TrainSnapshot:
        return TrainSnapshot(status=self.status, step=0, total_steps=10)


class FakeRun:
    def __init__(self, name: str) -> None:
        self.name, self.path = name, Path("/nonexistent") / name


@pytest.fixture()
def fake_prepare(monkeypatch):
    calls = []

    def start_job(config, *, runs_dir=None, name=None, data_dir=None, command=None, torch_threads=None):
        calls.append(name)
        time.sleep(0.3)  # setting up data takes a while: the window in which a second Start must be refused
        return TrainJob(FakeTrainer(), FakeRun(name or f"run{len(calls)}"), torch_threads=torch_threads)

    monkeypatch.setattr(jobs, "start_job", start_job)
    return calls


def test_two_tabs_pressing_start_at_once_start_one_job(fake_prepare):
    reg = jobs.JobRegistry(torch_threads=1)
    cfg = preset_config("tiny")
    barrier = threading.Barrier(2)
    results: list[object] = []

    def press(name):
        barrier.wait()
        try:
            results.append(reg.start(cfg, name=name))
        except jobs.JobAlreadyRunning as exc:
            results.append(exc)

    threads = [threading.Thread(target=press, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    started = [r for r in results if isinstance(r, jobs.TrainJob)]
    refused = [r for r in results if isinstance(r, jobs.JobAlreadyRunning)]
    assert len(started) == 1 and len(refused) == 1 and len(fake_prepare) == 1
    assert reg.running and reg.job is started[0]
    with pytest.raises(jobs.JobAlreadyRunning, match="a job is already running"):
        reg.start(cfg)
    assert reg.is_training(reg.job.run.name) and not reg.is_training("other")
    assert reg.stop()
    reg.job.join(5)
    assert not reg.running and not reg.stop()
    assert reg.snapshot().status == "stopped" and reg.snapshot().running is False
    again = reg.start(cfg, name="c")  # the old job ended: a new one may start
    assert again is reg.job and again.run.name == "c"
    reg.shutdown()
    assert not reg.running


def test_invalid_config_is_refused_before_any_setup(tmp_path):
    reg = jobs.JobRegistry(torch_threads=1)  # the real start_job: it validates before anything exists
    with pytest.raises(UserError, match="learning rate"):
        reg.start(preset_config("tiny", lr=-1.0), runs_dir=tmp_path / "runs")
    assert not (tmp_path / "runs").exists() and reg.job is None and reg.snapshot() is None


def test_default_torch_threads(monkeypatch):
    monkeypatch.setenv("SR_TORCH_THREADS", "3")
    assert jobs.default_torch_threads() == 3
    monkeypatch.setenv("SR_TORCH_THREADS", "zero")
    monkeypatch.setattr(jobs.os, "cpu_count", lambda: 2)
    assert jobs.default_torch_threads() == 1
    monkeypatch.setattr(jobs.os, "cpu_count", lambda: 64)
    assert jobs.default_torch_threads() == 4
    assert jobs.JobRegistry().torch_threads == 4
