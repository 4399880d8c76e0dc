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
