"""The cross-domain development suite: kinds of text unlike GoEmotions, each scored in its own
label space, from development data only — what model and decision changes are selected on.

- **goemotions** (Reddit comments, 28 labels): macro-F1, Jaccard, labels per text.
- **brighter** (Reddit posts, personal narratives; 5 emotions and their 0–3 intensity):
  macro-F1 and Jaccard through Ekman, mean Pearson r of the intensities.
- **emolit** (fiction, Gutenberg sentences; 38 labels): macro-F1 and Jaccard over the 24
  labels it shares with GoEmotions.
- **covid-worry** (self-reports; 8 self-rated emotions 1–9 and the one chosen): mean Pearson
  r over the 7 with a GoEmotions counterpart, hit@1 of the chosen one.
- **fb-va** (Facebook posts; valence and arousal 1–9, two raters): Pearson r.
- **emobank** (sentences; valence, arousal, dominance): Pearson r.

Splits: GoEmotions, EmoBank and BRIGHTER have a published dev split, used as is. EmoLit,
COVID worry and the Facebook posts have none: :func:`split_of` puts each item in train
(60%), dev (20%) or test (20%) by a hash of its id, once and for all; only dev is read here,
and test is left for reporting. Nothing here reads a test split.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from affectlens.analyzers.base import Analyzer
from affectlens.schema import Analysis

__all__ = ["CORPORA", "CorpusDev", "crossdomain_dev", "load_corpus", "split_of"]

CORPORA = ("goemotions", "brighter", "emolit", "covid-worry", "fb-va", "emobank")
BRIGHTER_LABELS = ("anger", "fear", "joy", "sadness", "surprise")
# COVID worry's self-rated emotions and the GoEmotions labels that express them
COVID_LABELS = {
    "anger": ("anger", "annoyance"),
    "disgust": ("disgust",),
    "fear": ("fear",),
    "anxiety": ("nervousness", "fear"),
    "sadness": ("sadness", "grief", "disappointment"),
    "happiness": ("joy", "amusement", "optimism"),
    "desire": ("desire",),
}


def split_of(key: str) -> str:
    """``train``, ``dev`` or ``test`` for an item of a corpus without a published split (60/20/20,
    by the first 8 hex digits of the SHA-256 of its id): stable across machines and versions."""
    bucket = int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "train" if bucket < 60 else "dev" if bucket < 80 else "test"


@dataclass
class CorpusDev:
    """One corpus's development items: texts and whatever gold it has."""

    name: str
    texts: list[str]
    labels: list[str] | None = None  # gold label space (GoEmotions names where they exist)
    gold: np.ndarray | None = None  # [n, L] 0/1
    intensity: np.ndarray | None = None  # [n, L] graded gold for the same labels
    vad: np.ndarray | None = None  # [n, 2 or 3] gold valence, arousal (, dominance) on [-1, 1]
    chosen: list[str] | None = None  # COVID worry: the one emotion each writer chose


def load_corpus(name: str, data_dir: str | Path, split: str = "dev") -> CorpusDev:
    """The ``split`` part — ``dev`` (this suite) or ``train`` (what training may read:
    :mod:`affectlens.training.sources`, the distillation pool) — of corpus ``name``. Test
    parts are never read here."""
    if split not in ("train", "dev"):
        raise ValueError(f"split {split!r}: the suite reads dev parts, training train parts; never test")
    data_dir = Path(data_dir)
    if name in ("goemotions", "emobank"):
        from affectlens.evaluation.datasets import datasets

        data = datasets.get(name).load(data_dir, split)
        if name == "goemotions":
            return CorpusDev(name, data.texts, data.label_names, data.gold)
        return CorpusDev(name, data.texts, vad=data.vad)
    if name == "brighter":
        rows = _csv(data_dir / "brighter_eng" / "track_a" / split / "eng.csv")
        graded = {r["text"]: r for r in _csv(data_dir / "brighter_eng" / "track_b" / split / "eng.csv")}
        gold = np.array([[int(r[label]) for label in BRIGHTER_LABELS] for r in rows])
        intensity = np.array(
            [[float(graded[r["text"]][label]) if r["text"] in graded else np.nan for label in BRIGHTER_LABELS] for r in rows]
        )
        return CorpusDev(name, [r["text"] for r in rows], list(BRIGHTER_LABELS), gold, intensity)
    if name == "emolit":
        from affectlens.taxonomy import load_taxonomy

        with open(data_dir / "emolit" / "gold.tsv", encoding="utf-8", newline="") as f:
            rows = [
                r for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE) if split_of(f"emolit:{r['tid']}") == split
            ]
        shared = [label for label in load_taxonomy("goemotions").names if rows and label in rows[0]]
        return CorpusDev(name, [r["text"] for r in rows], shared, np.array([[int(r[label]) for label in shared] for r in rows]))
    if name == "covid-worry":
        rows = [r for r in _csv(data_dir / "covid_worry_rwwd" / "rwwd_full.csv") if split_of(f"covid-worry:{r['']}") == split]
        labels = list(COVID_LABELS)
        intensity = np.array([[float(r[label]) for label in labels] for r in rows])
        return CorpusDev(
            name, [r["text_long"] for r in rows], labels, intensity=intensity, chosen=[r["chosen_emotion"].lower() for r in rows]
        )
    if name == "fb-va":
        rows = _csv(data_dir / "fb_valence_arousal" / "dataset-fb-valence-arousal-anon.csv")
        rows = [r for r in rows if split_of(f"fb-va:{r['Anonymized Message']}") == split]
        vad = np.array(
            [[(float(r["Valence1"]) + float(r["Valence2"])) / 2, (float(r["Arousal1"]) + float(r["Arousal2"])) / 2] for r in rows]
        )
        return CorpusDev(name, [r["Anonymized Message"] for r in rows], vad=(vad - 5.0) / 4.0)
    raise KeyError(f"unknown corpus {name!r}: one of {', '.join(CORPORA)}")


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _set_scores(pred: np.ndarray, gold: np.ndarray) -> dict[str, float]:
    pred, gold = pred.astype(bool), gold.astype(bool)
    tp, fp, fn = (pred & gold).sum(0), (pred & ~gold).sum(0), (~pred & gold).sum(0)
    f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0)
    union = (pred | gold).sum(1)
    jaccard = np.where(union > 0, (pred & gold).sum(1) / np.maximum(union, 1), 1.0)
    return {
        "macro_f1": round(float(f1.mean()), 4),
        "jaccard": round(float(jaccard.mean()), 4),
        "labels_per_text": round(float(pred.sum(1).mean()), 3),
        "gold_labels_per_text": round(float(gold.sum(1).mean()), 3),
    }


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    ok = ~(np.isnan(x) | np.isnan(y))
    if ok.sum() < 3 or np.std(x[ok]) == 0 or np.std(y[ok]) == 0:
        return float("nan")
    return float(np.corrcoef(x[ok], y[ok])[0, 1])


