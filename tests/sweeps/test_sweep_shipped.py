"""`sweep --show/--list` see the studies shipped in assets/studies, and a missing sweep is named."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sr_core.errors import UserError
from sr_core.sweeps.spec import find_sweep, list_sweeps, shipped_studies

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, runs: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sr_core", "sweep", *args, "--runs-dir", str(runs)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_shipped_study_is_found_with_an_empty_runs_folder(tmp_path: Path) -> None:
    assert "alpha-ablation" in shipped_studies()
    assert find_sweep("alpha-ablation", tmp_path) == ROOT / "assets" / "studies" / "alpha-ablation"
    rows = list_sweeps(tmp_path)
    assert [r["name"] for r in rows if r["shipped"]] == list(shipped_studies())
    assert all(not r["error"] for r in rows)


def test_sweep_show_prints_the_shipped_table(tmp_path: Path) -> None:
    out = _cli("--show", "alpha-ablation", runs=tmp_path / "runs")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("sweep alpha-ablation") and "Protocol:" in out.stdout
    listing = _cli("--list", runs=tmp_path / "runs")
    assert listing.returncode == 0 and "alpha-ablation" in listing.stdout and "(shipped study)" in listing.stdout


def test_missing_sweep_names_it_and_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(UserError) as err:
        find_sweep("nope", tmp_path)
    msg = str(err.value)
    assert "'nope'" in msg and str((tmp_path / ".sweeps").resolve()) in msg and "studies" in msg
    out = _cli("--show", "nope", runs=tmp_path)
    assert out.returncode == 2 and "'nope'" in out.stderr and len(out.stderr.strip().splitlines()) == 1
