"""The rooms of the code and the rule between them (docs/architecture.md).

Each package of graph/ is a floor; seed/, api/ and the command line stand on top. A module
imports only from its own floor or lower ones, never from a higher one, and no modules import
each other in a circle. The import graph is read from the sources with `ast`, imports inside
functions and under TYPE_CHECKING included, so a late import cannot dodge the rule.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]

# Lowest first. Same floor: allowed (no cycles); a lower floor: allowed; a higher: refused.
FLOORS = [
    "graph.core",
    "graph.model",
    "graph.briefing",
    "graph.db",
    "graph.access",
    "graph.formats",
    "graph.investigate",
    "graph.growth",
    "graph.synth",
    "seed",
    "api",
    "graph.cli",
]
# Only the command line imports inside functions: each command loads what it needs, so that
# `crimegraph --version` does not load FollowTheMoney and the picture libraries.
LATE_IMPORTS_ALLOWED = ("graph.cli",)


def _modules() -> dict[str, Path]:
    found = {}
    for top in ("graph", "api", "seed"):
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _floor(module: str) -> int:
    matches = [i for i, f in enumerate(FLOORS) if module == f or module.startswith(f + ".")]
    if not matches:
        raise AssertionError(f"{module} is on no floor: add its package to FLOORS")
    return max(matches)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str, path: Path) -> Iterator[tuple[str, int, bool, bool]]:
    """(imported project module, line, inside a function, under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def visit(node: ast.AST, in_function: bool, typing_only: bool) -> Iterator[Any]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, child.lineno, in_function, typing_only
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in child.names:
                    candidate = f"{base}.{alias.name}"
                    yield (
                        (candidate if candidate in MODULES else base),
                        child.lineno,
                        (in_function),
                        typing_only,
                    )
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                yield from visit(child, True, typing_only)
            elif isinstance(child, ast.If) and _is_type_checking(child):
                yield from visit(child, in_function, True)
            else:
                yield from visit(child, in_function, typing_only)

    for name, line, in_function, typing_only in visit(tree, False, False):
        target = name
        while target and target not in MODULES:
            target = target.rpartition(".")[0]
        if target and target.split(".")[0] in ("graph", "api", "seed") and target != module:
            yield target, line, in_function, typing_only


IMPORTS = {module: list(_imports(module, path)) for module, path in MODULES.items()}


def test_every_module_is_on_a_floor() -> None:
    for module in MODULES:
        if module not in ("graph", "graph._cypher"):
            _floor(module)


def test_no_module_imports_from_a_higher_floor() -> None:
    upward = [
        f"{MODULES[m].relative_to(ROOT)}:{line} imports {target} "
        f"({FLOORS[_floor(m)]} -> {FLOORS[_floor(target)]})"
        for m, found in IMPORTS.items()
        if m != "graph"
        for target, line, _, _ in found
        if target != "graph" and _floor(target) > _floor(m)
    ]
    assert not upward, "\n".join(upward)


def test_no_import_cycles() -> None:
    edges = nx.DiGraph()
    for module, found in IMPORTS.items():
        for target, _, _, typing_only in found:
            if not typing_only:  # names for annotations only: never executed
                edges.add_edge(module, target)
    cycles = list(nx.simple_cycles(edges))
    assert not cycles, "\n".join(" -> ".join([*c, c[0]]) for c in cycles)


def test_imports_inside_functions_only_in_the_command_line() -> None:
    late = [
        f"{MODULES[m].relative_to(ROOT)}:{line} imports {target} inside a function"
        for m, found in IMPORTS.items()
        if not m.startswith(LATE_IMPORTS_ALLOWED)
        for target, line, in_function, _ in found
        if in_function
    ]
    assert not late, "\n".join(late)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from graph.access import audit\n", ["graph.access.audit"]),
        ("def f():\n    from graph.growth.imports import run_import\n", ["graph.growth.imports"]),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import api.app\n", ["api.app"]),
    ],
)
def test_the_reader_sees_every_kind_of_import(
    tmp_path: Path, source: str, expected: list[str]
) -> None:
    """The checks above are only as good as this reader: a late or typing-only import of a
    higher floor must be seen (else the rule could be dodged)."""
    path = tmp_path / "probe.py"
    path.write_text(source, encoding="utf-8")
    assert [target for target, *_ in _imports("graph.db.probe", path)] == expected


def test_no_import_by_name_at_run_time() -> None:
    """`__import__("x")` and `importlib.import_module` would hide an import from the checks
    above (the generator once built `itertools.accumulate` that way)."""
    hidden = []
    for path in MODULES.values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name in ("__import__", "import_module"):
                    hidden.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}()")
    assert not hidden, "\n".join(hidden)
