"""The offline stance classifier: a few labelled posts per stance → a classifier on the
embedded encoder's sentence vectors.

The vectors are the embedded model's (the same encoder pass that scores emotions), mean
over a text's windows, standardised; the classifier is a multinomial logistic regression
with balanced class weights, its regularisation chosen by cross-validation on the examples.
Its accuracy is estimated honestly on the same examples by nested cross-validation (the
regularisation is chosen again inside each outer fold) and recorded with the model, so a run
says how well its stance signal can be trusted on the user's own kind of text.

A post is given the most probable label when that probability reaches ``min_confidence``;
otherwise — or when the most probable label is the topic's unknown label — its stance is
unknown. Examples come from the topic file (a handful, worded by us: a start, not a model
of anyone's data) or from the user (``--stance-examples FILE``: ``text`` and ``stance``
columns, CSV/JSONL/Parquet), which is what it is for.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from affectlens.errors import InputError, MissingDependencyError
from affectlens.evaluation.metrics import macro_f1
from affectlens.polarization.topics import Topic

__all__ = ["DEFAULT_MIN_CONFIDENCE", "StanceModel", "read_examples", "topic_examples", "train_stance"]

DEFAULT_MIN_CONFIDENCE = 0.5
#: below this cross-validated macro-F1 the offline stances are too often wrong for the measures
#: that compare sides (the hostility gap, α): they are refused, and the report says so first
STANCE_F1_FLOOR = 0.7
_CS = (0.01, 0.1, 1.0, 10.0)


@dataclass
class StanceModel:
    topic: str
    classes: list[str]
    mean: list[float]
    scale: list[float]
    coef: list[list[float]]
    intercept: list[float]
    C: float
    examples: dict[str, int]
    source: str
    cv_accuracy: float | None
    cv_macro_f1: float | None
    cv_folds: int
    min_confidence: float = DEFAULT_MIN_CONFIDENCE

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        z = (np.asarray(vectors, dtype=np.float64) - np.asarray(self.mean)) / np.asarray(self.scale)
        logits = z @ np.asarray(self.coef).T + np.asarray(self.intercept)
        if len(self.classes) == 2:  # sklearn keeps one row for two classes: the second class's logit
            logits = np.column_stack([-logits[:, 0] / 2, logits[:, 0] / 2])
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, vectors: np.ndarray, unknown_label: str) -> list[tuple[str | None, float]]:
        """Per vector: the stance label (None when unknown) and the probability of the top label."""
        probs = self.probabilities(vectors)
        out: list[tuple[str | None, float]] = []
        for row in probs:
            k = int(row.argmax())
            label = self.classes[k]
            known = label != unknown_label and row[k] >= self.min_confidence
            out.append((label if known else None, round(float(row[k]), 4)))
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StanceModel:
        return cls(**data)

    def weakness(self) -> str | None:
        """Why stances read by this classifier cannot carry the hostility gap and α (None: they can)."""
        if self.cv_macro_f1 is None:
            return f"too few examples to cross-validate ({sum(self.examples.values())})"
        if self.cv_macro_f1 < STANCE_F1_FLOOR:
            return f"cross-validated macro-F1 {self.cv_macro_f1:.2f}, below {STANCE_F1_FLOOR:.2f}"
        return None

    def describe(self) -> str:
        counts = ", ".join(f"{label} {n}" for label, n in self.examples.items())
        cv = (
            f"cross-validated accuracy {self.cv_accuracy:.2f}, macro-F1 {self.cv_macro_f1:.2f} ({self.cv_folds} folds)"
            if self.cv_accuracy is not None
            else "too few examples to cross-validate"
        )
        return f"stance classifier for {self.topic} from {self.source} ({counts}): {cv}"


def topic_examples(topic: Topic) -> list[tuple[str, str]]:
    out = [(text, s.label) for s in topic.stances for text in s.examples]
    return out + [(text, topic.unknown.label) for text in topic.unknown.examples]


def read_examples(path: str, topic: Topic, *, text_column: str = "text", label_column: str = "stance") -> list[tuple[str, str]]:
    """Labelled examples from a file; a label that is not one of the topic's is an input error."""
    from affectlens.io.readers import read_records

    out, problems = [], []
    for record in read_records(
        path, text_column=text_column, extra=(label_column,), required={label_column: "--stance-label-column"}
    ):
        label = str((record.extra or {}).get(label_column) or "").strip().lower()
        if record.error or not (record.text or "").strip():
            problems.append(f"line {record.line}: {record.error or 'empty text'}")
        elif label not in topic.labels:
            problems.append(f"line {record.line}: stance {label!r} is not one of {', '.join(topic.labels)}")
        else:
            out.append((record.text or "", label))
    if problems:
        raise InputError(
            f"{len(problems)} stance example(s) in {path!r} cannot be used; first: {problems[0]}",
            hint=f"each row needs a text and a stance label of topic {topic.id}",
        )
    return out


