"""The layers, read from the source: features never import each other in a circle,
the core imports no feature, no feature reaches into another's views or private
names, and no view writes its own request boundary."""

from __future__ import annotations

import ast
import re

import pytest

from tests import architecture as arch

FEATURES = arch.features()


def test_the_scan_sees_every_feature_and_function_local_imports():
    assert len(FEATURES) == 18, FEATURES
    found = arch.imports()
    assert any(i.local for i in found), "function-local imports must be counted"
    assert {arch.unit(i.module) for i in found} >= {*FEATURES, "core", "root"}


def test_no_import_cycle_between_features():
    assert arch.cycles(arch.feature_edges()) == []


def test_the_cycle_finder_finds_cycles():
    assert arch.cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_core_imports_no_feature():
    bad = [f"{i.module}:{i.line} imports {i.target}" for i in arch.imports()
           if arch.unit(i.module) == "core" and arch.unit(i.target) in FEATURES]
    assert bad == []


def test_no_feature_imports_another_features_views_or_private_names():
    bad = []
    for i in arch.imports():
        src, dst = arch.unit(i.module), arch.unit(i.target)
        if src in FEATURES and dst in FEATURES and src != dst:
            if i.target.endswith(".views") or "views" in i.names:
                bad.append(f"{i.module}:{i.line} imports views of {dst}")
            bad += [f"{i.module}:{i.line} imports {i.target}.{n}" for n in i.names if n.startswith("_")]
    assert bad == []


def _view_modules():
    return sorted(arch.FORUM.glob("*/views.py")) + sorted(arch.FORUM.glob("*/*_views.py")) + sorted(arch.FORUM.glob("topics/edit.py"))


@pytest.mark.parametrize("path", _view_modules(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_views_leave_commit_and_rollback_to_the_boundary(path):
    tree = ast.parse(path.read_text())
    calls = [
        f"{path.name}:{node.lineno} {node.func.attr}()" for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("commit", "rollback")
    ]
    assert calls == [], "use forum.actions.action()"


@pytest.mark.parametrize("path", _view_modules(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_views_guard_only_with_require(path):
    text = path.read_text()
    assert "unverified.html" not in text, "require() already gives this page"
    assert "suspended.html" not in text, "require() already gives this page"


def test_every_route_uses_the_id_converter():
    bad = [f"{p.relative_to(arch.FORUM)}:{n}" for p in arch.FORUM.rglob("*.py")
           for n, line in enumerate(p.read_text().splitlines(), 1) if re.search(r"<int:", line)]
    assert bad == []


def test_the_architecture_doc_shows_the_current_layers():
    doc = (arch.FORUM.parent / "docs" / "architecture.md").read_text()
    assert arch.mermaid() in doc, "regenerate the picture: python -m tests.architecture"
