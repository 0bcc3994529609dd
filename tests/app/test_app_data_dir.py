"""The pages find a run's data again from the folder it recorded (config.json "data_dir") when the usual
search finds nothing (no SR_DATA_DIR, no ./data, no ../shared/data), and say so honestly when it is gone."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.app_support import (  # noqa: F401  (fixtures are found by name; fresh_registry is autouse)
    COMPARE, fresh_registry, page, runs, texts, trained_runs,
)
from sr_core import data


@pytest.fixture
def nowhere(runs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SR_DATA_DIR unset, cwd and project without data: only the run's record can find it."""
    monkeypatch.delenv("SR_DATA_DIR", raising=False)
    monkeypatch.setenv("SR_NO_DOWNLOAD", "1")
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    monkeypatch.setattr(data, "PROJECT_ROOT", tmp_path / "nowhere" / "proj")
    assert data.check_dataset("fashion-mnist")  # the usual search finds nothing
    return runs


def test_compare_uses_the_runs_recorded_data_folder(nowhere: Path) -> None:
    assert data.recorded_data_dir(nowhere / "tiny-run", "fashion-mnist")
    at = page(COMPARE, cmp_limit=20)
    assert not at.exception
    assert not any("was not found" in e for e in texts(at, "error")), texts(at, "error")
    assert at.get("image")


def test_compare_without_the_record_says_what_it_looked_at(nowhere: Path) -> None:
    cfg_path = nowhere / "tiny-run" / "config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg.pop("data_dir")  # a run written before the record existed
    cfg_path.write_text(json.dumps(cfg))
    at = page(COMPARE, cmp_limit=20)
    assert not at.exception
    err = " ".join(texts(at, "error"))
    assert "was not found" in err and "no download was tried (SR_NO_DOWNLOAD is set)" in err
    assert str((Path("data") / "FashionMNIST" / "raw").resolve()) in err
