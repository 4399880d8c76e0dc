"""The package's parts import each other in one direction: no two subpackages (or top-level
modules) import each other, directly or around a loop, not even lazily inside a function."""

from __future__ import annotations

import ast
import itertools
from collections import defaultdict
from pathlib import Path

import affectlens

ROOT = Path(affectlens.__file__).parent


def _part(module: str) -> str | None:
    """``affectlens.corpus.aggregate`` -> ``corpus``; the package itself -> None."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "affectlens" else None


def _edges() -> dict[str, dict[str, str]]:
    """part -> {imported part: one importing file, for the message}."""
    edges: dict[str, dict[str, str]] = defaultdict(dict)
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT.parent).with_suffix("")
        here = _part(".".join(relative.parts))
        if here is None or here == "__init__":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                there = _part(name)
                if there is not None and there != here and there not in ("__main__",):
                    edges[here].setdefault(there, str(relative))
    return edges


def _cycle(edges: dict[str, dict[str, str]]) -> list[str] | None:
    colour: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        colour[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, {})):
            if colour.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in colour and (found := visit(nxt)):
                return found
        stack.pop()
        colour[node] = 2
        return None

    for node in sorted(edges):
        if node not in colour and (found := visit(node)):
            return found
    return None


def test_no_import_cycle_between_parts_of_the_package():
    edges = _edges()
    assert edges["cli"], "the scan found no imports: it is not reading the package"
    cycle = _cycle(edges)
    if cycle:
        steps = [f"{a} -> {b} (in {edges[a][b]})" for a, b in itertools.pairwise(cycle)]
        raise AssertionError("import cycle: " + "; ".join(steps))


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b": "x"}, "b": {"c": "y"}, "c": {"a": "z"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b": "x"}, "b": {}}) is None
