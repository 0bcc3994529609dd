"""The listing commands start light: no torch, Ray, Streamlit or Gradio is imported for `--help`,
`models`, `list`, `sweep --list/--show` (speed itself is measured in bench/cli_startup.py)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "torchvision", "torchmetrics", "ray", "streamlit", "gradio", "numpy", "PIL", "pandas")
PROBE = """
import contextlib, io, json, sys
from sr_core.cli.main import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        code = main(sys.argv[1:])
    except SystemExit as e:  # --help
        code = e.code
print(json.dumps({"code": code, "heavy": [m for m in %r if m in sys.modules]}))
""" % (HEAVY,)


@pytest.mark.parametrize("argv", [["--help"], ["models"], ["list"], ["sweep", "--list"],
                                  ["sweep", "--show", "alpha-ablation"], ["train", "--help"]])
def test_listing_commands_import_nothing_heavy(argv: list[str], tmp_path: Path) -> None:
    runs = ["--runs-dir", str(tmp_path)] if argv[0] in ("list", "sweep") else []
    out = subprocess.run([sys.executable, "-c", PROBE, *argv, *runs],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["code"] == 0 and res["heavy"] == []


def test_light_model_table_matches_the_registry() -> None:
    from sr_core.model_names import describe_light
    from sr_core.models import describe_models

    real = [{k: m[k] for k in ("name", "parameters", "stochastic", "summary")} for m in describe_models()]
    assert describe_light() == real
