"""The product's import graph from `ast`, and the two checks run over it.

Every `import` counts as an edge, wherever it sits: a lazy import inside a function that
closes a circle is still a circle (it only fails later, at call time). Imports under
`if TYPE_CHECKING:` never run, so they do not count. An edge goes to the module named,
not to its parent packages, so `import api.jobs` does not depend on `api/__init__`.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Container, Iterable, Iterator, Mapping
from pathlib import Path

from engine.graph import find_cycles as _cycles

Graph = dict[str, set[str]]
"""Module name -> the modules it imports (the product's and anything else's)."""


def module_files(root: Path, packages: Iterable[str], skip: Iterable[str] = ()) -> dict[str, Path]:
    """Dotted module name -> source file, for every `.py` under `packages` but not `skip`."""
    skipped = [root / s for s in skip]
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if any(path.is_relative_to(s) for s in skipped):
                continue
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth, except in `if TYPE_CHECKING:` bodies."""
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            todo.extend(node.orelse)
        else:
            todo.extend(ast.iter_child_nodes(node))


def _targets(
    node: ast.Import | ast.ImportFrom, module: str, is_package: bool, modules: Container[str]
) -> set[str]:
    """The modules one statement imports: `from pkg import x` is `pkg.x` when that is a
    module, else `pkg` (x is something defined in it)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    base = node.module or ""
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        anchor = package[: len(package) - node.level + 1]
        base = ".".join([*anchor, base] if base else anchor)
    return {
        f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
        for alias in node.names
    }


def build_graph(root: Path, packages: Iterable[str], skip: Iterable[str] = ()) -> Graph:
    """Every module under `packages` (directories below `root`) with what it imports."""
    modules = module_files(root, packages, skip)
    graph: Graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        edges: set[str] = set()
        for node in _imports(tree):
            edges |= _targets(node, name, path.name == "__init__.py", modules)
        edges.discard(name)
        graph[name] = edges
    return graph


def import_cycles(graph: Mapping[str, Collection[str]]) -> list[list[str]]:
    """One closed path (e.g. [a, b, a]) per group of modules importing each other."""
    nodes = sorted(graph)
    edges = [(a, b) for a in nodes for b in sorted(graph[a]) if b in graph]
    return _cycles(nodes, edges)


def layer_violations(
    graph: Mapping[str, Collection[str]],
    layers: Mapping[str, Collection[str]],
    banned: Collection[str] = (),
) -> list[str]:
    """`importer -> imported` for each edge from one of `layers`' packages to another it
    does not list, or to a `banned` package (one product code never imports)."""
    found: list[str] = []
    for module in sorted(graph):
        own = module.split(".")[0]
        for target in sorted(graph[module]):
            top = target.split(".")[0]
            if top == own:
                continue
            if top in banned or (top in layers and top not in layers.get(own, ())):
                found.append(f"{module} -> {target}")
    return found


def import_problems(
    root: Path,
    layers: Mapping[str, Collection[str]],
    banned: Collection[str] = (),
    skip: Iterable[str] = (),
) -> list[str]:
    """Every import cycle and forbidden import among the packages `layers` names:
    package -> the other packages it may import."""
    graph = build_graph(root, layers, skip)
    cycles = ["import cycle: " + " -> ".join(c) for c in import_cycles(graph)]
    bad = layer_violations(graph, layers, banned)
    return cycles + ["forbidden import: " + v for v in bad]
