"""Lazy name → implementation registries.

Implementations are registered as ``"module:attribute"`` strings and imported only when
first asked for, so importing affectlens never imports a heavy backend. Third parties add
entries through the entry-point group given to the registry (``affectlens.backends`` for
analyzers)::

    [project.entry-points."affectlens.backends"]
    mymodel = "my_package.analyzer:MyAnalyzer"
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from affectlens.errors import ProgrammingError, UnknownNameError

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to lazily imported objects of one kind (analyzer classes, datasets…)."""

    def __init__(self, kind: str, *, entry_point_group: str | None = None) -> None:
        self.kind = kind
        self._group = entry_point_group
        self._targets: dict[str, str] = {}
        self._loaded: dict[str, T] = {}
        self._entry_points_read = entry_point_group is None

    def register(self, name: str, target: str | T, *, replace: bool = False) -> None:
        """Register ``target`` (an object, or ``"module:attribute"``) under ``name``."""
        if not replace and (name in self._targets or name in self._loaded):
            raise ProgrammingError(f"{self.kind} {name!r} is already registered")
        self._loaded.pop(name, None)
        self._targets.pop(name, None)
        if isinstance(target, str):
            if ":" not in target:
                raise ProgrammingError(f"target {target!r} must look like 'module:attribute'")
            self._targets[name] = target
        else:
            self._loaded[name] = target

    def unregister(self, name: str) -> None:
        """Remove ``name`` (used by tests to undo a registration)."""
        self._targets.pop(name, None)
        self._loaded.pop(name, None)

    def get(self, name: str) -> T:
        """The object registered as ``name``; unknown names list the close matches."""
        self._read_entry_points()
        if name in self._loaded:
            return self._loaded[name]
        if name not in self._targets:
            raise UnknownNameError(self.kind, name, self.names())
        module_name, _, attribute = self._targets[name].partition(":")
        obj: T = getattr(importlib.import_module(module_name), attribute)
        self._loaded[name] = obj
        return obj

    def names(self) -> list[str]:
        self._read_entry_points()
        return sorted({*self._targets, *self._loaded})

    def targets(self) -> dict[str, str]:
        """Name → where it comes from, without importing anything."""
        self._read_entry_points()
        out = dict(self._targets)
        for name, obj in self._loaded.items():
            out.setdefault(name, f"{type(obj).__module__}:{getattr(obj, '__name__', obj)!s}")
        return dict(sorted(out.items()))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self.names()

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def _read_entry_points(self) -> None:
        if self._entry_points_read:
            return
        self._entry_points_read = True
        for ep in entry_points(group=self._group or ""):
            self._targets.setdefault(ep.name, ep.value)
