import shutil

import numpy as np
import onnxruntime as ort
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from affectlens.analyzers.embedded import EmbeddedAnalyzer, default_model_dir, verify_assets
from affectlens.analyzers.encoder import OnnxEncoder
from affectlens.analyzers.session import int8_session
from affectlens.errors import ModelAssetError
from affectlens.taxonomy import list_taxonomies, load_taxonomy


def test_obvious_texts(embedded):
    furious, thanks, grief, plain = embedded.analyze_batch(
        [
            "I can't believe you did this to me, I'm absolutely furious.",
            "Thank you so much for helping me move, you're the best!",
            "My grandmother died last night and I can't stop crying.",
            "The meeting is at 3pm in room 204.",
        ]
    )
    assert furious.dominant in {"anger", "annoyance"} and furious.vad.valence < 0 and furious.sentiment == "negative"
    assert "gratitude" in thanks.labels and thanks.vad.valence > 0.2 and thanks.sentiment == "positive"
    assert grief.dominant in {"sadness", "grief"} and grief.vad.valence < -0.2
    assert plain.dominant == "neutral" and abs(plain.vad.valence) < 0.25
    for a in (furious, thanks, grief, plain):
        assert a.backend == "embedded/minilm-goemotions@1" and 0.0 <= a.confidence <= 1.0


@pytest.mark.parametrize("taxonomy", [t.name for t in list_taxonomies()])
def test_every_taxonomy_can_be_requested(embedded, taxonomy):
    a = embedded.analyze("Ugh, I hate waiting. This is so annoying and unfair!", taxonomy=taxonomy)
    assert a.taxonomy.startswith(taxonomy + "@")
    assert set(a.scores) == set(load_taxonomy(taxonomy).names)
    assert set(a.labels) <= set(a.scores) and a.dominant in a.scores


def test_long_text_warns_and_is_fully_analysed(embedded):
    text = "We had a calm and ordinary day at the office. " * 40 + "Then my boss screamed at me and I was terrified."
    a = embedded.analyze(text)
    assert any("window" in w for w in a.warnings)
    assert a.scores["fear"] > embedded.analyze(text[:500]).scores["fear"]  # the end of the text counts


def test_manifest_matches_the_shipped_files():
    manifest = verify_assets(default_model_dir(), checksums=True)
    assert manifest["native_taxonomy"] == "goemotions"
    assert manifest["scores"]["goemotions"]["test"]["macro_f1"] >= 0.46
    assert "dev" in manifest["data"]["selection_and_calibration"]


def test_damaged_assets_are_reported(tmp_path):
    broken = tmp_path / "model"
    shutil.copytree(default_model_dir(), broken)
    (broken / "encoder.onnx").write_bytes(b"version https://git-lfs.github.com/spec/v1\n")
    with pytest.raises(ModelAssetError, match="damaged or a placeholder"):
        EmbeddedAnalyzer(model_dir=broken)
    (broken / "MANIFEST.json").unlink()
    with pytest.raises(ModelAssetError, match="no model manifest"):
        EmbeddedAnalyzer(model_dir=broken)


def test_graph_optimisations_do_not_change_results():
    """Guards the per-token quantisation against an onnxruntime fusion that assumes per-tensor scales."""
    enc = OnnxEncoder(default_model_dir())
    texts = ["I love this so much", "What a terrible, awful day this has been for everyone"]
    ids = [enc._tokenizer.encode(t, add_special_tokens=False).ids for t in texts]
    outputs = []
    for level in (ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED, ort.GraphOptimizationLevel.ORT_ENABLE_ALL):
        enc._session = int8_session(default_model_dir() / "encoder.onnx", optimization_level=level)
        outputs.append(enc._run(ids)[0])
    np.testing.assert_allclose(outputs[0], outputs[1], atol=1e-4)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_any_unicode_gives_a_valid_analysis(embedded, text):
    a = embedded.analyze(text)
    assert a.text == text
    assert all(0.0 <= s <= 1.0 for s in a.scores.values())
    assert -1.0 <= a.vad.valence <= 1.0
