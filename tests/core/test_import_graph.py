"""The shape of sr_core's imports, read from the source (nothing is imported):

* no import circles among sr_core modules (imports run at import time; ``if TYPE_CHECKING:`` blocks
  left out), so every module can be imported first and the layers read bottom-up;
* every import inside a function says why it is there (``# local: <reason>``: a torch-free CLI
  start, a heavy optional library, a cycle), so a deferred import is a decision, not a habit;
* sr_core never imports a UI library or the ui/ package (the core is headless).
"""
from __future__ import annotations

import ast
from pathlib import Path

# the graph reading is the measuring script's (scripts/house_metrics.py prints the same counts for any tree)
from scripts.house_metrics import cycles, function_local_imports, import_graph, sources

ROOT = Path(__file__).resolve().parents[2]
UI_ROOTS = ("streamlit", "gradio", "ui", "pages", "demo", "app")


def test_no_import_circles_in_sr_core() -> None:
    assert cycles(import_graph(sources(ROOT))) == []


def test_cycle_finder_sees_a_circle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_function_local_import_says_why() -> None:
    bare = [f"{path.relative_to(ROOT)}:{line}" for path, tree in sources(ROOT).values()
            for line, says_why in function_local_imports(path, tree) if not says_why]
    assert bare == [], "function-local imports without a '# local: <reason>' comment (or move them to the top)"


def test_sr_core_never_imports_a_ui() -> None:
    found = []
    for path, tree in sources(ROOT).values():
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            found += [f"{path.relative_to(ROOT)}:{node.lineno} {n}" for n in names if n.split(".")[0] in UI_ROOTS]
    assert found == []


def _imported_roots(path: Path) -> set[str]:
    """Dotted names a file imports (absolute imports, top level and inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            out |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return out


def test_ui_rooms_presenters_apart_from_streamlit_and_gradio() -> None:
    """ui/*.py are presenters (no Streamlit, no Gradio); ui/studio/ holds the Streamlit-bound pieces and
    ui/demo/ the Gradio-bound ones; demo.py and ui/demo/ import nothing from ui/studio or Streamlit."""
    def bound(names: set[str], *roots: str) -> list[str]:
        return sorted(n for n in names if any(n == r or n.startswith(r + ".") for r in roots))

    problems = []
    for p in sorted((ROOT / "ui").glob("*.py")):
        problems += [f"{p.name}: {n}" for n in bound(_imported_roots(p), "streamlit", "gradio", "ui.studio")]
    for p in [ROOT / "demo.py", *sorted((ROOT / "ui" / "demo").glob("*.py"))]:
        problems += [f"{p.name}: {n}" for n in bound(_imported_roots(p), "streamlit", "ui.studio")]
    assert problems == []
