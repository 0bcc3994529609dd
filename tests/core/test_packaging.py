"""The project is a package: pyproject.toml matches requirements.txt, `pip install -r requirements.txt`
installs it editable, and nothing outside tests/ edits sys.path to find it."""
from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _reqs() -> set[str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return {ln.split("#")[0].strip() for ln in lines if ln.split("#")[0].strip()}


def test_pyproject_dependencies_are_the_requirements() -> None:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = set(meta["dependencies"]) | set(meta["optional-dependencies"]["test"])
    assert deps | {"-e ."} == _reqs()


def test_no_sys_path_edits_outside_tests() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*.py")
                 if not p.relative_to(ROOT).parts[0] in ("tests", ".venv")
                 and re.search(r"sys\.path\.(insert|append)", p.read_text())]
    assert offenders == []


def test_packages_import_from_any_folder(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-c", "import sr_core.cli.main, ui, bench._common, demo; print('ok')"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