def train_stance(
    topic: Topic,
    examples: Sequence[tuple[str, str]],
    embed: Any,
    *,
    source: str,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    seed: int = 0,
) -> StanceModel:
    """Fit the classifier on ``examples`` (text, label); ``embed(texts) -> [n, d]`` vectors."""
    try:
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold
        from sklearn.preprocessing import StandardScaler
    except ImportError as exc:
        raise MissingDependencyError("scikit-learn", "polarization", "the offline stance classifier") from exc
    counts = Counter(label for _, label in examples)
    sides = [s.label for s in topic.stances]
    missing = [label for label in sides if counts[label] < 2]
    if missing:
        raise InputError(
            f"the stance classifier needs at least 2 examples of each side; {', '.join(missing)} has fewer",
            hint="add examples (--stance-examples FILE), or give the stances in a column (--stance-column)",
        )
    x = np.asarray(embed([t for t, _ in examples]), dtype=np.float64)
    y = np.asarray([label for _, label in examples])

    def fit(xs: np.ndarray, ys: np.ndarray, c: float) -> Any:
        scaler = StandardScaler().fit(xs)
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit(scaler.transform(xs), ys)
        return scaler, model

    def choose_c(xs: np.ndarray, ys: np.ndarray) -> float:
        folds = min(5, min(Counter(ys).values()))
        if folds < 2:
            return 1.0
        split = StratifiedKFold(folds, shuffle=True, random_state=seed)
        scores = {}
        for c in _CS:
            right = 0
            for train, test in split.split(xs, ys):
                scaler, model = fit(xs[train], ys[train], c)
                right += int((model.predict(scaler.transform(xs[test])) == ys[test]).sum())
            scores[c] = right
        return max(_CS, key=lambda c: (scores[c], -abs(np.log10(c))))  # ties: the C nearest 1

    folds = min(5, min(counts.values()))
    cv_accuracy = cv_f1 = None
    if folds >= 2:
        predicted = np.empty_like(y)
        for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed + 1).split(x, y):
            scaler, model = fit(x[train], y[train], choose_c(x[train], y[train]))
            predicted[test] = model.predict(scaler.transform(x[test]))
        cv_accuracy = round(float((predicted == y).mean()), 4)
        labels = sorted(counts)
        cv_f1 = round(macro_f1(np.stack([y == k for k in labels], 1), np.stack([predicted == k for k in labels], 1)), 4)
    c = choose_c(x, y)
    scaler, model = fit(x, y, c)
    return StanceModel(
        topic=topic.id,
        classes=[str(k) for k in model.classes_],
        mean=scaler.mean_.tolist(),
        scale=scaler.scale_.tolist(),
        coef=model.coef_.tolist(),
        intercept=model.intercept_.tolist(),
        C=c,
        examples={label: counts[label] for label in topic.labels if counts[label]},
        source=source,
        cv_accuracy=cv_accuracy,
        cv_macro_f1=cv_f1,
        cv_folds=folds if folds >= 2 else 0,
        min_confidence=min_confidence,
    )
