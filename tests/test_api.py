import subprocess
import sys

import affectlens


def test_public_names():
    assert set(affectlens.__all__) == {
        "__version__",
        "Analysis",
        "AnalyzeOptions",
        "Analyzer",
        "Evidence",
        "MediaAnalysis",
        "Taxonomy",
        "VAD",
        "analyze",
        "analyze_image",
        "analyze_media",
        "benchmark",
        "errors",
        "evaluate",
        "get_analyzer",
        "list_backends",
        "list_taxonomies",
        "load_taxonomy",
        "map_label",
    }
    for name in affectlens.__all__:
        assert getattr(affectlens, name) is not None


def test_import_is_light():
    code = (
        "import sys, affectlens; "
        "heavy = [m for m in ('numpy', 'onnxruntime', 'pydantic', 'tokenizers') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_analyze_one_or_many(fake):
    one = affectlens.analyze("thanks, I'm so happy", backend="fake")
    assert one.labels == ["gratitude", "joy"]
    many = affectlens.analyze(["sad day", "wow"], backend="fake", taxonomy="ekman")
    assert [a.labels for a in many] == [["sadness"], ["surprise"]]
    assert all(a.taxonomy == "ekman@1" for a in many)


def test_unknown_attribute():
    import pytest

    with pytest.raises(AttributeError):
        affectlens.nope  # noqa: B018
