"""Extra training sources: mapped into the 28 outputs, annotated labels only, training parts only."""

from __future__ import annotations

import pytest

from affectlens.evaluation.crossdomain import load_corpus
from affectlens.taxonomy import load_taxonomy
from affectlens.training.sources import load_sources

NAMES = load_taxonomy("goemotions").names


@pytest.mark.data
def test_sources_say_only_what_they_annotate_and_never_reach_dev(data_dir):
    brighter, emolit = load_sources(data_dir, ["brighter", "emolit"])
    assert len(brighter.texts) == 2764 and brighter.targets.shape == (2764, 28)
    assert sorted(NAMES[k] for k in brighter.annotated[0].nonzero()[0]) == ["anger", "fear", "joy", "sadness", "surprise"]
    assert brighter.annotated.all(axis=0).sum() == 5 and not brighter.targets[:, ~brighter.annotated[0]].any()
    assert brighter.targets[:, NAMES.index("fear")].mean() > 0.5  # fear dominates BRIGHTER (SOURCE.txt)
    assert emolit.annotated[0].sum() == 24 and 380 < len(emolit.texts) < 500  # the train part, about 60% of 727
    assert not set(emolit.texts) & set(load_corpus("emolit", data_dir).texts)  # none of the development suite's
    assert not set(brighter.texts) & set(load_corpus("brighter", data_dir).texts)


def test_unknown_sources_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown training sources"):
        load_sources(tmp_path, ["tweets"])
