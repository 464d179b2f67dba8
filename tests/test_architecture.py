"""Layering rules of DESIGN.md that a test can hold."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_nothing_under_tracker_imports_streamlit():
    offenders = [p for p in (ROOT / "tracker").rglob("*.py") if "streamlit" in imported_modules(p)]
    assert not offenders


def test_only_the_storage_package_imports_tinydb():
    users = [
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "tracker").rglob("*.py")
        if "tinydb" in imported_modules(p)
    ]
    assert users and all(u.startswith("tracker/storage/") for u in users), users


def test_no_module_uses_pickle():
    assert not [
        p
        for p in ROOT.glob("**/*.py")
        if "pickle" in imported_modules(p) and ".venv" not in p.parts
    ]
