"""Issue 17 measurements on a source tree: python scripts/house_metrics.py [TREE]  -> one JSON object.

- sr_core_top_modules: *.py directly under sr_core/ (not __init__/__main__)
- import_circles: strongly connected components (size > 1, or a self-import) of the graph of
  module-level imports among sr_core modules (``if TYPE_CHECKING:`` blocks left out); an edge goes to
  the most specific module named (``from pkg import sub`` -> pkg.sub when sub is a module)
- local_imports: import statements in sr_core not at module level (inside a def/class), with how many
  carry a ``# local:`` comment
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


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def is_type_checking(node: ast.AST) -> bool:
    t = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING")
        or (isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING"))


def module_level_imports(tree: ast.Module) -> list[ast.stmt]:
    """Import statements run when the module is imported (not in defs, classes, TYPE_CHECKING)."""
    out: list[ast.stmt] = []

    def walk(stmts: list[ast.stmt]) -> None:
        for s in stmts:
            if isinstance(s, (ast.Import, ast.ImportFrom)):
                out.append(s)
            elif isinstance(s, ast.If):
                if not is_type_checking(s):
                    walk(s.body)
                walk(s.orelse)
            elif isinstance(s, (ast.Try, getattr(ast, "TryStar", ast.Try))):
                walk(s.body)
                for h in s.handlers:
                    walk(h.body)
                walk(s.orelse)
                walk(s.finalbody)
            elif isinstance(s, (ast.With,)):
                walk(s.body)

    walk(tree.body)
    return out


def resolve(node: ast.stmt, mod: str, is_pkg: bool, modules: set[str]) -> list[str]:
    """Names of sr_core modules an import statement imports (most specific)."""
    targets: list[str] = []
    if isinstance(node, ast.Import):
        for a in node.names:
            if a.name in modules:
                targets.append(a.name)
        return targets
    assert isinstance(node, ast.ImportFrom)
    if node.level:
        base = mod.split(".") if is_pkg else mod.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        src = ".".join(base + ([node.module] if node.module else []))
    else:
        src = node.module or ""
    for a in node.names:
        sub = f"{src}.{a.name}"
        if sub in modules:
            targets.append(sub)
        elif src in modules:
            targets.append(src)
    return targets


def sccs(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph.get(v, ()):
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


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
    files = sorted(p for p in core.rglob("*.py") if "__pycache__" not in p.parts)
    modules = {module_name(root, p) for p in files}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    local_total = local_commented = 0
    local_by_module: dict[str, int] = {}
    for p in files:
        src = p.read_text()
        tree = ast.parse(src)
        mod = module_name(root, p)
        top = module_level_imports(tree)
        for s in top:
            graph[mod].update(t for t in resolve(s, mod, p.name == "__init__.py", modules) if t != mod)
        top_ids = {id(s) for s in top}
        lines = src.splitlines()
        tc_ids = set()
        for n in ast.walk(tree):
            if is_type_checking(n):
                tc_ids.update(id(s) for s in ast.walk(n) if isinstance(s, (ast.Import, ast.ImportFrom)))
        n_local = 0
        for n in ast.walk(tree):
            if isinstance(n, (ast.Import, ast.ImportFrom)) and id(n) not in top_ids and id(n) not in tc_ids:
                n_local += 1
                end = lines[(n.end_lineno or n.lineno) - 1]
                local_commented += "# local:" in end
        if n_local:
            local_by_module[mod] = n_local
        local_total += n_local
    circles = sccs(graph)

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
