"""Mapping labels and scores between taxonomies.

A label is mapped by the first rule that applies, in this order:

1. ``identity`` — same taxonomy.
2. ``group`` — the target publishes a grouping of the source's labels (GoEmotions → Ekman).
3. ``hierarchy`` — the source is a finer tier of the target (Parrott tertiary → primary).
4. ``name`` — the word, or one of its forms, is a target label, one of its forms, or one of
   the words the target's authors place under a label (Plutchik: rage ⊂ anger); matches in
   a finer tier are lifted to the target's tier.
5. ``dyad`` — the target names the word as a blend of two of its labels (Plutchik: love =
   joy + trust).
6. ``via`` — a third taxonomy publishes a grouping of the source's labels whose group
   names the target by rule 4 (GoEmotions gratitude → Ekman joy → Plutchik joy).
7. ``synonym`` — an open-vocabulary word (not a label of its source) found, in any
   inflection, in the synonym table (:mod:`affectlens.taxonomy.vocabulary`): its GoEmotions
   labels, mapped on by these same rules ("livid" → anger).
8. ``neutral`` — neutral maps to the target's neutral label, or to nothing.
9. ``vad`` — otherwise the target label nearest in valence–arousal–dominance space.

Scores follow the label mapping with a noisy-OR: a target label is absent only if every
source label mapped onto it is absent, ``p(t) = 1 - Π_s (1 - w_st · p(s))``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Literal

import numpy as np

from affectlens.taxonomy.model import Label, Taxonomy, list_taxonomies, load_taxonomy
from affectlens.taxonomy.vocabulary import base_forms, synonym_labels

__all__ = ["LabelMapping", "map_label", "map_label_sets", "mapping_matrix", "noisy_or"]

Method = Literal["identity", "group", "hierarchy", "name", "dyad", "via", "synonym", "neutral", "vad", "unmapped"]


@dataclass(frozen=True)
class LabelMapping:
    """Where one word or label lands in a target taxonomy, and by which rule."""

    source: str
    target_taxonomy: str
    targets: tuple[tuple[str, float], ...]
    method: Method
    detail: str = ""

    @property
    def labels(self) -> list[str]:
        return [label for label, _ in self.targets]


def map_label(word: str, to: Taxonomy, *, source: Taxonomy | None = None) -> LabelMapping:
    """Map ``word`` (a label of ``source``, or any emotion word) onto taxonomy ``to``.

    >>> from affectlens.taxonomy import load_taxonomy
    >>> m = map_label("annoyance", load_taxonomy("ekman"), source=load_taxonomy("goemotions"))
    >>> (m.labels, m.method)
    (['anger'], 'group')
    """
    word = word.strip().lower()

    def result(method: Method, labels: list[str], detail: str = "") -> LabelMapping:
        return LabelMapping(word, to.id, tuple((label, 1.0) for label in labels), method, detail)

    if source is not None and source.name == to.name and word in source.names:
        return result("identity", [word])
    if source is not None and source.name in to.groups:
        hits = [t for t, members in to.groups[source.name].items() if word in members]
        if hits:
            return result("group", hits, f"published grouping of {source.id} in {to.id}")
    if source is not None and word in source.names:
        lifted = _lift(source, word, to)
        if lifted is not None:
            return result("hierarchy", [lifted], f"{source.id} is a finer tier of {to.id}")
    own = source.label(word) if source is not None and word in source.names else None
    words = [word, *(own.forms if own else base_forms(word)[1:])]
    named = _name_match(words, to)
    if named is not None:
        label, detail = named
        return result("name", [label], detail)
    if word in to.dyads:
        return result("dyad", list(to.dyads[word]), f"{to.title} names it a blend")
    via = _via_grouping(word, source, to) if source is not None else None
    if via is not None:
        labels, detail = via
        return result("via", labels, detail)
    if own is None:
        synonym = synonym_labels(word)
        if synonym is not None and synonym[1] != ("neutral",):
            form, labels = synonym
            goemotions = load_taxonomy("goemotions")
            targets = [t for label in labels for t in map_label(label, to, source=goemotions).labels]
            if targets:
                return result("synonym", list(dict.fromkeys(targets)), f"{form!r} is listed under GoEmotions {list(labels)}")
    if (source is not None and word == source.neutral) or word == "neutral" or synonym_labels(word) == (word, ("neutral",)):
        if to.neutral is not None:
            return result("neutral", [to.neutral])
        return result("unmapped", [], f"{to.id} has no neutral label")
    anchor = own.vad if own is not None else _anchor_anywhere(word)
    if anchor is None:
        return result("unmapped", [], "not a label of any known taxonomy")
    candidates = [label for label in to.labels if label.name != to.neutral]
    nearest = min(candidates, key=lambda label: math.dist(label.vad, anchor))
    return result("vad", [nearest.name], f"nearest VAD anchor, distance {math.dist(nearest.vad, anchor):.3f}")


@cache
def mapping_matrix(source_id: str, target_id: str) -> np.ndarray:
    """Weights ``w[s, t]`` of source label s onto target label t (float32, read-only)."""
    source, target = load_taxonomy(source_id), load_taxonomy(target_id)
    matrix = np.zeros((len(source.labels), len(target.labels)), dtype=np.float32)
    for i, name in enumerate(source.names):
        for label, weight in map_label(name, target, source=source).targets:
            matrix[i, target.index(label)] = weight
    matrix.flags.writeable = False
    return matrix


def noisy_or(probs: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """``1 - Π_s (1 - w_st p_s)`` for a batch of source probabilities ``[n, S]`` → ``[n, T]``."""
    contrib = np.clip(probs[:, :, None] * matrix[None, :, :], 0.0, 1.0 - 1e-7)
    return 1.0 - np.exp(np.log1p(-contrib).sum(axis=1))


def map_label_sets(labels: list[str], source: Taxonomy, target: Taxonomy) -> list[str]:
    """The target labels reached by a set of source labels, in target order."""
    matrix = mapping_matrix(source.id, target.id)
    hit = np.zeros(len(target.labels), dtype=bool)
    for label in labels:
        hit |= matrix[source.index(label)] >= 0.5
    return [name for name, on in zip(target.names, hit) if on]


def _ancestors(taxonomy: Taxonomy) -> list[Taxonomy]:
    chain, current = [], taxonomy
    while current.parent_taxonomy is not None:
        current = load_taxonomy(current.parent_taxonomy)
        chain.append(current)
    return chain


def _lift(source: Taxonomy, label: str, to: Taxonomy) -> str | None:
    """Follow parents from ``source`` up to ``to``; None if ``to`` is not above ``source``."""
    if to.name not in {t.name for t in _ancestors(source)}:
        return None
    current, name = source, label
    while current.name != to.name:
        parent = current.label(name).parent
        assert parent is not None and current.parent_taxonomy is not None
        current, name = load_taxonomy(current.parent_taxonomy), parent
    return name


def _name_match(words: list[str], to: Taxonomy) -> tuple[str, str] | None:
    """The target label a word names, searching ``to`` first, then its finer tiers."""
    finer = [t for t in list_taxonomies() if to.name in {a.name for a in _ancestors(t)}]
    finer.sort(key=lambda t: len(_ancestors(t)))
    for taxonomy in [to, *finer]:
        for kind in ("name", "forms", "includes"):
            for label in taxonomy.labels:
                if any(w in _words(label, kind) for w in words):
                    target = label.name if taxonomy is to else _lift(taxonomy, label.name, to)
                    assert target is not None
                    where = "" if taxonomy is to else f" (via {taxonomy.id} {label.name!r})"
                    return target, f"matches the {kind} of {to.id} {target!r}{where}"
    return None


def _via_grouping(word: str, source: Taxonomy, to: Taxonomy) -> tuple[list[str], str] | None:
    """Target labels named by the groups a third taxonomy puts ``word`` in."""
    for middle in list_taxonomies():
        if middle.name in (source.name, to.name) or source.name not in middle.groups:
            continue
        groups = [g for g, members in middle.groups[source.name].items() if word in members]
        named = [_name_match([g], to) for g in groups]
        if groups and all(n is not None for n in named):
            labels = list(dict.fromkeys(n[0] for n in named if n is not None))
            return labels, f"{source.id} {word!r} is grouped under {middle.id} {groups}, which names {to.id} {labels}"
    return None


def _words(label: Label, kind: str) -> tuple[str, ...]:
    if kind == "name":
        return (label.name,)
    return label.forms if kind == "forms" else label.includes


def _anchor_anywhere(word: str) -> tuple[float, float, float] | None:
    for taxonomy in list_taxonomies():
        for label in taxonomy.labels:
            if word == label.name or word in label.forms:
                return label.vad
    return None
