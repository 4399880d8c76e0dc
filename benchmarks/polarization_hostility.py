"""How well the offline affect signal agrees with human hostility labels.

    python benchmarks/polarization_hostility.py --data-dir ../shared/data [--out FILE.json]

1. **OLID** (OffensEval 2019 subtask A via TweetEval, test split, 860 tweets; evaluation only):
   offensive vs not, against the readings of the embedded model — *hostile* (the hostility
   head's flag, or without a head an anger- or contempt-like label decided with negative
   valence), *emotion rule* (that label rule, always), *hostile and aimed* (and a target: the
   tweets answer "@user", so "you" and "@user" count, as in a reply), and the offline path's
   *affect* (aimed, with a hostile phrase verified in the target's sentence; "unknown" counted
   as no). Precision, recall and F1 of the offensive class, macro-F1 (TweetEval's measure:
   BERTweet 79.5 on this test set, a model trained on OLID's train split — we train on none of
   it), Cohen's kappa, and the ROC AUC of the hostility probability.
2. **Aimed insults against friendly swearing** (``evaluation/suites/insults.yaml``, written by
   the team before the head was trained): accuracy and macro-F1 of the flag, per kind.
3. **Reply pairs** (SubReddit-MaskMandate and -CovidVaccine, Lei & Huang 2022; evaluation only):
   the share of replies the offline path marks as hostile toward their parent, among replies
   the annotators labelled disagree, neutral and agree — hostility should go with disagreement.

OLID's "offensive" is not "hostile toward the other side" (profanity among friends is
offensive; a polite sneer is not): read the agreement as a bound on how far the signal can be
trusted, not as its accuracy on the construct.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import time
from importlib import resources
from pathlib import Path

import numpy as np


def olid(folder: Path, split: str) -> tuple[list[str], list[int]]:
    texts = (folder / f"{split}_text.txt").read_text(encoding="utf-8").splitlines()
    labels = [int(x) for x in (folder / f"{split}_labels.txt").read_text(encoding="utf-8").split()]
    return texts, labels


def scores(gold: np.ndarray, predicted: np.ndarray, probability: np.ndarray | None = None) -> dict[str, float]:
    from sklearn.metrics import cohen_kappa_score, f1_score, precision_score, recall_score, roc_auc_score

    out = {
        "precision": round(100 * float(precision_score(gold, predicted, zero_division=0)), 2),
        "recall": round(100 * float(recall_score(gold, predicted)), 2),
        "f1_offensive": round(100 * float(f1_score(gold, predicted)), 2),
        "macro_f1": round(100 * float(f1_score(gold, predicted, average="macro")), 2),
        "kappa": round(float(cohen_kappa_score(gold, predicted)), 3),
        "flagged_share": round(float(predicted.mean()), 3),
    }
    if probability is not None:
        out["roc_auc"] = round(float(roc_auc_score(gold, probability)), 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    from sklearn.metrics import f1_score

    from affectlens.benchmark import cpu_info
    from affectlens.corpus.stats import rng_for, share_ci
    from affectlens.io.yamltext import load_yaml
    from affectlens.polarization.offline import OfflineAnnotator, PostInput, emotion_rule
    from affectlens.polarization.topics import load_topic

    started = time.perf_counter()
    topics = {"climate": load_topic("climate")}
    annotator = OfflineAnnotator(topics)
    texts, labels = olid(args.data_dir / "tweeteval_offensive", "test")
    posts = [PostInput(k, t, "climate", True, parent_author="user") for k, t in enumerate(texts)]
    notes = annotator.annotate(posts)
    gold = np.asarray(labels)
    hostile = np.asarray([bool(n.hostile) for n in notes])
    rule = np.asarray([emotion_rule(a) for a in annotator.analyzer.analyze_batch(texts, taxonomy="goemotions")])
    aimed = np.asarray([bool(n.hostile) and bool(n.targets) for n in notes])
    affect = np.asarray([n.affect.value == "yes" for n in notes])
    probability = np.asarray([n.hostility or 0.0 for n in notes])
    olid_result = {
        "tweets": len(texts),
        "offensive_share": round(float(gold.mean()), 3),
        "hostile": scores(gold, hostile, probability),
        "emotion_rule": scores(gold, rule),
        "hostile_and_aimed": scores(gold, aimed),
        "affect_offline_path": scores(gold, affect),
        "published_macro_f1_trained_on_olid": {"BERTweet": 79.5, "TimeLMs-2021": 82.2},
    }
    print("OLID", json.dumps(olid_result), flush=True)

    items = load_yaml((resources.files("affectlens.evaluation") / "suites" / "insults.yaml").read_text(encoding="utf-8"))["items"]
    notes = annotator.annotate([PostInput(k, i["text"], "climate", False) for k, i in enumerate(items)])
    want = np.asarray([i["hostile"] for i in items])
    got = np.asarray([bool(n.hostile) for n in notes])

    def right_of(kind: str) -> str:
        mine = [w == g for w, g, i in zip(want, got, items) if i["kind"] == kind]
        return f"{sum(mine)}/{len(mine)}"

    insults = {
        "items": len(items),
        "accuracy": round(float((want == got).mean()), 4),
        "macro_f1": round(100 * float(f1_score(want, got, average="macro")), 2),
        "by_kind": {kind: right_of(kind) for kind in dict.fromkeys(i["kind"] for i in items)},
        "wrong": [i["id"] for w, g, i in zip(want, got, items) if w != g],
    }
    print("insults", json.dumps(insults), flush=True)

    pairs = []
    for name in ("SubReddit-MaskMandate.csv", "SubReddit-CovidVaccine.csv"):
        with open(args.data_dir / "subreddit_agreement" / name, encoding="cp1252", newline="") as f:
            pairs += [(r["quote_text"], r["response_text"], int(r["relation"])) for r in csv.DictReader(f)]
    posts = [PostInput(k, reply, "climate", True, parent_text=quote) for k, (quote, reply, _) in enumerate(pairs)]
    notes = annotator.annotate(posts)
    by_relation: dict[str, dict[str, object]] = {}
    for code, name in ((0, "disagree"), (1, "neutral"), (2, "agree")):
        mine = [n for n, (_, _, r) in zip(notes, pairs) if r == code]
        k = sum(n.affect.value == "yes" for n in mine)
        low, high = share_ci(k, len(mine), rng_for("pairs", name))
        by_relation[name] = {
            "replies": len(mine),
            "hostile_share": round(k / len(mine), 4),
            "ci": [round(low, 4), round(high, 4)],
            "mean_hostility": round(float(np.mean([n.hostility or 0 for n in mine])), 4),
        }
    print("pairs", json.dumps(by_relation), flush=True)
    out = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": {"cpu": cpu_info(), "cores": os.cpu_count()},
        "head": annotator.head is not None,
        "olid_test": olid_result,
        "insults": insults,
        "reply_pairs": {"pairs": len(pairs), "by_relation": by_relation},
        "seconds": round(time.perf_counter() - started, 1),
    }
    text = json.dumps(out, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
