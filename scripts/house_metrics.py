"""Issue 17 measurements on a source tree: python scripts/house_metrics.py [TREE]  -> one JSON object.

- sr_core_top_modules: *.py directly under sr_core/ (not __init__/__main__)
- import_circles: strongly connected components (size > 1) of the graph of
  module-level imports among sr_core modules (``if TYPE_CHECKING:`` blocks left out); an edge goes to
  the most specific module named (``from pkg import sub`` -> pkg.sub when sub is a module)
- local_imports: import statements in sr_core not at module level (inside a def/class), with how many
  carry a ``# local: <reason>`` comment
- sys_path_lines: lines mentioning ``sys.path`` in bench/ scripts/ sr_core/ ui/ pages/ app.py demo.py
- status_literals: string constants equal to a RunStatus/TrialStatus/SweepStatus value, outside
  sr_core/runs/status.py and tests, in sr_core/ ui/ pages/ app.py demo.py; counted where they act as
  states: operands of comparisons (also inside tuple/list/set operands), dict keys and values, keyword
  argument values, assignment/return values, default argument values, subscripts (``c["failed"]``) (``float("nan")`` and
  docstrings are not)
- thread_constructions: ``threading.Thread(`` / ``Thread(`` calls outside tests/
"""
from __future__ import annotations

import ast
import json
import sys
from collections import defaultdict
from pathlib import Path

STATUS_VALUES = {"created", "ready", "running", "finished", "stopped", "nan", "failed", "interrupted", "pending"}


LOCAL_MARK = "# local: "  # the comment a function-local import in sr_core carries, with its reason


# ------------------------------------------------------------------ the import graph of sr_core
# (also what tests/core/test_import_graph.py checks: no circles, every local import says why)

def sources(root: Path) -> dict[str, tuple[Path, ast.Module]]:
    """sr_core's modules under ``root``: dotted name -> (path, parsed tree)."""
    def name(path: Path) -> str:
        parts = list(path.relative_to(root).with_suffix("").parts)
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    return {name(p): (p, ast.parse(p.read_text(encoding="utf-8"), filename=str(p)))
            for p in sorted((root / "sr_core").rglob("*.py")) if "__pycache__" not in p.parts}


def is_type_checking(node: ast.AST) -> bool:
    t = getattr(node, "test", None)
    return isinstance(node, ast.If) and (getattr(t, "id", None) == "TYPE_CHECKING"
                                         or getattr(t, "attr", None) == "TYPE_CHECKING")


