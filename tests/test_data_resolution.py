"""Data found with nothing exported: ./data, <project>/data, then ../shared/data beside the checkout.

The fresh-clone test clones HEAD into tmp/main with tmp/shared -> the real data folder's parent
(the CI/workspace layout) and runs the README's commands with SR_DATA_DIR unset.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sr_core import data
from sr_core.errors import DataMissingError

ROOT = Path(__file__).resolve().parents[1]


def _fake_dataset(root: Path, name: str = "fashion-mnist") -> None:
    raw = root / data.DATASETS[name][1] / "raw"
    raw.mkdir(parents=True)
    for f in data.RAW_FILES:
        (raw / f).write_bytes(b"x")


@pytest.fixture
def layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp/proj (the checkout) and tmp/shared beside it; cwd elsewhere, SR_DATA_DIR unset."""
    monkeypatch.delenv("SR_DATA_DIR", raising=False)
    (tmp_path / "proj").mkdir()
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    monkeypatch.setattr(data, "PROJECT_ROOT", tmp_path / "proj")
    return tmp_path


def test_order_cwd_then_project_then_shared(layout: Path) -> None:
    assert data.resolve_data_dir() == Path("data")  # nothing anywhere: ./data, where a download goes
    _fake_dataset(layout / "shared" / "data")
    assert data.resolve_data_dir().resolve() == (layout / "shared" / "data").resolve()
    _fake_dataset(layout / "proj" / "data")
    assert data.resolve_data_dir().resolve() == (layout / "proj" / "data").resolve()
    _fake_dataset(layout / "cwd" / "data")
    assert data.resolve_data_dir() == Path("data")


def test_env_and_explicit_win(layout: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_dataset(layout / "shared" / "data")
    monkeypatch.setenv("SR_DATA_DIR", str(layout / "elsewhere"))
    assert data.resolve_data_dir() == layout / "elsewhere"
    assert data.resolve_data_dir("given") == Path("given")


def test_per_dataset_resolution(layout: Path) -> None:
    _fake_dataset(layout / "proj" / "data", "mnist")
    _fake_dataset(layout / "shared" / "data", "fashion-mnist")
    assert data.resolve_data_dir(None, "fashion-mnist").resolve() == (layout / "shared" / "data").resolve()
    assert data.resolve_data_dir(None, "mnist").resolve() == (layout / "proj" / "data").resolve()


def test_missing_message_lists_every_folder_and_claims_no_download(layout: Path) -> None:
    with pytest.raises(DataMissingError) as err:
        data.load_split("fashion-mnist", train=False, download=False)
    msg = str(err.value)
    assert "\n" not in msg and "no download was tried" in msg and "could not be downloaded" not in msg
    for folder in (layout / "cwd" / "data", layout / "proj" / "data", layout / "shared" / "data"):
        assert str((folder / "FashionMNIST" / "raw").resolve()) in msg
    assert "--data-dir" in msg and "SR_DATA_DIR" in msg


def test_failed_download_says_why(layout: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import torchvision.datasets as tvd

    def offline(*a, **k):
        raise OSError("network is unreachable")
    monkeypatch.setattr(tvd, "FashionMNIST", offline)
    with pytest.raises(DataMissingError) as err:
        data.load_split("fashion-mnist", train=False, download=True)
    assert "download failed: OSError: network is unreachable" in str(err.value)


def _clone(tmp_path: Path, real: Path) -> Path:
    """The working tree copied into tmp/main (no .venv, runs, data) with tmp/shared/data -> ``real``."""
    dest = tmp_path / "main"
    shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(".venv", ".git", "runs", "data", "artifacts",
                                                               "__pycache__", ".pytest_cache"))
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "data").symlink_to(real)
    return dest


def test_fresh_clone_finds_shared_data_with_nothing_exported(tmp_path: Path, data_dir: Path) -> None:
    clone = _clone(tmp_path, data_dir)
    env = {k: v for k, v in os.environ.items() if k != "SR_DATA_DIR"}
    out = subprocess.run([sys.executable, "-m", "sr_core", "eval", "assets/checkpoints/cnn-vae/checkpoint.pt",
                          "--limit", "10", "--json"], cwd=clone, env=env, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["n_images"] == 10
    # the studio asks the same resolver, from the clone's root
    probe = ("from sr_core.data import resolve_data_dir, check_dataset;"
             "print(resolve_data_dir(None, 'fashion-mnist').resolve(), check_dataset('fashion-mnist'))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=clone, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[0] == str((tmp_path / "shared" / "data").resolve()) and out.stdout.strip().endswith("[]")


def test_run_records_its_data_folder_and_resume_finds_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        data_dir: Path) -> None:
    from sr_core.config import TrainConfig
    from sr_core.runs.jobs import prepare_run
    from sr_core.runs.store import get_run

    real = data_dir
    cfg = TrainConfig(steps=2, batch_size=8, eval_every=1000, eval_limit=16)
    trainer, run = prepare_run(cfg, runs_dir=tmp_path / "runs", name="r", data_dir=str(real))
    trainer.run()
    assert run.config()["data_dir"] == str(real)
    monkeypatch.delenv("SR_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(data, "PROJECT_ROOT", tmp_path / "nowhere")  # only the recorded folder has the data
    trainer, run = prepare_run(None, runs_dir=tmp_path / "runs", resume="r", steps=3)
    trainer.run()
    assert get_run("r", tmp_path / "runs").status()["step"] == 3
