"""Shared fixtures. Real-data tests use ``data_dir``: they skip on a laptop without the data, and
FAIL under CI (``CI`` set), so a missing data folder can never turn CI green by skipping."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def data_dir() -> Path:
    from sr_core.data import check_dataset, resolve_data_dir

    root = resolve_data_dir(None, "fashion-mnist")
    if not root.is_absolute():
        root = (Path.cwd() / root).resolve()
    missing = check_dataset("fashion-mnist", root)
    if missing:
        msg = f"Fashion-MNIST not found under {root} (missing {', '.join(missing)}); set SR_DATA_DIR"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return root


@pytest.fixture()
def one_torch_thread():
    """One torch thread for the test (bit-exact runs compared across processes; a shared machine)."""
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture()
def runs_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "runs"
    monkeypatch.setenv("SR_RUNS_DIR", str(d))
    return d