def module_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Imports that run when the module is imported: at the top, or in a top-level if/try/with."""
    out: list[ast.Import | ast.ImportFrom] = []

    def walk(stmts: list[ast.stmt]) -> None:
        for s in stmts:
            if isinstance(s, (ast.Import, ast.ImportFrom)):
                out.append(s)
            elif isinstance(s, ast.If):
                if not is_type_checking(s):
                    walk(s.body)
                walk(s.orelse)
            elif isinstance(s, (ast.Try, ast.TryStar)):
                for block in (s.body, *[h.body for h in s.handlers], s.orelse, s.finalbody):
                    walk(block)
            elif isinstance(s, ast.With):
                walk(s.body)

    walk(tree.body)
    return out


def targets(node: ast.Import | ast.ImportFrom, mod: str, is_pkg: bool, modules: set[str]) -> set[str]:
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


def import_graph(srcs: dict[str, tuple[Path, ast.Module]]) -> dict[str, set[str]]:
    """module -> the sr_core modules its module-level imports name (itself left out)."""
    modules = set(srcs)
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for mod, (path, tree) in srcs.items():
        for node in module_level_imports(tree):
            graph[mod] |= targets(node, mod, path.name == "__init__.py", modules) - {mod}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
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


def function_local_imports(path: Path, tree: ast.Module) -> list[tuple[int, bool]]:
    """(line, carries LOCAL_MARK) of each import inside a def/class (``if TYPE_CHECKING:`` ones left out)."""
    top = {id(n) for n in module_level_imports(tree)}
    typing_only = {id(n) for s in ast.walk(tree) if is_type_checking(s) for n in ast.walk(s)}
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(n.lineno, LOCAL_MARK in lines[(n.end_lineno or n.lineno) - 1]) for n in ast.walk(tree)
            if isinstance(n, (ast.Import, ast.ImportFrom)) and id(n) not in top | typing_only]


# ------------------------------------------------------------------ the other counts

def status_literals(tree: ast.Module) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    docstrings = set()
    for n in ast.walk(tree):
        if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.body:
            first = n.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))

    def hit(c: ast.AST) -> bool:
        return (isinstance(c, ast.Constant) and isinstance(c.value, str) and c.value in STATUS_VALUES
                and id(c) not in docstrings)

    def elems(e: ast.AST) -> list[ast.AST]:
        if isinstance(e, (ast.Tuple, ast.List, ast.Set)):
            return list(e.elts)
        return [e]

    for n in ast.walk(tree):
        if isinstance(n, ast.Compare):
            for o in [n.left, *n.comparators]:
                counts["compare"] += sum(hit(e) for e in elems(o))
        elif isinstance(n, ast.Dict):
            counts["dict_key"] += sum(hit(k) for k in n.keys if k is not None)
            counts["dict_value"] += sum(hit(v) for v in n.values)
        elif isinstance(n, ast.Call):
            counts["keyword"] += sum(hit(k.value) for k in n.keywords)
        elif isinstance(n, (ast.Assign, ast.AnnAssign, ast.Return)) and n.value is not None:
            counts["assign_return"] += sum(hit(e) for e in elems(n.value))
        elif isinstance(n, ast.arguments):
            counts["default"] += sum(hit(d) for d in [*n.defaults, *n.kw_defaults] if d is not None)
        elif isinstance(n, ast.Subscript):
            counts["subscript"] += hit(n.slice)
        elif isinstance(n, ast.IfExp):
            counts["assign_return"] += hit(n.body) + hit(n.orelse)
    return dict(counts)


def main(root: Path) -> dict:
    core = root / "sr_core"
    srcs = sources(root)
    circles = cycles(import_graph(srcs))
    local = {mod: function_local_imports(path, tree) for mod, (path, tree) in srcs.items()}
    local_by_module = {mod: len(found) for mod, found in local.items() if found}
    local_total = sum(local_by_module.values())
    local_commented = sum(ok for found in local.values() for _, ok in found)

    sys_path = []
    for d in ("bench", "scripts", "sr_core", "ui", "pages"):
        for p in sorted((root / d).rglob("*.py")) if (root / d).exists() else []:
            if p.name == Path(__file__).name:  # this script names sys.path only to count it
                continue
            for i, line in enumerate(p.read_text().splitlines(), 1):
                if "sys.path" in line:
                    sys_path.append(f"{p.relative_to(root)}:{i}")
    for f in ("app.py", "demo.py"):
        p = root / f
        if p.exists():
            for i, line in enumerate(p.read_text().splitlines(), 1):
                if "sys.path" in line:
                    sys_path.append(f"{f}:{i}")

    lit_total: dict[str, int] = defaultdict(int)
    lit_files: dict[str, int] = {}
    scope = [*sorted((root / "sr_core").rglob("*.py")), *sorted((root / "ui").rglob("*.py")),
             *sorted((root / "pages").rglob("*.py")), root / "app.py", root / "demo.py"]
    for p in scope:
        if not p.exists() or p.relative_to(root).as_posix() == "sr_core/runs/status.py":
            continue
        c = status_literals(ast.parse(p.read_text()))
        n = sum(c.values())
        if n:
            lit_files[p.relative_to(root).as_posix()] = n
        for k, v in c.items():
            lit_total[k] += v

    threads = []
    for p in sorted(root.rglob("*.py")):
        rel = p.relative_to(root)
        if rel.parts[0] in ("tests", ".venv") or "site-packages" in rel.parts or "__pycache__" in rel.parts:
            continue
        for n in ast.walk(ast.parse(p.read_text())):
            if isinstance(n, ast.Call):
                f = n.func
                name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
                if name == "Thread":
                    threads.append(f"{rel}:{n.lineno}")

    top_modules = sorted(p.stem for p in core.glob("*.py") if p.stem not in ("__init__", "__main__"))
    return {
        "sr_core_top_modules": len(top_modules),
        "sr_core_top_module_names": top_modules,
        "import_circles": len(circles),
        "import_circle_members": circles,
        "local_imports": local_total,
        "local_imports_with_reason_comment": local_commented,
        "local_imports_by_module": dict(sorted(local_by_module.items())),
        "sys_path_lines": len(sys_path),
        "sys_path_where": sys_path,
        "status_literals": sum(lit_total.values()),
        "status_literals_by_kind": dict(sorted(lit_total.items())),
        "status_literals_by_file": dict(sorted(lit_files.items())),
        "thread_constructions": len(threads),
        "thread_where": threads,
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()), indent=1))
