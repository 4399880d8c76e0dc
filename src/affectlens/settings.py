"""Backend settings, one way for every door: the command line, the service, the Python API.

Every backend declares its settings as a pydantic model (:class:`BackendSettings`, the
analyzer's ``settings_model``): names, types, ranges, defaults, which ones are secrets.
Settings come in three layers, each over the one before:

1. a TOML file: ``--backend-config FILE``, else ``$AFFECTLENS_CONFIG``, else
   ``$XDG_CONFIG_HOME/affectlens/config.toml`` when it exists; its ``[backends.NAME]`` table
   (the shape of the service's config; an older file's ``[llm]`` table counts for ``openai``);
2. ``-O KEY=VALUE`` on the command line (repeatable), or keyword arguments in Python;

and the backend's own model validates the result, so an unknown name or a bad value is one
:class:`~affectlens.errors.ConfigError` that lists what the backend takes::

    affectlens analyze -i posts.csv -b openai -O base_url=http://127.0.0.1:8080/v1 -O model=qwen2.5
    affectlens backends openai      # the settings, their types and defaults

Secrets (``SecretStr`` fields, such as ``api_key``) are never written into a manifest, a
run spec on disk or an answer: :func:`public_settings` masks them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from affectlens.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "BackendSettings",
    "build_settings",
    "config_file",
    "describe_settings",
    "parse_assignments",
    "public_settings",
    "resolve_settings",
]

MASK = "***"
_LEGACY_TABLES = {"openai": "llm", "transformers": "llm"}


class BackendSettings(BaseModel):
    """Base of every backend's settings: unknown settings are refused, values are validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def config_file(explicit: str | Path | None = None) -> Path | None:
    """The settings file: ``explicit``, else ``$AFFECTLENS_CONFIG``, else the user's config.toml if any."""
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(f"config file {str(path)!r} not found")
        return path
    if os.environ.get("AFFECTLENS_CONFIG"):
        return config_file(os.environ["AFFECTLENS_CONFIG"])
    home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    path = home / "affectlens" / "config.toml"
    return path if path.is_file() else None


def _table(path: Path, name: str) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {str(path)!r}: {exc}") from exc
    table = (data.get("backends") or {}).get(name)
    if table is None and name in _LEGACY_TABLES:
        table = data.get(_LEGACY_TABLES[name])
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"[backends.{name}] in {str(path)!r} is not a table of settings")
    return dict(table or {})


def parse_assignments(assignments: Iterable[str] | None) -> dict[str, str]:
    """``["model=qwen", "samples=3"]`` -> ``{"model": "qwen", "samples": "3"}`` (the backend's model converts)."""
    out: dict[str, str] = {}
    for item in assignments or ():
        key, sep, value = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise ConfigError(f"-O {item!r} is not KEY=VALUE", hint="e.g. -O model=qwen2.5-7b-instruct -O samples=3")
        out[key] = value
    return out


def build_settings(model: type[BaseModel], name: str, values: Mapping[str, Any]) -> BaseModel:
    """``values`` validated by the backend's ``model``; every problem named in one ConfigError."""
    try:
        return model(**values)
    except ValidationError as exc:
        problems = []
        for e in exc.errors():
            where = ".".join(str(p) for p in e["loc"]) or "settings"
            problems.append(f"unknown setting {where!r}" if e["type"] == "extra_forbidden" else f"{where}: {e['msg']}")
        known = ", ".join(model.model_fields) or "none"
        raise ConfigError(
            f"invalid settings for backend {name!r}: {'; '.join(problems)}",
            hint=f"its settings: {known} (affectlens backends {name})",
        ) from exc


def resolve_settings(
    model: type[BaseModel], name: str, given: Mapping[str, Any] | None = None, *, config: str | Path | bool | None = None
) -> dict[str, Any]:
    """The settings of backend ``name`` from the layers above, validated by its ``model``:
    only the settings that were set, as plain values (secrets revealed: for building the backend).
    ``config=False`` reads no file (``given`` was resolved already, as a run's spec is)."""
    values: dict[str, Any] = {}
    path = None if config is False else config_file(None if config is True else config)
    if path is not None:
        values.update(_table(path, name))
    values.update({k: v for k, v in (given or {}).items() if v is not None})
    settings = build_settings(model, name, values)
    return {key: _plain(getattr(settings, key)) for key in values}


def public_settings(model: type[BaseModel], settings: Mapping[str, Any]) -> dict[str, Any]:
    """``settings`` fit to be written down: secrets masked."""
    secret = {name for name, field in model.model_fields.items() if _is_secret(field.annotation)}
    return {k: MASK if k in secret and v is not None else v for k, v in settings.items()}


def describe_settings(model: type[BaseModel]) -> list[dict[str, Any]]:
    """Each setting's name, type, default and description (for ``affectlens backends NAME``)."""
    rows = []
    for name, field in model.model_fields.items():
        default = None if field.is_required() else field.get_default(call_default_factory=True)
        rows.append(
            {
                "name": name,
                "type": _type_name(field.annotation),
                "default": None if _is_secret(field.annotation) else _plain(default),
                "required": field.is_required(),
                "description": field.description or "",
            }
        )
    return rows


def _plain(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, Path):
        return str(value)
    return value


def _is_secret(annotation: Any) -> bool:
    return annotation is SecretStr or SecretStr in getattr(annotation, "__args__", ())


def _type_name(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) or str(annotation)
    return text.replace("typing.", "").replace("pathlib.", "").replace("pydantic.types.", "")
