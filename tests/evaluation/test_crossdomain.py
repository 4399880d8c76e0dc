"""The cross-domain development suite: fixed splits, its corpora, the label-set checks."""

from __future__ import annotations

import pytest

from affectlens.evaluation.crossdomain import CORPORA, crossdomain_dev, load_corpus, split_of


def test_splits_are_fixed_and_sized_60_20_20():
    keys = [f"corpus:{n}" for n in range(20_000)]
    splits = [split_of(k) for k in keys]
    assert splits == [split_of(k) for k in keys]  # a function of the id alone
    shares = {s: splits.count(s) / len(splits) for s in ("train", "dev", "test")}
    assert shares == pytest.approx({"train": 0.6, "dev": 0.2, "test": 0.2}, abs=0.01)
    assert split_of("emolit:4900") == "train"  # pinned: changing the rule would change the dev sets


@pytest.mark.data
def test_every_corpus_loads_dev_items_only(data_dir):
    for name in CORPORA:
        corpus = load_corpus(name, data_dir)
        assert corpus.texts and all(isinstance(t, str) and t for t in corpus.texts), name
    emolit = load_corpus("emolit", data_dir)
    assert 100 < len(emolit.texts) < 200 and len(emolit.labels) == 24  # a fifth of 727; the labels shared with GoEmotions
    assert len(load_corpus("brighter", data_dir).texts) == 115  # the published dev split


@pytest.mark.data
def test_the_suite_scores_each_corpus_and_finds_no_unlike_label_sets(data_dir, embedded):
    results = crossdomain_dev(embedded, data_dir, corpora=("brighter", "emolit", "fb-va"))
    assert 0.2 < results["brighter"]["macro_f1"] < 1 and results["brighter"]["gold_labels_per_text"] > 1
    assert 0.1 < results["emolit"]["jaccard"] < 1
    assert results["fb-va"]["valence_r"] > 0.4
    for figures in results.values():
        assert figures["neutral_with_emotion"] == figures["dominant_not_in_labels"] == figures["confidence_0_or_1"] == 0
