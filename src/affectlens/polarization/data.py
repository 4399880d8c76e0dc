"""Topic and rule files: versioned YAML, shipped under ``polarization/data`` or the user's own.

A name finds a shipped file (``"climate"``, or ``"climate@1"`` to insist on a version); a
path (anything ending in ``.yaml``, ``.yml`` or ``.json``, or an existing file) reads the
user's file. Either way the content is validated by the given pydantic model and a problem
is a :class:`~affectlens.errors.ConfigError` that names the file and the field.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from affectlens.errors import ConfigError, UnknownNameError
from affectlens.io.yamltext import YAMLError, load_yaml

__all__ = ["load_data", "shipped_names"]

M = TypeVar("M", bound=BaseModel)
_SUFFIXES = (".yaml", ".yml", ".json")


def _folder(kind: str) -> Any:
    return resources.files("affectlens.polarization") / "data" / f"{kind}s"


def shipped_names(kind: str) -> list[str]:
    """The shipped files of ``kind`` (``"topic"`` or ``"rule"``), by name."""
    return sorted(f.name.rsplit(".", 1)[0] for f in _folder(kind).iterdir() if f.name.endswith(".yaml"))


def load_data(kind: str, name: str, model: type[M]) -> M:
    """The ``kind`` file called (or at) ``name``, validated as ``model``."""
    if name.endswith(_SUFFIXES) or Path(name).is_file():
        path = Path(name).expanduser()
        if not path.is_file():
            raise ConfigError(f"{kind} file {name!r} not found")
        return _validate(kind, str(path), path.read_text(encoding="utf-8"), model, None)
    base, sep, version = name.strip().lower().partition("@")
    if sep and not version.isdigit():
        raise ConfigError(f"the version in {name!r} must be a number, e.g. '{base}@1'")
    file = _folder(kind) / f"{base}.yaml"
    if not file.is_file():
        raise UnknownNameError(kind, base, shipped_names(kind))
    return _validate(kind, base, file.read_text(encoding="utf-8"), model, int(version) if sep else None)


def _validate(kind: str, where: str, text: str, model: type[M], version: int | None) -> M:
    try:
        raw = load_yaml(text)
    except YAMLError as exc:
        raise ConfigError(f"{kind} file {where!r} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{kind} file {where!r} must hold a mapping of fields")
    try:
        value = model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(map(str, first["loc"])) or kind
        raise ConfigError(
            f"{kind} file {where!r}: {field}: {first['msg']}", hint=f"{len(exc.errors())} problem(s) in all"
        ) from exc
    found = getattr(value, "version", None)
    if version is not None and found != version:
        raise ConfigError(f"{kind} {where!r} has version {found}, not {version}", hint=f"use {where}@{found}")
    return value
