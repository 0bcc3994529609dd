"""Data found with nothing exported: ./data, <project>/data, then ../shared/data beside the checkout;
a run's recorded folder for --resume, eval and the pages; an honest message when it is truly missing.

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

ROOT = Path(__file__).resolve().parents[2]


def _fake_dataset(root: Path, name: str = "fashion-mnist") -> None:
    raw = root / data.DATASETS[name][1] / "raw"
    raw.mkdir(parents=True)
    for f in data.RAW_FILES:
        (raw / f).write_bytes(b"x")


@pytest.fixture
def layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp/proj (the checkout) and tmp/shared beside it; cwd elsewhere, SR_DATA_DIR unset."""
    monkeypatch.delenv("SR_DATA_DIR", raising=False)
    monkeypatch.delenv("SR_NO_DOWNLOAD", raising=False)
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


def _clone(tmp_path: Path, real: Path | None) -> Path:
    """A fresh clone of HEAD in tmp/main (git clone; a copy of the tree outside a git checkout) and, when
    ``real`` is given, tmp/shared beside it holding the data as ``data`` (the CI/workspace layout)."""
    dest = tmp_path / "main"
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.returncode == 0:
        subprocess.run(["git", "clone", "-q", "--no-checkout", str(ROOT), str(dest)], check=True, timeout=120)
        subprocess.run(["git", "-C", str(dest), "checkout", "-q", head.stdout.strip()], check=True, timeout=120)
    else:
        shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(".venv", "runs", "data", "__pycache__"))
    if real is not None:
        if real.name == "data":  # tmp/shared -> the real shared folder, as ../shared is in CI
            (tmp_path / "shared").symlink_to(real.parent, target_is_directory=True)
        else:
            (tmp_path / "shared").mkdir()
            (tmp_path / "shared" / "data").symlink_to(real, target_is_directory=True)
    return dest


def _bare_env(**extra: str) -> dict[str, str]:
    """The environment with nothing about data exported (SR_DATA_DIR, SR_NO_DOWNLOAD unset)."""
    env = {k: v for k, v in os.environ.items() if k not in ("SR_DATA_DIR", "SR_NO_DOWNLOAD", "SR_RUNS_DIR")}
    return {**env, **extra}


def test_fresh_clone_finds_shared_data_with_nothing_exported(tmp_path: Path, data_dir: Path) -> None:
    clone = _clone(tmp_path, data_dir)
    env = _bare_env()
    out = subprocess.run([sys.executable, "-m", "sr_core", "eval", "assets/checkpoints/cnn-vae/checkpoint.pt",
                          "--limit", "10", "--json"], cwd=clone, env=env, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout)
    assert res["n_images"] == 10 and res["model_name"] == "cnn-vae"
    # the studio asks the same resolver, from the clone's root, with the clone's own code
    probe = ("import sr_core; from sr_core.data import resolve_data_dir, check_dataset;"
             "print(sr_core.__file__, resolve_data_dir(None, 'fashion-mnist').resolve(), check_dataset('fashion-mnist'))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=clone, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    where, root, missing = out.stdout.split(maxsplit=2)
    assert Path(where).resolve().is_relative_to(clone.resolve())
    assert root == str((tmp_path / "shared" / "data").resolve()) and missing.strip() == "[]"


def test_fresh_clone_missing_data_message_is_honest(tmp_path: Path) -> None:
    """No data anywhere, downloads off (SR_NO_DOWNLOAD): one line, every folder looked at, no claimed download."""
    clone = _clone(tmp_path, None)
    out = subprocess.run([sys.executable, "-m", "sr_core", "eval", "assets/checkpoints/cnn-vae/checkpoint.pt",
                          "--limit", "10"], cwd=clone, env=_bare_env(SR_NO_DOWNLOAD="1"),
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "no download was tried (SR_NO_DOWNLOAD is set)" in lines[0], out.stderr
    assert "download failed" not in lines[0] and "could not be downloaded" not in lines[0]
    for folder in (clone / "data", tmp_path / "shared" / "data"):
        assert str((folder / "FashionMNIST" / "raw").resolve()) in lines[0]
    assert not (clone / "data").exists()  # nothing was created, let alone downloaded


def test_no_download_env_is_honoured_in_process(layout: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import torchvision.datasets as tvd

    def fetched(*a, **k):
        raise AssertionError("a download was attempted")
    monkeypatch.setattr(tvd, "FashionMNIST", fetched)
    monkeypatch.setenv("SR_NO_DOWNLOAD", "1")
    with pytest.raises(DataMissingError, match=r"no download was tried \(SR_NO_DOWNLOAD is set\)"):
        data.load_split("fashion-mnist", train=False, download=True)


def test_shipped_study_from_a_fresh_clone_prints_the_readme_table(tmp_path: Path) -> None:
    clone = _clone(tmp_path, None)
    out = subprocess.run([sys.executable, "-m", "sr_core", "sweep", "--show", "alpha-ablation"], cwd=clone,
                         env=_bare_env(), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    readme_rows = [r for r in (clone / "README.md").read_text().splitlines() if r.startswith("| `alpha=")]
    assert len(readme_rows) == 5
    for row in readme_rows:  # each setting's PSNR mean ± CI as the README prints it
        setting, _, psnr = (c.strip() for c in row.strip("|").split("|")[:3])
        line = next(l for l in out.stdout.splitlines() if f" {setting.strip('`')} " in l)
        assert psnr in line, (psnr, line)
    assert not (clone / "runs").exists()  # showing a study writes nothing


def test_run_records_its_data_folder_and_resume_finds_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        data_dir: Path) -> None:
    from sr_core.config import TrainConfig
    from sr_core.runs.jobs import prepare_run
    from sr_core.runs.store import get_run

    real = data_dir
    cfg = TrainConfig(steps=2, batch_size=8, eval_every=1000, eval_limit=16)
    trainer, run = prepare_run(cfg, runs_dir=tmp_path / "runs", name="r", data_dir=str(real))
    trainer.run()
    assert Path(run.config()["data_dir"]) == real.resolve()  # absolute, links resolved
    monkeypatch.delenv("SR_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(data, "PROJECT_ROOT", tmp_path / "nowhere")  # only the recorded folder has the data
    trainer, run = prepare_run(None, runs_dir=tmp_path / "runs", resume="r", steps=3)
    trainer.run()
    assert get_run("r", tmp_path / "runs").status()["step"] == 3
    assert data.resolve_data_dir(None, "fashion-mnist") == Path("data")  # the usual search finds nothing here
    assert data.recorded_data_dir(run.path, "fashion-mnist") == str(real.resolve())  # what eval and the pages use
    from sr_core.cli.main import main
    assert main(["eval", "r", "--runs-dir", str(tmp_path / "runs"), "--limit", "4", "--json"]) == 0
    (run.path / "config.json").write_text("{}")  # an older run without the record: the usual search
    assert data.recorded_data_dir(run.path, "fashion-mnist") is None
