import pytest

from affectlens.errors import DatasetError, UnknownNameError
from affectlens.evaluation.runner import evaluate
from tests.evaluation.test_readers import write_goemotions


def test_result_shape_and_values_with_the_fake_backend(tmp_path):
    rows = "I am so happy\t17\ta\nthis is sad\t25\tb\nwow really\t26\tc\nnothing here\t27\td\n"
    result = evaluate("goemotions", data_dir=write_goemotions(tmp_path, rows), split="dev", backend="fake")
    assert result["dataset"] == "goemotions@1" and result["split"] == "dev" and result["n"] == 4
    assert result["backend"] == "fake/keywords@1"
    assert set(result["versions"]) >= {"affectlens", "dataset", "taxonomy", "metrics"}
    metrics = result["metrics"]
    assert {"macro_f1", "micro_f1", "per_label_f1", "ece", "brier"} <= set(metrics)
    # The keyword fake gets all four right: joy, sadness, surprise, neutral.
    assert metrics["micro_f1"] == 1.0
    assert metrics["per_label_f1"]["joy"] == 1.0 and metrics["per_label_f1"]["anger"] == 0.0
    assert metrics["exact_match"] == 1.0


def test_grouped_dataset_maps_gold_labels(tmp_path):
    rows = "so annoyed\t3\ta\nthanks\t15\tb\n"
    result = evaluate("goemotions-ekman", data_dir=write_goemotions(tmp_path, rows), split="test", backend="fake")
    assert result["versions"]["taxonomy"] == "ekman@1"
    assert result["metrics"]["per_label_f1"]["anger"] == 1.0 and result["metrics"]["per_label_f1"]["joy"] == 1.0


def test_limit_and_errors(tmp_path):
    rows = "".join(f"text {i}\t27\tid{i}\n" for i in range(10))
    assert evaluate("goemotions", data_dir=write_goemotions(tmp_path, rows), backend="fake", limit=3)["n"] == 3
    with pytest.raises(UnknownNameError):
        evaluate("goemotion", data_dir=tmp_path, backend="fake")
    with pytest.raises(DatasetError, match="no split"):
        evaluate("emobank", data_dir=tmp_path, split="validation", backend="fake")


# Acceptance figures of the shipped model on the real test splits (issue #2).
@pytest.mark.data
@pytest.mark.parametrize(
    ("dataset", "targets"),
    [
        ("goemotions", {"macro_f1": 0.46}),
        ("goemotions-ekman", {"macro_f1": 0.60}),
        ("goemotions-sentiment", {"macro_f1": 0.65}),
        ("emobank", {"pearson_valence": 0.70, "pearson_arousal": 0.40, "pearson_dominance": 0.30}),
    ],
)
def test_shipped_model_meets_its_targets_on_test(dataset, targets, embedded, data_dir):
    result = evaluate(dataset, data_dir=data_dir, split="test", analyzer=embedded)
    for metric, floor in targets.items():
        assert result["metrics"][metric] >= floor, (metric, result["metrics"][metric])
    if dataset == "goemotions":
        assert result["metrics"]["ece"] <= 0.05
        assert result["n"] == 5427
    if dataset == "emobank":  # issue #3: intervals cover within 0.05 of the stated coverage
        target = result["metrics"]["vad_coverage_target"]
        for dim in ("valence", "arousal", "dominance"):
            assert abs(result["metrics"][f"vad_coverage_{dim}"] - target) <= 0.05
