"""Score offline peer tools beside affectlens on GoEmotions test, in one run.

    make peers-bench            # creates .venv-peers, installs the peers, runs this script
    python benchmarks/peers.py --data-dir ../shared/data [--limit N] [--json out.json]

Ekman-grouped (6 + neutral, the GoEmotions authors' grouping of the gold labels):

- affectlens: the embedded backend answering in the ``ekman`` taxonomy.
- NRCLex 4.1.0: NRC Emotion Lexicon counts over our own lowercase word tokens
  (``load_token_list``; its ``load_raw_text`` needs NLTK data that is not available offline).
- EmoAtlas 0.1.6: ``EmoScores.emotions`` (Plutchik counts) with a blank English spaCy
  pipeline and a lookup lemmatizer (its default spaCy model is not on PyPI); trust and
  anticipation have no Ekman counterpart and are dropped.
- Empath 0.89: its categories anger, disgust, fear, joy, sadness, surprise.

For the lexicon tools the prediction is the top-scoring Ekman emotion(s), ties kept, and
neutral when no emotion word fires. Sentiment-grouped (positive / negative / ambiguous /
neutral): affectlens in the ``sentiment`` taxonomy, and VADER 3.3.2 with its authors'
thresholds (compound >= 0.05 positive, <= -0.05 negative, else neutral; it has no
"ambiguous"). Texts/second: each tool over the same texts, one process, this machine.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from affectlens.api import get_analyzer
from affectlens.evaluation import metrics as m
from affectlens.evaluation.datasets import datasets

EKMAN = ["anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral"]
SENTIMENT = ["positive", "negative", "ambiguous", "neutral"]
_WORDS = re.compile(r"[a-z']+")


def top_labels(scores: dict[str, float]) -> list[str]:
    """The highest-scoring emotion(s), or neutral when nothing scored."""
    best = max(scores.values(), default=0.0)
    return [k for k, v in scores.items() if v == best] if best > 0 else ["neutral"]


def nrclex_predict() -> Callable[[str], list[str]]:
    from nrclex import NRCLex

    def predict(text: str) -> list[str]:
        lex = NRCLex()
        lex.load_token_list(_WORDS.findall(text.lower()))
        return top_labels({e: float(lex.raw_emotion_scores.get(e, 0)) for e in EKMAN[:-1]})

    return predict


def emoatlas_predict() -> Callable[[str], list[str]]:
    import spacy
    from emoatlas import EmoScores

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    folder = tempfile.mkdtemp(prefix="en_lookup_")
    nlp.to_disk(folder)
    emos = EmoScores(spacy_model=folder)

    def predict(text: str) -> list[str]:
        counts = emos.emotions(text)
        return top_labels({e: float(counts.get(e, 0)) for e in EKMAN[:-1]})

    return predict


def empath_predict() -> Callable[[str], list[str]]:
    from empath import Empath

    lexicon = Empath()

    def predict(text: str) -> list[str]:
        return top_labels(lexicon.analyze(text, categories=EKMAN[:-1]) or {})

    return predict


def vader_predict() -> Callable[[str], list[str]]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()

    def predict(text: str) -> list[str]:
        c = analyzer.polarity_scores(text)["compound"]
        return ["positive"] if c >= 0.05 else ["negative"] if c <= -0.05 else ["neutral"]

    return predict


def affectlens_predict(taxonomy: str) -> Callable[[list[str]], list[list[str]]]:
    analyzer = get_analyzer("embedded")
    return lambda texts: [a.labels for a in analyzer.analyze_batch(texts, taxonomy=taxonomy)]


def score(gold: np.ndarray, predicted: list[list[str]], names: list[str], seconds: float) -> dict[str, float]:
    pred = np.array([[n in labels for n in names] for labels in predicted])
    return {
        "macro_f1": round(m.macro_f1(gold, pred), 4),
        "micro_f1": round(m.micro_f1(gold, pred), 4),
        "texts_per_s": round(len(predicted) / seconds, 1),
    }


def run_one(predict: Callable, texts: list[str], batch: bool) -> tuple[list[list[str]], float]:
    start = time.perf_counter()
    out = predict(texts) if batch else [predict(t) for t in texts]
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()

    ekman = datasets.get("goemotions-ekman").load(Path(args.data_dir), "test")
    sentiment = datasets.get("goemotions-sentiment").load(Path(args.data_dir), "test")
    if args.limit:
        ekman, sentiment = ekman.head(args.limit), sentiment.head(args.limit)
    assert ekman.label_names == EKMAN and sentiment.label_names == SENTIMENT

    rows = []
    for name, make, batch, data, names, task in (
        ("affectlens (embedded)", lambda: affectlens_predict("ekman"), True, ekman, EKMAN, "ekman"),
        ("NRCLex 4.1.0", nrclex_predict, False, ekman, EKMAN, "ekman"),
        ("EmoAtlas 0.1.6 (reduced spaCy)", emoatlas_predict, False, ekman, EKMAN, "ekman"),
        ("Empath 0.89", empath_predict, False, ekman, EKMAN, "ekman"),
        ("affectlens (embedded)", lambda: affectlens_predict("sentiment"), True, sentiment, SENTIMENT, "sentiment"),
        ("VADER 3.3.2", vader_predict, False, sentiment, SENTIMENT, "sentiment"),
    ):
        predict = make()
        predicted, seconds = run_one(predict, data.texts, batch)
        assert data.gold is not None
        result = {"tool": name, "task": task, "n": len(data.texts), **score(data.gold, predicted, names, seconds)}
        rows.append(result)
        print(json.dumps(result), flush=True)

    print(f"\nGoEmotions test, {platform.system()} {platform.machine()}, {len(ekman.texts):,} texts\n")
    print("| task | tool | macro-F1 | micro-F1 | texts/s |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['task']} | {r['tool']} | {r['macro_f1']:.3f} | {r['micro_f1']:.3f} | {r['texts_per_s']:,.0f} |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
