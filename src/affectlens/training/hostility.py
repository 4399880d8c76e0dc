"""The hostility head: is a post an insult or an attack on a person or a group?

A logistic regression on what the embedded model computes for a text anyway — its sentence
vector (the mean of its pooled token states), its 28 GoEmotions scores and its VAD
(:func:`affectlens.polarization.hostility.hostility_features`) — trained on

- Davidson et al. (2017), ``hostility/labeled_data.csv`` (MIT; tweets labelled hate speech,
  offensive language or neither by three or more coders): the target is the share of coders
  who chose hate or offensive, weighted so both classes weigh the same (the corpus is 83%
  offensive, a real stream is not);
- generated texts (:func:`generated`): aimed insults ("you absolute clown") as hostile, and
  swearing among friends, at oneself or at a thing, and disagreement without an insult, as
  not — Davidson's coders marked most profanity offensive, which is not what this head is for.

Both split by a hash of the text: 80% train, 10% dev (the threshold: the one that maximises
dev macro-F1 with both classes weighing the same), 10% test. OLID (TweetEval offensive) and the
team's aimed-insult set (``evaluation/suites/insults.yaml``) are evaluation only:
``benchmarks/polarization_hostility.py`` scores them. The head is written into the model's
asset folder (``hostility.npz``) with its manifest entry, since it reads that model's vectors.

    python -m affectlens.training hostility --data-dir ../shared/data [--asset-dir DIR]
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import random
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["clean_tweet", "davidson", "generated", "train_hostility"]

_RT = re.compile(r"^(?:RT\s+)?@\w+:?\s*", re.I)
_MENTION = re.compile(r"@\w+")
_URL = re.compile(r"https?://\S+")


def clean_tweet(text: str) -> str:
    """The corpus's artifacts out: HTML entities (emoji as ``&#128514;``), a leading
    ``RT @name:``, handles as ``@user`` (as OLID writes them), links."""
    text = html.unescape(html.unescape(text))
    text = _RT.sub("", text.strip())
    text = _URL.sub("", _MENTION.sub("@user", text))
    return " ".join(text.split())


def _split(text: str) -> str:
    h = int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16) % 10
    return "test" if h == 0 else "dev" if h == 1 else "train"


def davidson(data_dir: Path) -> dict[str, tuple[list[str], np.ndarray]]:
    """``{split: (texts, share of coders who chose hate or offensive)}``."""
    path = data_dir / "hostility" / "labeled_data.csv"
    out: dict[str, tuple[list[str], list[float]]] = {"train": ([], []), "dev": ([], []), "test": ([], [])}
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            text = clean_tweet(row["tweet"])
            if not text:
                continue
            share = (int(row["hate_speech"]) + int(row["offensive_language"])) / int(row["count"])
            texts, targets = out[_split(text)]
            texts.append(text)
            targets.append(share)
    return {k: (t, np.asarray(y, dtype=np.float32)) for k, (t, y) in out.items()}


_INSULTS = [
    "idiot",
    "moron",
    "clown",
    "loser",
    "liar",
    "coward",
    "fraud",
    "joke",
    "disgrace",
    "hypocrite",
    "muppet",
    "imbecile",
    "snake",
    "rat",
    "creep",
    "halfwit",
    "buffoon",
    "parasite",
    "bigot",
    "grifter",
    "leech",
    "lowlife",
    "numpty",
    "dimwit",
]
_INSULT_ADJ = [
    "pathetic",
    "brainless",
    "spineless",
    "clueless",
    "lying",
    "worthless",
    "deluded",
    "ignorant",
    "useless",
    "dim",
    "greedy",
    "two-faced",
    "vile",
    "smug",
    "gutless",
    "incompetent",
    "dishonest",
    "miserable",
    "petty",
    "thick",
]
_GROUPS = [
    "vegans",
    "boomers",
    "cyclists",
    "politicians",
    "influencers",
    "lawyers",
    "the fans of that club",
    "climate activists",
    "crypto bros",
    "the people on the council",
    "conservatives",
    "liberals",
    "gamers",
    "teachers",
    "bankers",
    "drivers",
    "the neighbours",
    "referees",
    "tech bros",
    "the management",
]
_PEOPLE = ["The coach", "Your brother", "That senator", "The landlord", "Our manager", "The ref", "Her ex", "The CEO"]
_GROUP_INSULTS = ["idiots", "morons", "parasites", "clowns", "liars", "sheep", "scum", "cowards", "frauds", "leeches", "vermin"]
_PRAISE = ["you legend", "you genius", "you star", "you beauty", "you absolute hero", "you lucky thing", "you clever sod"]
_JOY = [
    "we actually won",
    "the concert was unreal",
    "she said yes",
    "I got the job",
    "we made it to the final",
    "the holiday is booked",
    "that goal was unbelievable",
    "you got us front row seats",
    "the baby is here",
    "my brother passed his exams",
    "the band is reuniting",
]
_SWEARS = ["holy shit", "fuck yeah", "damn", "hell yes", "bloody hell", "oh my fucking god", "shit yes", "fucking finally"]
_THINGS = [
    "this laptop",
    "the wifi",
    "my car",
    "the train",
    "this weather",
    "the washing machine",
    "the printer",
    "my phone",
    "this lid",
    "the heating",
    "this traffic",
    "the queue",
]
_BROKEN = ["died again", "broke down again", "is being useless", "crashed for the third time", "won't start", "is a nightmare"]
_SELF = [
    "I'm such an idiot, I {mishap}",
    "ugh I'm a mess, {mishap}",
    "what a muppet I am, I {mishap}",
    "damn it, I {mishap}",
]
_MISHAPS = ["forgot my passport", "burnt the toast again", "missed the bus", "sent the email to the wrong person", "lost my keys"]
_DISAGREE = [
    "I disagree with {x}, the numbers don't support it.",
    "I think {x} is a bad idea and here is why.",
    "Not convinced by {x}, to be honest.",
    "{X} will cost more than it saves, in my view.",
    "I see your point about {x}, but I still think you're wrong.",
    "Your figures on {x} look off to me.",
    "I'm furious about {x}, it will hurt families here.",
    "{X} is a disaster for this town.",
]
_POLICIES = ["the new tax", "the bike lane plan", "the school merger", "the stadium deal", "the four-day week", "the rent cap"]


def generated(seed: int = 11) -> Iterator[tuple[str, float]]:
    """(text, target): aimed insults (1) and swearing, anger at things or disagreement that
    attacks no one (0)."""
    rng = random.Random(seed)
    pick = rng.choice
    for _ in range(1500):
        form = rng.randrange(10)
        adj, noun, group = pick(_INSULT_ADJ), pick(_INSULTS), pick(_GROUPS)
        if form == 0:
            yield f"You're a {adj} {noun}{pick(['.', '!', ''])}", 1.0
        elif form == 1:
            yield f"{pick(['Shut up', 'Shut it', 'Get lost', 'Go away', 'Give it a rest'])}, you {adj} {noun}.", 1.0
        elif form == 2:
            yield f"{group.capitalize()} are {adj} {pick(_GROUP_INSULTS)}.", 1.0
        elif form == 3:
            yield f"@user what a {adj} {noun} you are", 1.0
        elif form == 4:
            yield f"All {group} are {pick(_GROUP_INSULTS)}, every one of them.", 1.0
        elif form == 5:
            yield f"Nobody asked you, {noun}.", 1.0
        elif form == 6:
            yield f"{pick(_PEOPLE)} is a {adj} {noun}.", 1.0
        elif form == 7:
            yield f"Typical {noun}, {pick(['as always', 'nothing new', 'what did we expect'])}.", 1.0
        elif form == 8:
            dull = pick(["stupid", "thick", "selfish", "dim"])
            yield f"{group.capitalize()} are too {dull} to {pick(['see it', 'get it', 'read'])}.", 1.0
        else:
            yield f"you {pick(['absolute', 'complete', 'total'])} {noun}", 1.0
    for _ in range(2500):
        form = rng.randrange(7)
        if form == 5:
            good = pick(["legend", "genius", "star", "hero", "saint", "lifesaver"])
            yield f"{pick(_PEOPLE)} is a {pick(['fucking', 'bloody', 'damn'])} {good}{pick(['!', '.', ' 🙌'])}", 0.0
        elif form == 6:
            praise = pick(["brilliant", "good", "amazing", "talented"])
            role = pick(["cook", "friend", "driver", "singer", "teacher", "dad"])
            yield (
                f"You're a {pick(['fucking', 'bloody', 'damn', 'hell of a'])} {praise} {role}{pick(['!', '.', ', honestly'])}",
                0.0,
            )
        elif form == 0:
            yield f"{pick(_SWEARS).capitalize()}, {pick(_JOY)}!", 0.0
        elif form == 1:
            yield f"{pick(_SWEARS).capitalize()}, {pick(_PRAISE)}!", 0.0
        elif form == 2:
            yield f"{pick(_THINGS).capitalize()} {pick(_BROKEN)}, {pick(['fucking hell', 'for fuck sake', 'shit', 'ffs'])}.", 0.0
        elif form == 3:
            yield pick(_SELF).format(mishap=pick(_MISHAPS)), 0.0
        else:
            x = pick(_POLICIES)
            yield pick(_DISAGREE).format(x=x, X=x[0].upper() + x[1:]), 0.0


def _balanced_f1(target: np.ndarray, probability: np.ndarray, threshold: float) -> float:
    """Macro-F1 of the flag at ``threshold`` against ``target >= 0.5``, both classes weighing the same."""
    from sklearn.metrics import f1_score

    gold = (target >= 0.5).astype(int)
    weight = _balance(gold)
    return float(f1_score(gold, (probability >= threshold).astype(int), average="macro", sample_weight=weight))


def _balance(gold: np.ndarray) -> np.ndarray:
    """Per text, the weight that makes both classes of ``gold`` (0/1) weigh half."""
    return np.where(gold == 1, 0.5 / gold.mean(), 0.5 / (1 - gold.mean()))


def train_hostility(data_dir: Path, asset_dir: Path, *, command: str = "", log: Any = print) -> dict[str, Any]:
    """Fit the head on the vectors of the model in ``asset_dir``; write ``hostility.npz`` and its
    manifest entry there. Returns the entry."""
    from sklearn.linear_model import LogisticRegression

    from affectlens.analyzers.base import AnalyzeOptions
    from affectlens.analyzers.embedded import EmbeddedAnalyzer
    from affectlens.polarization.hostility import FILE, HostilityHead, hostility_features
    from affectlens.training.augment import _suite_texts
    from affectlens.training.build import _git_commit, _write_files

    started = time.perf_counter()
    analyzer = EmbeddedAnalyzer(model_dir=asset_dir)
    parts = davidson(data_dir)
    davidson_rows = {k: len(v[0]) for k, v in parts.items()}
    held_out = _suite_texts()  # every shipped suite's texts, the aimed-insult set's among them
    extra = [(t, y) for t, y in dict(generated()).items() if t.lower().strip() not in held_out]
    for split in ("train", "dev", "test"):  # generated texts split by the same hash
        mine = [(t, y) for t, y in extra if _split(t) == split]
        texts_, target_ = parts[split]
        parts[split] = (texts_ + [t for t, _ in mine], np.concatenate([target_, np.asarray([y for _, y in mine], np.float32)]))
    texts, target = parts["train"]

    def vectors(batch: list[str]) -> np.ndarray:
        return hostility_features(*analyzer.analyze_with_vectors(batch, options=AnalyzeOptions(taxonomy="goemotions")))

    log(f"encoding {len(texts)} training texts with {asset_dir.name}")
    x_train = vectors(texts)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0) + 1e-6
    # soft targets as two weighted rows per text; classes weigh the same
    balance = _balance((target >= 0.5).astype(int))
    xs = np.concatenate([(x_train - mean) / std] * 2)
    ys = np.concatenate([np.ones(len(target)), np.zeros(len(target))])
    ws = np.concatenate([target * balance, (1 - target) * balance])
    keep = ws > 0
    model = LogisticRegression(C=0.05, max_iter=2000)
    model.fit(xs[keep], ys[keep], sample_weight=ws[keep])
    weights = (model.coef_[0] / std).astype(np.float32)
    bias = float(model.intercept_[0] - (model.coef_[0] * mean / std).sum())
    head = HostilityHead(weights, bias, 0.5)

    def scored(batch: list[str]) -> np.ndarray:  # as at run time: the most hostile of the text and its clauses
        analyses, vecs = analyzer.analyze_with_vectors(batch, options=AnalyzeOptions(taxonomy="goemotions"))
        return head.score(analyzer, batch, analyses, vecs)

    p_dev = scored(parts["dev"][0])
    grid = np.round(np.arange(0.2, 0.81, 0.01), 2)
    f1s = [_balanced_f1(parts["dev"][1], p_dev, t) for t in grid]
    threshold = float(grid[int(np.argmax(f1s))])
    np.savez(asset_dir / FILE, weight=weights, bias=np.float32(bias), threshold=np.float32(threshold))
    test_texts, test_target = parts["test"]
    p_test = scored(test_texts)
    entry = {
        "what": "logistic regression on the sentence vector, GoEmotions scores and VAD: insult or attack on a person or group",
        "data": {
            "davidson": {
                "file": "hostility/labeled_data.csv",
                "sha256": hashlib.sha256((data_dir / "hostility" / "labeled_data.csv").read_bytes()).hexdigest(),
                "licence": "MIT (github.com/t-davidson/hate-speech-and-offensive-language @cb50f7e)",
                "rows": davidson_rows,
            },
            "generated": {"module": "affectlens.training.hostility.generated", "rows": len(extra), "licence": "ours"},
        },
        "threshold": threshold,
        "dev_macro_f1_balanced": round(max(f1s), 4),
        "test_macro_f1_balanced": round(_balanced_f1(test_target, p_test, threshold), 4),
        "command": command,
        "code": _git_commit(),
        "seconds": round(time.perf_counter() - started, 1),
    }
    manifest = json.loads((asset_dir / "MANIFEST.json").read_text(encoding="utf-8"))
    manifest["hostility"] = entry
    _write_files(asset_dir, manifest)
    log(json.dumps({k: v for k, v in entry.items() if k != "data"}))
    return entry
