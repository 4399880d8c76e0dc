"""FER-2013 (evaluation only; needs ../shared/data): the shipped face model's figures, as eval prints them."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("cv2", reason="faces need affectlens[faces]")


@pytest.mark.data
def test_the_face_model_meets_its_targets_on_fer2013_test(data_dir):
    from affectlens.evaluation.runner import evaluate

    result = evaluate("fer2013", data_dir=data_dir, split="test")
    metrics = result["metrics"]
    assert result["n"] == 3589 and result["backend"].startswith("faces/")
    assert metrics["accuracy"] >= 0.66 and metrics["macro_f1"] >= 0.64 and metrics["ece"] <= 0.05
    assert set(metrics["per_label_f1"]) == {"anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral"}


@pytest.mark.data
def test_eval_fer2013_on_the_command_line(cli, data_dir, tmp_path):
    pytest.importorskip("matplotlib", reason="plots need affectlens[plots]")
    r = cli(
        "eval", "fer2013", "--split", "dev", "--limit", "400", "--json", "--data-dir", str(data_dir), "--plots", str(tmp_path)
    )
    assert r.code == 0, r.err
    result = json.loads(r.out)
    assert result["dataset"] == "fer2013@1" and result["split"] == "dev" and result["n"] == 400
    assert 0.0 <= result["metrics"]["ece"] <= 1.0 and result["metrics"]["accuracy"] > 0.4
    assert (tmp_path / "fer2013_dev-reliability.png").stat().st_size > 10_000
    r = cli("eval", "fer2013", "--backend", "openai", "--data-dir", str(data_dir))
    assert r.code == 2 and "face model" in r.err
