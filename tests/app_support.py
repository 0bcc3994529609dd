"""Shared helpers and fixtures of the app tests (tests/app/test_app_*.py): every page of the Streamlit
studio through ``streamlit.testing.v1.AppTest`` (no browser).

Real Fashion-MNIST from ``$SR_DATA_DIR``: the tests that need it skip on a laptop without the data
and FAIL under CI (``CI`` set), so a missing data folder can never turn CI green by skipping.
Training runs are tiny (20 batches, 200 test images) and go to a temporary ``SR_RUNS_DIR``.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]

from streamlit.testing.v1 import AppTest

from sr_core.presets import preset_config
from sr_core.data import RAW_FILES, check_dataset, resolve_data_dir
from sr_core.runs.jobs import TrainJob, prepare_run
from sr_core.models import model_class, model_names
from ui.labels import SHORT_PROTOCOL
from ui.studio.services import job_registry

TRAIN, COMPARE, SPECTRA, RUNS = "pages/train.py", "pages/compare.py", "pages/spectra.py", "pages/runs.py"


def require_data() -> Path:
    """The Fashion-MNIST root; skip locally when it is missing, fail under CI."""
    root = resolve_data_dir(None).resolve()
    missing = check_dataset("fashion-mnist", root)
    if missing:
        msg = f"Fashion-MNIST not found under {root} (missing {', '.join(missing)}); set SR_DATA_DIR"
        if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
            pytest.fail(msg)
        pytest.skip(msg)
    return root


def page(path: str | None = None, timeout: float = 120, **state) -> AppTest:
    """Run the app (or one of its pages) once, with session state preset from ``state``."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    if path:
        at.switch_page(path)
    for k, v in state.items():
        at.session_state[k] = v
    return at.run()


def texts(at: AppTest, kind: str) -> list[str]:
    return [str(e.value) for e in getattr(at, kind)]


def plotly_specs(at: AppTest) -> list[dict]:
    """The plotly JSON of each chart (numpy data arrive base64-encoded: use plotly_figures for values)."""
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def values(v) -> list:
    """A plotly data array as a list; plotly sends numpy arrays as {"dtype", "bdata": base64}."""
    if isinstance(v, dict) and "bdata" in v:
        import base64

        import numpy as np

        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"]).tolist()
    return list(v)


def start_tiny_job(steps: int, *, eval_limit: int = 200, eval_every: int | None = None,
                   name: str | None = None) -> AppTest:
    """The Train page with the tiny preset, ``steps`` batches (and the other settings given), Start clicked."""
    at = page(TRAIN)
    at.selectbox(key="train_preset").set_value("tiny").run()
    at.number_input(key="train_steps").set_value(steps)
    if eval_every is not None:
        at.number_input(key="train_eval_every").set_value(eval_every)
    at.number_input(key="train_eval_limit").set_value(eval_limit)
    if name is not None:
        at.text_input(key="train_name").input(name)
    at.button(key="train_start").click().run()
    return at


def wait_for_status(at: AppTest, words: tuple[str, ...], timeout: float = 60.0) -> str:
    """Rerun the page until its status line shows one of ``words``; returns that line."""
    end = time.monotonic() + timeout
    line = ""
    while time.monotonic() < end:
        lines = [m for m in texts(at, "markdown") if "Status:" in m]
        line = lines[0] if lines else ""
        if any(f"**{w}**" in line for w in words):
            return line
        time.sleep(0.3)
        at.run()
    raise AssertionError(f"status never became {words}; last: {line!r}")


@pytest.fixture(autouse=True)
def fresh_registry():
    """Each test starts without a job and leaves none running."""
    job_registry().shutdown()
    job_registry.clear()
    yield
    job_registry().shutdown()
    job_registry.clear()


@pytest.fixture(scope="module")
def trained_runs(tmp_path_factory) -> Path:
    """A runs folder holding one tiny trained run, 'tiny-run' (20 batches, test loss on 200 images)."""
    require_data()
    root = tmp_path_factory.mktemp("trained")
    cfg = preset_config("tiny", steps=20, eval_every=10, eval_limit=200, checkpoint_every=10)
    trainer, run = prepare_run(cfg, runs_dir=root, name="tiny-run")
    # One torch thread, as the app trains: on a busy 2-core machine two threads made these 20 batches
    # take 28 s instead of 1.5 s.
    job = TrainJob(trainer, run, torch_threads=1).start()
    assert job.join(120) and job.status == "finished", job.snapshot().error
    return root


@pytest.fixture()
def runs(trained_runs, tmp_path, monkeypatch) -> Path:
    """A private copy of the trained runs folder as SR_RUNS_DIR (tests may break or delete runs)."""
    root = tmp_path / "runs"
    shutil.copytree(trained_runs, root)
    monkeypatch.setenv("SR_RUNS_DIR", str(root))
    return root


@pytest.fixture()
def empty_runs(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "runs"
    monkeypatch.setenv("SR_RUNS_DIR", str(root))
    return root


@pytest.fixture()
def no_data(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "nodata"
    d.mkdir()
    monkeypatch.setenv("SR_DATA_DIR", str(d))
    return d


def settle(at: AppTest, timeout: float = 300.0) -> AppTest:
    """Rerun the page (as its polling fragment does) until no background progress bar is left."""
    end = time.monotonic() + timeout
    while at.get("progress") and time.monotonic() < end:
        time.sleep(0.3)
        at.run()
    assert not at.get("progress"), "the background computation did not finish"
    return at


def titles(at: AppTest) -> list[str]:
    """The Compare grid's cell titles as plain text (they are drawn as HTML that wraps between words only)."""
    import html
    import re

    return [html.unescape(re.sub(r"<[^>]+>", "", m)) for m in texts(at, "markdown") if 'class="cmp-title"' in m]


@pytest.fixture(autouse=False)
def fresh_worker(monkeypatch):
    """A new background worker (empty cache) for one test."""
    from ui.studio.services import worker

    worker().shutdown()
    worker.clear()
    yield worker()
    worker().shutdown()
    worker.clear()


@pytest.fixture()
def gate(monkeypatch):
    """Holds set-level scoring (ui.set_level's per_image_metrics) until ``gate.set()``; opened at the end."""
    import threading

    from ui import set_level

    event = threading.Event()
    real = set_level.per_image_metrics

    def held(*args, **kwargs):
        assert event.wait(120), "test never opened the gate"
        return real(*args, **kwargs)

    monkeypatch.setattr(set_level, "per_image_metrics", held)
    yield event
    event.set()
