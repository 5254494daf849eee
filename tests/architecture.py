"""Reads the import graph of ``forum/`` from the source (function-local imports
included), for the layering tests and for the picture in ``docs/architecture.md``.

Run ``python -m tests.architecture`` to print the Mermaid graph of the layers."""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

FORUM = Path(__file__).resolve().parent.parent / "forum"

#: Modules that put the app together; they may import every feature.
COMPOSITION_ROOTS = frozenset({"forum", "forum.cli", "forum.demo"})


@dataclass(frozen=True)
class Import:
    module: str  #: the importing module, e.g. ``forum.topics.views``
    target: str  #: the imported module, e.g. ``forum.audit``
    names: tuple[str, ...]  #: the names taken from it (``from x import a, b``)
    line: int
    local: bool  #: inside a function


def features() -> list[str]:
    """The feature packages: folders of ``forum/`` with an ``__init__.py``, but ``models``."""
    return sorted(p.name for p in FORUM.iterdir() if (p / "__init__.py").exists() and p.name != "models")


def _module_name(path: Path) -> str:
    parts = ("forum", *path.relative_to(FORUM).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _local_nodes(tree: ast.AST) -> set[int]:
    local: set[int] = set()
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            local.update(id(n) for n in ast.walk(fn) if n is not fn)
    return local


def imports() -> list[Import]:
    found: list[Import] = []
    for path in sorted(FORUM.rglob("*.py")):
        module = _module_name(path)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        tree = ast.parse(path.read_text(), str(path))
        local = _local_nodes(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    found.append(Import(module, alias.name, (), node.lineno, id(node) in local))
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                names = tuple(a.name for a in node.names)
                if base == "forum":  # ``from forum import topics`` imports the module forum.topics
                    for name in names:
                        target = f"forum.{name}" if (FORUM / name).exists() or (FORUM / f"{name}.py").exists() else base
                        found.append(Import(module, target, (name,), node.lineno, id(node) in local))
                else:
                    found.append(Import(module, base, names, node.lineno, id(node) in local))
    return [i for i in found if i.target == "forum" or i.target.startswith("forum.")]


def unit(module: str) -> str:
    """The layer a module belongs to: its feature package, or ``core`` / ``root``."""
    if module in COMPOSITION_ROOTS:
        return "root"
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in features():
        return parts[1]
    return "core"


def feature_edges() -> dict[str, set[str]]:
    """feature -> the other features it imports (any import, function-local included)."""
    edges: dict[str, set[str]] = defaultdict(set)
    for imp in imports():
        src, dst = unit(imp.module), unit(imp.target)
        if src not in ("core", "root") and dst not in ("core", "root") and src != dst:
            edges[src].add(dst)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one feature (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                result.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return result


def mermaid() -> str:
    """The layers as a Mermaid flowchart: the composition roots import every feature,
    features import lower features, and every feature imports the core (drawn from
    the lowest ones only, to keep the picture readable)."""
    edges = feature_edges()
    lines = ["flowchart TD", "  root([create_app · cli · demo])"]
    for name in features():
        lines.append(f"  root --> {name}")
    for src in sorted(edges):
        for dst in sorted(edges[src]):
            lines.append(f"  {src} --> {dst}")
    lines.append("  core[(core: actions · text · audit · notify · permissions · models · ...)]")
    for name in features():
        if not edges.get(name):  # the lowest features; every arrow ends in the core
            lines.append(f"  {name} --> core")
    return "\n".join(lines)


if __name__ == "__main__":
    print(mermaid())
