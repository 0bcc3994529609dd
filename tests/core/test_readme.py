"""The README's examples are real: every `python -m sr_core` line parses, the cheap ones run,
and the set-up/test commands are the ones CI uses."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from sr_core.cli.main import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
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


# ---------------------------------------------------------------- the demo's API snippet
from tests.demo_support import demo_url  # noqa: E402,F401  (fixture: a real demo server)

API_BLOCKS = [b for b in re.findall(r"```python\n(.*?)```", README, re.S) if "gradio_client" in b]
README_DEMO_URL = "http://127.0.0.1:7860/"


def test_readme_demo_command() -> None:
    assert ".venv/bin/python demo.py" in README and (ROOT / "demo.py").is_file()


def test_readme_api_snippet_runs(demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """The README's three lines, run as written; only the URL is the test server's (port 7860 may be taken)."""
    import numpy as np
    from PIL import Image

    assert len(API_BLOCKS) == 1
    code = API_BLOCKS[0]
    assert len(code.strip().splitlines()) == 3 and README_DEMO_URL in code
    monkeypatch.chdir(tmp_path)
    Image.fromarray((np.random.default_rng(0).random((20, 24, 3)) * 255).astype(np.uint8)).save("photo.jpg")
    scope: dict = {}
    exec(compile(code.replace(README_DEMO_URL, demo_url), "README.md", "exec"), scope)
    assert Image.open(scope["sr_png"]).size == (48, 40)
    assert scope["info"]["model"] == "resnet-sr" and scope["info"]["output_size"] == [48, 40]


def test_layout_map_names_every_module_in_its_folder() -> None:
    """README's layout map matches the tree: every module of sr_core/ and ui/ (and pages/, bench/) is
    named under its own folder's entry, and every name the map gives for sr_core/ exists."""
    import re

    layout = README[README.index("## Layout"):]
    blocks: dict[str, str] = {}
    current = ""
    for line in layout.splitlines():
        m = re.match(r"^(\s*)([\w./]+/)\s", line)
        if m:
            current = (m.group(2) if not m.group(1) else current.split("/")[0] + "/" + m.group(2))
        blocks[current] = blocks.get(current, "") + line + "\n"
    missing = []
    for folder in ("sr_core", "ui", "pages", "bench"):
        for p in sorted((ROOT / folder).rglob("*.py")):
            rel = p.relative_to(ROOT)
            if p.name in ("__init__.py", "__main__.py") or "__pycache__" in rel.parts:
                continue
            key = "/".join(rel.parts[:-1]) + "/"
            text = blocks.get(key, "") if len(rel.parts) > 2 else layout
            stem = p.stem if folder == "bench" else p.name
            if not re.search(rf"(?<![\w.]){re.escape(stem)}\b", text):
                missing.append(str(rel))
    assert missing == [], f"modules the README layout map does not name: {missing}"
    top = re.findall(r"^  (\w+\.py)\s", layout[layout.index("sr_core/"):layout.index("\nui/")], re.M)
    assert top and all((ROOT / "sr_core" / name).is_file() for name in top), top
