import numpy as np

from affectlens.reasoning.calibration import TaxonomyCalibration, logit
from affectlens.reasoning.projection import TaxonomyProjector
from affectlens.taxonomy import load_taxonomy

G = load_taxonomy("goemotions")


def projector():
    return TaxonomyProjector(G, {"goemotions": TaxonomyCalibration.identity("goemotions", G.names)})


def native(projector, **probs):
    p = np.full((1, 28), 0.01)
    for name, value in probs.items():
        p[0, G.index(name)] = value
    return projector.from_logits(logit(p))


def test_uncalibrated_targets_propagate_labels_and_keep_native_confidence():
    proj = projector()
    d = native(proj, gratitude=0.9, anger=0.2)
    plutchik = proj.project(d, load_taxonomy("plutchik"))
    assert plutchik.labels(0) == ["joy"]
    assert plutchik.confidence[0] == d.confidence[0]
    assert plutchik.scores[0, load_taxonomy("plutchik").index("joy")] >= 0.9


def test_calibrated_targets_use_their_own_calibration():
    ekman = load_taxonomy("ekman")
    cal = TaxonomyCalibration.identity("ekman", ekman.names, threshold=0.95)
    proj = TaxonomyProjector(G, {"goemotions": TaxonomyCalibration.identity("goemotions", G.names), "ekman": cal})
    d = proj.project(native(proj, gratitude=0.9), ekman)
    assert d.labels(0) == []  # 1-(0.1*0.99^11...) is below the 0.95 threshold


def test_sentiment_summary():
    proj = projector()
    assert proj.sentiment(native(proj, joy=0.9)) == ["positive"]
    assert proj.sentiment(native(proj, grief=0.9)) == ["negative"]
    assert proj.sentiment(native(proj, joy=0.9, anger=0.8)) == ["mixed"]
    assert proj.sentiment(native(proj, curiosity=0.9)) == ["neutral"]


def test_neutral_is_exclusive_of_emotions_and_the_dominant_label_is_decided():
    proj = projector()
    d = native(proj, neutral=0.9, curiosity=0.6)
    assert d.labels(0) == ["curiosity"]  # neutral dropped beside an emotion, though it scores higher
    assert d.dominant(0) == "curiosity"
    alone = native(proj, neutral=0.9, curiosity=0.3)
    assert alone.labels(0) == ["neutral"] and alone.dominant(0) == "neutral"
    none = native(proj, neutral=0.3, curiosity=0.4)
    assert none.labels(0) == [] and none.dominant(0) == "curiosity"  # nothing decided: the top score
    ekman = proj.project(native(proj, neutral=0.9, anger=0.8), load_taxonomy("ekman"))
    assert ekman.labels(0) == ["anger"]  # mapped taxonomies follow the rule too


def test_set_confidence_is_never_exactly_0_or_1():
    cal = TaxonomyCalibration.identity("goemotions", G.names)
    p = np.full((2, 28), 1e-9)  # a set that is surely right under the scores (likelihood 1)…
    p[1] = 0.5  # … and one that is surely wrong (likelihood 0.5**28)
    decided = cal.decide(p)
    assert cal.confidence(p, decided).tolist() == [0.99, 0.01]
