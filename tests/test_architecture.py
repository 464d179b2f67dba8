"""The layering rules of DESIGN.md that a test can hold, read from the code with ``ast``.

Nothing is imported: every project file (``.venv`` and other tool folders left
out before anything is parsed) is parsed once and the rules are checked on the
trees.  Imports inside functions count, as do ``TYPE_CHECKING`` blocks.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = {".venv", ".git", "data", "evidence", "dist", "__pycache__", "node_modules", "fixtures"}

# Lower layers never import upper ones (DESIGN.md, "The layers").
LAYER = {
    "core": 0,
    "domain": 1,
    "compliance": 2,
    "storage": 2,
    "activitylog": 2,
    "querylog": 2,
    "inspection": 2,
    "documents": 2,
    "notify": 2,
    "ops": 3,
    "services": 4,
    "cli": 5,
}
# Packages of one layer that may use each other (no cycles allowed either way).
SIBLINGS = {
    # storage: the store writes through the activity log, and a query-log import's files commit
    # with the store's record (storage.staging), which store check compares (storage.check)
    "storage": {"activitylog", "querylog"},
    "querylog": {"compliance"},
    "documents": {"compliance"},
    "compliance": set(),
    "inspection": {"documents", "compliance"},
    "notify": {"compliance", "documents", "storage"},
}
MAX_LINES = 400


def project_files() -> list[Path]:
    out = []
    for folder in ("tracker", "app_pages", "demodata", "bench", "tests"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if not SKIP & set(path.relative_to(ROOT).parts):
                out.append(path)
    return [*out, ROOT / "streamlit_app.py"]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


@cache
def trees() -> dict[str, tuple[Path, ast.Module]]:
    return {module_name(p): (p, ast.parse(p.read_text(encoding="utf-8"))) for p in project_files()}


def tracker_modules() -> dict[str, tuple[Path, ast.Module]]:
    return {m: t for m, t in trees().items() if m == "tracker" or m.startswith("tracker.")}


def imports(tree: ast.Module) -> list[tuple[str, str | None]]:
    """(module, name) for every import anywhere in the tree (``name`` None for ``import x``)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.module, a.name) for a in node.names]
    return found


def defined_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.If | ast.Try):  # definitions under a guard
            for sub in ast.walk(node):
                if isinstance(sub, ast.FunctionDef | ast.ClassDef):
                    names.add(sub.name)
                elif isinstance(sub, ast.Assign):
                    names |= {
                        n.id for t in sub.targets for n in ast.walk(t) if isinstance(n, ast.Name)
                    }
    return names


def tracker_edges() -> dict[str, set[str]]:
    modules = tracker_modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for mod, (_, tree) in modules.items():
        for target, name in imports(tree):
            if name and f"{target}.{name}" in modules:
                graph[mod].add(f"{target}.{name}")
            elif target in modules:
                graph[mod].add(target)
        graph[mod].discard(mod)
    return graph


def package_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "tracker" else None


def test_nothing_under_tracker_imports_streamlit():
    offenders = [
        m
        for m, (_, tree) in tracker_modules().items()
        if any(t.split(".")[0] == "streamlit" for t, _ in imports(tree))
    ]
    assert not offenders


def test_only_the_storage_package_imports_a_database_driver():
    drivers = {"tinydb", "psycopg", "psycopg_pool"}
    users = {
        m
        for m, (_, tree) in tracker_modules().items()
        if any(t.split(".")[0] in drivers for t, _ in imports(tree))
    }
    assert users and all(package_of(m) == "storage" for m in users), users


def test_no_module_uses_pickle():
    assert not [
        m for m, (_, tree) in trees().items() if any(t == "pickle" for t, _ in imports(tree))
    ]


def test_tracker_keeps_its_concepts_in_packages_each_with_a_docstring_saying_what_it_owns():
    top = [
        p.name
        for p in (ROOT / "tracker").glob("*.py")
        if p.name not in ("__init__.py", "__main__.py")
    ]
    assert len(top) <= 6, top
    for init in (ROOT / "tracker").glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        assert len(doc) > 40, f"{init.relative_to(ROOT)} needs a docstring saying what it owns"


def test_no_module_in_tracker_or_app_pages_is_over_400_lines():
    long = [
        (m, n)
        for m, (path, _) in trees().items()
        if m.split(".")[0] in ("tracker", "app_pages")
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    ]
    assert not long


def test_every_name_is_imported_from_the_module_that_defines_it():
    """No facades: a project import names the module defining it (or a submodule of a package)."""
    modules = trees()
    wrong = []
    for mod, (_, tree) in modules.items():
        for target, name in imports(tree):
            if name is None or not target.startswith("tracker") or f"{target}.{name}" in modules:
                continue
            if target in modules and name not in defined_names(modules[target][1]):
                wrong.append(f"{mod}: {name} from {target}")
    assert not wrong, wrong


def test_no_module_lists_in_all_a_name_it_only_imports():
    facades = []
    for mod, (path, tree) in tracker_modules().items():
        if path.name == "__init__.py":
            continue
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(
                getattr(t, "id", "") == "__all__" for t in node.targets
            ):
                listed = {e.value for e in node.value.elts if isinstance(e, ast.Constant)}
                if listed - defined_names(tree):
                    facades.append(mod)
    assert not facades


def test_there_is_no_import_cycle_counting_imports_inside_functions():
    graph = tracker_edges()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    # a package __init__ importing its own submodules is not a cycle
    real = [c for c in cycles if len({m.rsplit(".", 1)[0] for m in c}) > 1 or len(c) > 2]
    assert not real, real


def test_lower_layers_never_import_upper_ones():
    upward = []
    for mod, targets in tracker_edges().items():
        src = package_of(mod)
        if src not in LAYER:
            continue
        for target in targets:
            dst = package_of(target)
            if dst is None or dst == src or dst not in LAYER:
                continue
            same_layer_ok = LAYER[dst] == LAYER[src] and dst in SIBLINGS.get(src, set())
            if LAYER[dst] > LAYER[src] or (LAYER[dst] == LAYER[src] and not same_layer_ok):
                upward.append(f"{mod} -> {target}")
    assert not upward, upward


def test_core_domain_compliance_and_storage_never_import_services_cli_or_pages():
    bad = []
    for mod, (_, tree) in tracker_modules().items():
        if package_of(mod) in ("core", "domain", "compliance", "storage"):
            for target, _ in imports(tree):
                if target.startswith(("tracker.services", "tracker.cli", "app_pages")):
                    bad.append(f"{mod} -> {target}")
    assert not bad


def test_no_partition_name_is_spelled_outside_storage():
    spelled = re.compile(r"""f["'](v|a)-\{""")
    offenders = [
        m
        for m, (path, _) in trees().items()
        if m.split(".")[0] in ("tracker", "app_pages", "streamlit_app")
        and package_of(m) != "storage"
        and spelled.search(path.read_text(encoding="utf-8"))
    ]
    assert not offenders