def score_corpus(corpus: CorpusDev, analyses: Sequence[Analysis], ekman: Sequence[Analysis] | None = None) -> dict[str, Any]:
    """The corpus's figures from the analyses of its texts (GoEmotions taxonomy; ``ekman``: the
    same texts in the Ekman taxonomy, for BRIGHTER)."""
    out: dict[str, Any] = {"n": len(corpus.texts)}
    if corpus.name in ("goemotions", "emolit"):
        assert corpus.labels is not None and corpus.gold is not None
        pred = np.array([[label in a.labels for label in corpus.labels] for a in analyses])
        out.update(_set_scores(pred, corpus.gold))
    elif corpus.name == "brighter":
        assert ekman is not None and corpus.gold is not None and corpus.intensity is not None
        pred = np.array([[label in a.labels for label in BRIGHTER_LABELS] for a in ekman])
        out.update(_set_scores(pred, corpus.gold))
        scores = np.array([[a.scores.get(label, 0.0) for label in BRIGHTER_LABELS] for a in ekman])
        out["intensity_r"] = round(float(np.nanmean([_pearson(scores[:, j], corpus.intensity[:, j]) for j in range(5)])), 4)
    elif corpus.name == "covid-worry":
        assert corpus.intensity is not None and corpus.chosen is not None
        scores = np.array([[max(a.scores.get(g, 0.0) for g in COVID_LABELS[label]) for label in COVID_LABELS] for a in analyses])
        rs = {label: round(_pearson(scores[:, j], corpus.intensity[:, j]), 4) for j, label in enumerate(COVID_LABELS)}
        out["rating_r"] = rs
        out["mean_rating_r"] = round(float(np.nanmean(list(rs.values()))), 4)
        known = [k for k, c in enumerate(corpus.chosen) if c in COVID_LABELS]
        hits = [list(COVID_LABELS)[int(scores[k].argmax())] == corpus.chosen[k] for k in known]
        out["chosen_hit_at_1"] = round(float(np.mean(hits)), 4) if hits else None
        out["labels_per_text"] = round(float(np.mean([len(a.labels) for a in analyses])), 3)
    else:  # fb-va, emobank
        assert corpus.vad is not None
        pred = np.array([[a.vad.valence, a.vad.arousal, a.vad.dominance] for a in analyses])
        for j, dim in enumerate(("valence", "arousal", "dominance")[: corpus.vad.shape[1]]):
            out[f"{dim}_r"] = round(_pearson(pred[:, j], corpus.vad[:, j]), 4)
    out.update(_label_set_checks(analyses))
    return out


def _label_set_checks(analyses: Sequence[Analysis]) -> dict[str, int]:
    """How often a label set looks unlike a person's: neutral beside an emotion, the dominant
    label missing from the labels, a confidence of exactly 0 or 1."""
    return {
        "neutral_with_emotion": sum("neutral" in a.labels and len(a.labels) > 1 for a in analyses),
        "dominant_not_in_labels": sum(bool(a.labels) and a.dominant not in a.labels for a in analyses),
        "confidence_0_or_1": sum(a.confidence in (0.0, 1.0) for a in analyses),
    }


def crossdomain_dev(analyzer: Analyzer, data_dir: str | Path, corpora: Sequence[str] = CORPORA) -> dict[str, dict[str, Any]]:
    """Each corpus's development figures for ``analyzer``."""
    results: dict[str, dict[str, Any]] = {}
    for name in corpora:
        corpus = load_corpus(name, data_dir)
        analyses = analyzer.analyze_batch(corpus.texts, max_chars=1_000_000)
        ekman = analyzer.analyze_batch(corpus.texts, taxonomy="ekman") if name == "brighter" else None
        results[name] = score_corpus(corpus, analyses, ekman)
    return results
