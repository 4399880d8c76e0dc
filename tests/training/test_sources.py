"""Extra training sources: mapped into the target columns, annotated targets only, training parts only."""

from __future__ import annotations

import numpy as np
import pytest

from affectlens.evaluation.crossdomain import load_corpus
from affectlens.taxonomy import load_taxonomy
from affectlens.training.sources import group_matrix, load_sources, targets

NAMES = load_taxonomy("goemotions").names


def test_group_columns_follow_the_published_ekman_grouping():
    columns, matrix = targets(), group_matrix()
    assert columns[:28] == tuple(NAMES) and matrix.shape == (28, len(columns))
    assert np.array_equal(matrix[:, :28], np.eye(28))
    grouping = load_taxonomy("ekman").groups["goemotions"]
    for c, column in enumerate(columns[28:], start=28):
        members = sorted(NAMES[k] for k in matrix[:, c].nonzero()[0])
        assert members == sorted(grouping[column.removeprefix("ekman:")])
    assert "ekman:neutral" not in columns


@pytest.mark.data
def test_sources_say_only_what_they_annotate_and_never_reach_dev(data_dir):
    brighter, emolit, fb = load_sources(data_dir, ["brighter", "emolit", "fb-va"])
    columns = targets()
    assert len(brighter.texts) == 2764 and brighter.targets.shape == (2764, len(columns))
    # BRIGHTER's five are Ekman categories: they train the groups, never a single output
    assert sorted(columns[k] for k in brighter.annotated[0].nonzero()[0]) == [
        "ekman:anger", "ekman:fear", "ekman:joy", "ekman:sadness", "ekman:surprise"
    ]  # fmt: skip
    assert brighter.annotated.all(axis=0).sum() == 5 and not brighter.targets[:, ~brighter.annotated[0]].any()
    assert brighter.targets[:, columns.index("ekman:fear")].mean() > 0.5  # fear dominates BRIGHTER (SOURCE.txt)
    assert np.isnan(brighter.vad).all()
    assert emolit.annotated[0].sum() == 24 and not emolit.annotated[:, 28:].any()
    assert 380 < len(emolit.texts) < 500  # the train part, about 60% of 727
    # the Facebook posts rate valence and arousal only, as standard scores within the corpus
    assert not fb.annotated.any() and np.isnan(fb.vad[:, 2]).all()
    assert np.allclose(fb.vad[:, :2].mean(axis=0), 0, atol=1e-5) and np.allclose(fb.vad[:, :2].std(axis=0), 1, atol=1e-4)
    for source in (brighter, emolit, fb):
        assert not set(source.texts) & set(load_corpus(source.name, data_dir).texts)  # none of the development suite's


def test_unknown_sources_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown training sources"):
        load_sources(tmp_path, ["tweets"])
