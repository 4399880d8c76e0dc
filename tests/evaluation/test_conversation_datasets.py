"""Readers and eval for MELD, DailyDialog and RECCON (need the public datasets)."""

from __future__ import annotations

from collections import Counter

import pytest

from affectlens.conversation.schema import MELD_LABELS
from affectlens.evaluation.datasets.dialogues import read_dailydialog, read_meld, read_reccon
from affectlens.evaluation.runner import evaluate

pytestmark = pytest.mark.data


def test_readers_match_the_published_counts(data_dir):
    meld = read_meld(data_dir / "meld", "test")
    assert sum(len(d.texts) for d in meld) == 2610 and len(meld) == 280
    dd = read_dailydialog(data_dir / "dailydialog", "test")
    assert len(dd) == 1000 and sum(len(d.texts) for d in dd) == 7740
    assert Counter(label for d in dd for label in d.labels)["joy"] == 1019
    reccon = read_reccon(data_dir / "reccon", "test")
    assert len(reccon) == 225
    for d in reccon + meld + dd:
        assert set(d.labels) <= set(MELD_LABELS) and len(d.speakers) == len(d.texts) == len(d.labels)
        assert all(j <= t for t, causes in d.causes.items() for j in causes)


def test_eval_meld_and_reccon_on_a_sample(data_dir):
    meld = evaluate("meld", data_dir=data_dir, split="dev", limit=15)
    assert meld["n"] == 15 and meld["backend"].startswith("conversation/minilm-meld-context@1")
    assert 0.3 < meld["metrics"]["weighted_f1"] <= 1 and set(meld["metrics"]["per_label_f1"]) == set(MELD_LABELS)
    reccon = evaluate("reccon", data_dir=data_dir, split="valid", limit=10)
    m = reccon["metrics"]
    assert m["cause_model"] == "positional-rule@1" and m["pairs"] > m["cause_pairs"] > 0
    assert m["macro_f1"] == pytest.approx((m["pos_f1"] + m["neg_f1"]) / 2, abs=1e-4) and m["macro_f1"] > 0.6
