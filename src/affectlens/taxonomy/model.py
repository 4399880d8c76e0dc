"""Label sets as validated data: loading the YAML files under ``taxonomy/data``."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from affectlens.errors import ConfigError, ModelAssetError, UnknownNameError
from affectlens.io.yamltext import YAMLError, load_yaml

__all__ = ["AUXILIARY_FILES", "Label", "Taxonomy", "list_taxonomies", "load_taxonomy", "parse_taxonomy_name"]

AUXILIARY_FILES = frozenset({"vad_anchors.yaml", "synonyms.yaml"})  # data files that are not taxonomies

VADTuple = tuple[float, float, float]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Label(_Data):
    """One label of a taxonomy.

    ``forms`` are word forms that name the label itself (angry → anger); ``includes`` are
    other emotion words the taxonomy's authors place under it (Plutchik: rage ⊂ anger).
    ``vad`` is the label's valence–arousal–dominance anchor in [-1, 1].
    """

    name: str
    description: str = ""
    forms: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()
    parent: str | None = None
    vad: VADTuple


class Taxonomy(_Data):
    """A versioned label set, e.g. ``goemotions@1``."""

    name: str
    version: int
    title: str
    description: str = ""
    citation: str
    url: str | None = None
    neutral: str | None = None
    # whether the neutral label is dropped when another label is decided (emotion label sets);
    # sentiment keeps "neutral" beside a polarity, as GoEmotions' sentiment grouping does
    neutral_exclusive: bool = True
    labels: tuple[Label, ...]
    level: str | None = None
    parent_taxonomy: str | None = None
    groups: dict[str, dict[str, tuple[str, ...]]] = Field(default_factory=dict)
    dyads: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    vad_source: str

    @model_validator(mode="after")
    def _check(self) -> Taxonomy:
        names = [label.name for label in self.labels]
        if len(set(names)) != len(names):
            raise ValueError(f"taxonomy {self.name}: duplicate label names")
        if self.neutral is not None and self.neutral not in names:
            raise ValueError(f"taxonomy {self.name}: neutral label {self.neutral!r} not a label")
        for source, groups in self.groups.items():
            for target in groups:
                if target not in names:
                    raise ValueError(f"{self.name}: group {target!r} (from {source}) not a label")
        for dyad, parts in self.dyads.items():
            missing = [p for p in parts if p not in names]
            if missing:
                raise ValueError(f"{self.name}: dyad {dyad!r} names unknown labels {missing}")
        for label in self.labels:
            if any(not -1.0 <= x <= 1.0 for x in label.vad):
                raise ValueError(f"{self.name}: VAD anchor of {label.name!r} outside [-1, 1]")
        return self

    @property
    def id(self) -> str:
        """Versioned name written into every output, e.g. ``"goemotions@1"``."""
        return f"{self.name}@{self.version}"

    @property
    def names(self) -> list[str]:
        return [label.name for label in self.labels]

    def label(self, name: str) -> Label:
        for label in self.labels:
            if label.name == name:
                return label
        raise UnknownNameError(f"label of {self.id}", name, self.names)

    def index(self, name: str) -> int:
        return self.names.index(self.label(name).name)


def parse_taxonomy_name(name: str) -> tuple[str, int | None]:
    """``"goemotions@1"`` → ``("goemotions", 1)``; ``"ekman"`` → ``("ekman", None)``."""
    base, sep, version = name.strip().lower().partition("@")
    if not sep:
        return base, None
    if not version.isdigit():
        raise ConfigError(f"taxonomy version in {name!r} must be a number, e.g. 'goemotions@1'")
    return base, int(version)


def load_taxonomy(name: str) -> Taxonomy:
    """The taxonomy called ``name`` (optionally versioned, ``"ekman@1"``).

    >>> load_taxonomy("ekman").names
    ['anger', 'disgust', 'fear', 'joy', 'sadness', 'surprise', 'neutral']
    """
    base, version = parse_taxonomy_name(name)
    known = _all_taxonomies()
    if base not in known:
        raise UnknownNameError("taxonomy", base, known)
    taxonomy = known[base]
    if version is not None and version != taxonomy.version:
        raise ConfigError(
            f"taxonomy {base!r} has version {taxonomy.version}, not {version}",
            hint=f"use {taxonomy.id!r}",
        )
    return taxonomy


def list_taxonomies() -> list[Taxonomy]:
    return list(_all_taxonomies().values())


@cache
def _all_taxonomies() -> dict[str, Taxonomy]:
    data = resources.files("affectlens.taxonomy") / "data"
    anchors_doc = _read_yaml(data / "vad_anchors.yaml")
    anchors: dict[str, dict[str, list[float]]] = anchors_doc["anchors"]
    vad_source = anchors_doc["source"]
    out: dict[str, Taxonomy] = {}
    for file in sorted(data.iterdir(), key=lambda f: f.name):
        if not file.name.endswith(".yaml") or file.name in AUXILIARY_FILES:
            continue
        doc = _read_yaml(file)
        for raw in _expand(doc):
            table = anchors.get(raw["name"], {})
            labels = []
            for label in raw["labels"]:
                if label["name"] not in table:
                    raise ModelAssetError(
                        f"taxonomy {raw['name']}: label {label['name']!r} has no VAD anchor",
                        hint="regenerate vad_anchors.yaml (docs/training.md)",
                    )
                labels.append({**label, "vad": tuple(table[label["name"]])})
            try:
                out[raw["name"]] = Taxonomy(**{**raw, "labels": labels, "vad_source": vad_source})
            except ValidationError as exc:
                raise ModelAssetError(f"taxonomy file {file.name} is invalid: {exc}") from exc
    return out


def _read_yaml(file: Any) -> dict[str, Any]:
    try:
        return load_yaml(file.read_text(encoding="utf-8"))
    except (OSError, YAMLError) as exc:
        raise ModelAssetError(f"cannot read taxonomy data {file.name}: {exc}") from exc


def _expand(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """A flat taxonomy as is; a ``tree`` (Parrott) as one taxonomy per level."""
    if "tree" not in doc:
        return [doc]
    common = {k: v for k, v in doc.items() if k not in ("tree", "levels", "name")}
    primary, secondary, tertiary = doc["levels"]
    names = {
        primary: doc["name"],
        secondary: f"{doc['name']}-{secondary}",
        tertiary: f"{doc['name']}-{tertiary}",
    }
    rows: dict[str, list[dict[str, Any]]] = {primary: [], secondary: [], tertiary: []}
    for first, seconds in doc["tree"].items():
        rows[primary].append({"name": first})
        for second, thirds in seconds.items():
            rows[secondary].append({"name": second, "parent": first})
            rows[tertiary].extend({"name": third, "parent": second} for third in thirds)
    parents = {primary: None, secondary: names[primary], tertiary: names[secondary]}
    return [
        {**common, "name": names[level], "level": level, "parent_taxonomy": parents[level], "labels": rows[level]}
        for level in (primary, secondary, tertiary)
    ]
