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

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "sr_core"
UI_ROOTS = ("streamlit", "gradio", "ui", "pages", "demo", "app")


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> dict[str, tuple[Path, ast.Module]]:
    return {_module(p): (p, ast.parse(p.read_text(encoding="utf-8"), filename=str(p)))
            for p in sorted(CORE.rglob("*.py")) if "__pycache__" not in p.parts}


def _type_checking(node: ast.stmt) -> bool:
    t = getattr(node, "test", None)
    return isinstance(node, ast.If) and (getattr(t, "id", None) == "TYPE_CHECKING"
                                         or getattr(t, "attr", None) == "TYPE_CHECKING")


def _module_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Imports that run when the module is imported: at the top, or in a top-level if/try/with."""
    out: list[ast.Import | ast.ImportFrom] = []

    def walk(stmts: list[ast.stmt]) -> None:
        for s in stmts:
            if isinstance(s, (ast.Import, ast.ImportFrom)):
                out.append(s)
            elif isinstance(s, ast.If):
                if not _type_checking(s):
                    walk(s.body)
                walk(s.orelse)
            elif isinstance(s, ast.Try):
                for block in (s.body, *[h.body for h in s.handlers], s.orelse, s.finalbody):
                    walk(block)
            elif isinstance(s, ast.With):
                walk(s.body)

    walk(tree.body)
    return out


def _targets(node: ast.Import | ast.ImportFrom, mod: str, is_pkg: bool, modules: set[str]) -> set[str]:
    """The sr_core modules an import statement names (``from pkg import sub`` -> ``pkg.sub``)."""
    if isinstance(node, ast.Import):
        return {a.name for a in node.names if a.name in modules}
    if node.level:
        base = mod.split(".") if is_pkg else mod.split(".")[:-1]
        src = ".".join(base[:len(base) - node.level + 1] + ([node.module] if node.module else []))
    else:
        src = node.module or ""
    out = set()
    for a in node.names:
        if f"{src}.{a.name}" in modules:
            out.add(f"{src}.{a.name}")
        elif src in modules:
            out.add(src)
    return out


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_circles_in_sr_core() -> None:
    sources = _sources()
    modules = set(sources)
    graph = {m: set() for m in modules}
    for mod, (path, tree) in sources.items():
        for node in _module_level_imports(tree):
            graph[mod] |= _targets(node, mod, path.name == "__init__.py", modules) - {mod}
    assert _cycles(graph) == []


def test_cycle_finder_sees_a_circle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_function_local_import_says_why() -> None:
    bare = []
    for mod, (path, tree) in _sources().items():
        top = {id(n) for n in _module_level_imports(tree)}
        typing_only = {id(n) for s in ast.walk(tree) if _type_checking(s) for n in ast.walk(s)}
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in top | typing_only:
                if "# local: " not in lines[(node.end_lineno or node.lineno) - 1]:
                    bare.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert bare == [], "function-local imports without a '# local: <reason>' comment (or move them to the top)"


def test_sr_core_never_imports_a_ui() -> None:
    found = []
    for mod, (path, tree) in _sources().items():
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
