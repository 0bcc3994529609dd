"""Every page over a runs folder of malformed runs (tests/_corpus.py) and with malformed data files:
no exception, each bad run named, the good run still usable. Plus the Runs page refusing to delete a
run the CLI (another process) is training, and interrupted runs shown as such."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from _corpus import BROKEN, make_corpus
from tests.app_support import (COMPARE, ROOT, RUNS, SPECTRA, TRAIN, empty_runs, fresh_registry, page, texts,  # noqa: F401
                         trained_runs)
from sr_core.runs.store import RunDir

JSON_BROKEN = [n for n in BROKEN if not n.startswith(("ckpt", "metrics"))]


@pytest.fixture()
def corpus(trained_runs, tmp_path, monkeypatch) -> Path:
    root = make_corpus(trained_runs / "tiny-run", tmp_path / "runs")
    monkeypatch.setenv("SR_RUNS_DIR", str(root))
    return root


def all_text(at) -> str:
    parts = []
    for kind in ("error", "warning", "caption", "markdown", "info", "success"):
        parts += texts(at, kind)
    for t in at.get("table"):
        v = t.value
        parts.append(v.to_string() if hasattr(v, "to_string") else str(v))
    for d in at.dataframe:
        parts.append(d.value.to_string())
    return "\n".join(parts)


def test_home_names_broken_runs_and_lists_the_good_one(corpus) -> None:
    at = page()
    assert not at.exception
    text = all_text(at)
    assert f"2 usable, {len(BROKEN) - 1} broken" in text  # good + metrics-bad-middle (its checkpoint is fine)
    broken_line = next(c for c in texts(at, "caption") if c.startswith("Broken"))
    assert all(n in broken_line for n in BROKEN if n != "metrics-bad-middle")
    assert "good" in text


@pytest.mark.parametrize("path", [COMPARE, SPECTRA])
def test_model_pages_offer_the_good_run_and_name_the_bad_ones(path, corpus) -> None:
    at = page(path, selected_run="good")
    assert not at.exception
    text = all_text(at)
    for name in BROKEN:
        if name != "metrics-bad-middle":  # its checkpoint is fine: it stays usable here
            assert name in text, name
    assert at.get("plotly_chart") or at.get("imgs") or "good" in text


def test_runs_page_names_every_bad_run(corpus) -> None:
    at = page(RUNS, runs_selected="good", runs_overlay=["good", "metrics-bad-middle"])
    assert not at.exception
    df = at.dataframe[0].value.set_index("Run")
    assert df.loc["good", "Error"] == "" and df.loc["good", "Status"] == "finished"
    for name in BROKEN:
        if name != "metrics-bad-middle":
            assert df.loc[name, "Status"] == "broken" and df.loc[name, "Error"], name
    assert any("metrics-bad-middle" in w and "line 3" in w for w in texts(at, "warning"))


def test_train_page_works_beside_a_broken_runs_folder(corpus) -> None:
    at = page(TRAIN)
    assert not at.exception
    assert "cuda" not in at.selectbox(key="train_device").options or __import__("torch").cuda.is_available()


def test_pages_with_malformed_idx_files(tmp_path, monkeypatch, empty_runs) -> None:
    raw = tmp_path / "data" / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for split in ("train", "t10k"):  # 20 valid IDX images of 32x32: the wrong size
        import struct
        (raw / f"{split}-images-idx3-ubyte").write_bytes(struct.pack(">HBB3I", 0, 8, 3, 20, 32, 32)
                                                        + np.zeros(20 * 32 * 32, np.uint8).tobytes())
        (raw / f"{split}-labels-idx1-ubyte").write_bytes(struct.pack(">HBBI", 0, 8, 1, 20)
                                                        + (np.arange(20) % 10).astype(np.uint8).tobytes())
    monkeypatch.setenv("SR_DATA_DIR", str(tmp_path / "data"))
    for path in (None, TRAIN, COMPARE, SPECTRA, RUNS):
        at = page(path)
        assert not at.exception, path
        if path in (COMPARE, SPECTRA):
            assert any("not (N, 28, 28)" in e for e in texts(at, "error")), path


def test_runs_page_refuses_to_delete_a_run_the_cli_trains_and_shows_interrupted(corpus) -> None:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "sr_core", "train", "--resume", "good", "--steps", "100000",
                             "--no-progress", "--runs-dir", str(corpus)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        end = time.monotonic() + 300
        while RunDir(corpus / "good").writer_pid() is None and proc.poll() is None and time.monotonic() < end:
            time.sleep(0.1)
        assert RunDir(corpus / "good").writer_pid() == proc.pid
        at = page(RUNS, runs_selected="good")
        at.text_input(key="runs_confirm").input("good").run()
        at.button(key="runs_delete").click().run()
        assert not at.exception
        assert any(f"process {proc.pid}" in e for e in texts(at, "error"))
        assert (corpus / "good" / "checkpoint.pt").is_file()
        # The lock is taken before the resumed run says "running": kill it only once it does (on a loaded
        # machine CI once killed it while status.json still said "finished", so nothing was interrupted).
        status = corpus / "good" / "status.json"
        while '"running"' not in status.read_text() and proc.poll() is None and time.monotonic() < end:
            time.sleep(0.1)
        assert '"running"' in status.read_text(), proc.stderr.read() if proc.poll() is not None else ""
    finally:
        proc.kill()
        proc.wait(60)
    at = page(RUNS, runs_selected="good")
    assert any("good" in w and "interrupted at step" in w and "--resume good" in w for w in texts(at, "warning"))
    home = page()
    assert "interrupted at step" in all_text(home)
