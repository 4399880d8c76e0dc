"""Models the user builds locally from non-commercial data (never shipped with affectlens).

``affectlens conversation build --data-dir DIR`` writes into :func:`local_model_dir`:

- ``reccon-causes-v1.json`` — the cause model (:mod:`affectlens.conversation.causes`),
  trained on RECCON train, C and threshold chosen on RECCON valid, scored on RECCON test;
- ``dailydialog-head-v1.npz`` — a 7-way head over the shipped conversation encoder's
  vectors, trained on DailyDialog train, with its regularisation and the neutral-class
  offset chosen on DailyDialog validation (micro-F1 over the six emotions).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from affectlens.conversation.causes import (
    CAUSE_MODEL_FILE,
    DAILYDIALOG_HEAD_FILE,
    CandidateFeatures,
    TrainedCauses,
    cause_features,
    cee_scores,
    train_causes,
)
from affectlens.conversation.schema import MELD_LABELS
from affectlens.errors import MissingDependencyError
from affectlens.evaluation.datasets.dialogues import Dialogue, read_dailydialog, read_reccon

__all__ = ["build_local_models", "reccon_candidates"]

Log = Callable[[str], None]


def reccon_candidates(analyzer: Any, dialogues: list[Dialogue]) -> tuple[CandidateFeatures, np.ndarray]:
    """Candidate pairs of RECCON's gold emotional turns, with their gold cause labels."""
    xs, ys, pairs = [], [], []
    for d in dialogues:
        effects = sorted(d.causes)
        if not effects:
            continue
        s = analyzer.signals(d.texts)
        f = cause_features(effects, [d.labels[t] for t in effects], d.speakers, s.vectors, s.emotional, s.vad[:, 0])
        xs.append(f.x)
        ys.extend(j in d.causes[t] for t, j in f.pairs)
        pairs.extend(f.pairs)
    return CandidateFeatures(pairs, np.concatenate(xs)), np.asarray(ys)


def _dailydialog_vectors(analyzer: Any, dialogues: list[Dialogue]) -> tuple[np.ndarray, np.ndarray]:
    model = analyzer.context
    vectors = np.concatenate([model.pooled(model.inputs(d.texts)) for d in dialogues])
    gold = np.asarray([MELD_LABELS.index(label) for d in dialogues for label in d.labels])
    return vectors, gold


def dailydialog_scores(logits: np.ndarray, gold: np.ndarray) -> dict[str, float]:
    """DailyDialog's micro-F1 over the six emotions, and macro-F1."""
    from affectlens.evaluation.conversations import turn_metrics

    scores = turn_metrics(gold, logits.argmax(1))
    return {"micro_f1": scores["micro_f1"], "macro_f1": scores["macro_f1"]}


def build_local_models(data_dir: Path, out_dir: Path, *, log: Log = print, dailydialog: bool = True) -> dict[str, Any]:
    """Train the cause model (and the DailyDialog head) into ``out_dir``; return their scores."""
    from affectlens.conversation.analyzer import ConversationAnalyzer

    try:
        import sklearn  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError("scikit-learn", "conversation", "affectlens conversation build") from exc

    out_dir.mkdir(parents=True, exist_ok=True)
    analyzer = ConversationAnalyzer()
    assert analyzer.context is not None
    report: dict[str, Any] = {}

    log("causes: reading RECCON train / valid / test")
    splits = {split: reccon_candidates(analyzer, read_reccon(data_dir / "reccon", split)) for split in ("train", "valid", "test")}
    spec = train_causes(*splits["train"], *splits["valid"])
    model = TrainedCauses(spec)
    test_x, test_y = splits["test"]
    spec["scores"] = {"reccon_test": cee_scores(test_y, model.scores(test_x) >= model.threshold)}
    (out_dir / CAUSE_MODEL_FILE).write_text(json.dumps(spec, indent=2), encoding="utf-8")
    report["causes"] = {"file": str(out_dir / CAUSE_MODEL_FILE), "valid_macro_f1": spec["valid_macro_f1"], **spec["scores"]}
    log(f"causes: {json.dumps(report['causes'])}")

    if dailydialog:
        from sklearn.linear_model import LogisticRegression

        folder = data_dir / "dailydialog"
        log("dailydialog: encoding train (about 90k turns; minutes on 2 cores)")
        x_train, y_train = _dailydialog_vectors(analyzer, read_dailydialog(folder, "train"))
        log("dailydialog: encoding validation and test")
        x_valid, y_valid = _dailydialog_vectors(analyzer, read_dailydialog(folder, "validation"))
        x_test, y_test = _dailydialog_vectors(analyzer, read_dailydialog(folder, "test"))
        best: dict[str, Any] | None = None
        for c in (0.1, 1.0, 10.0):
            head = LogisticRegression(C=c, max_iter=3000).fit(x_train, y_train)
            logits = head.decision_function(x_valid)
            for offset in np.linspace(-2.0, 2.0, 41):
                shifted = logits.copy()
                shifted[:, 0] += offset
                score = dailydialog_scores(shifted, y_valid)["micro_f1"]
                if best is None or score > best["valid_micro_f1"]:
                    best = {"C": c, "offset": float(offset), "valid_micro_f1": score, "w": head.coef_.T, "b": head.intercept_}
        assert best is not None
        bias = best["b"].copy()
        bias[0] += best["offset"]
        test = dailydialog_scores(x_test @ best["w"] + bias, y_test)
        np.savez(out_dir / DAILYDIALOG_HEAD_FILE, emotion_w=best["w"].astype(np.float32), emotion_b=bias.astype(np.float32))
        report["dailydialog"] = {
            "file": str(out_dir / DAILYDIALOG_HEAD_FILE),
            "C": best["C"],
            "neutral_offset": round(best["offset"], 3),
            "valid_micro_f1": best["valid_micro_f1"],
            "dailydialog_test": test,
        }
        log(f"dailydialog: {json.dumps(report['dailydialog'])}")
    (out_dir / "local-models.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    return report
