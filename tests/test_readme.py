"""The README's examples are real: every `python -m sr_core` line parses, the cheap ones run,
and the set-up/test commands are the ones CI uses."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from sr_core.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
CLI_LINES = [line.split("#")[0].strip() for line in README.splitlines()
             if line.strip().startswith(".venv/bin/python -m sr_core")]


def test_readme_has_cli_examples() -> None:
    assert len(CLI_LINES) >= 5


@pytest.mark.parametrize("line", CLI_LINES)
def test_readme_cli_line_parses(line: str) -> None:
    argv = shlex.split(line)[3:]  # drop ".venv/bin/python -m sr_core"
    args = build_parser().parse_args(argv)
    assert args.command in ("train", "eval", "list", "models", "sweep")


@pytest.mark.parametrize("argv", [["models"], ["list"]])
def test_readme_cheap_commands_run(argv: list[str], runs_dir: Path) -> None:
    assert main(argv) == 0


def test_setup_and_test_commands() -> None:
    assert "pip install -r requirements.txt" in README and "streamlit run app.py" in README
    assert "bash scripts/test.sh" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^bash scripts/test\.sh$", ci, re.M)
