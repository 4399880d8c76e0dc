import json

import pytest


def test_version_and_help(cli):
    assert cli("--version").out.strip().startswith("affectlens ")
    r = cli("--help")
    assert r.code == 0 and "analyze" in r.out and "taxonomy" in r.out


def test_taxonomy_commands(cli):
    r = cli("taxonomy", "list", "--json")
    names = {t["id"] for t in json.loads(r.out)}
    assert {"goemotions@1", "ekman@1", "plutchik@1", "parrott@1", "parrott-tertiary@1", "sentiment@1"} <= names
    shown = cli("taxonomy", "show", "plutchik")
    assert shown.code == 0 and "trust" in shown.out and "love = joy + trust" in shown.out
    mapped = json.loads(cli("taxonomy", "map", "annoyance", "gratitude", "--to", "ekman", "--json").out)
    assert [m["labels"] for m in mapped] == [["anger"], ["joy"]]
    assert mapped[0]["method"] == "group" and mapped[0]["from"] == "goemotions@1"
    assert cli("taxonomy", "show", "nope").code == 2


def test_backends(cli):
    rows = json.loads(cli("backends", "--json").out)
    assert {r["name"] for r in rows} >= {"embedded", "fake"}


def test_bench_json(cli):
    r = cli("bench", "--texts", "64", "--single", "5", "--json")
    result = json.loads(r.out)
    for key in ("batch_texts_per_s", "single_p50_ms", "single_p95_ms", "backend", "cores"):
        assert key in result
    assert result["batch_texts_per_s"] > 0 and result["single_p95_ms"] >= result["single_p50_ms"]


def test_eval_list_and_missing_data(cli, tmp_path):
    r = cli("eval", "--list")
    assert r.code == 0 and "goemotions-ekman" in r.out and "emobank" in r.out
    missing = cli("eval", "goemotions", "--data-dir", str(tmp_path / "nowhere"))
    assert missing.code == 2 and "does not exist" in missing.err
    assert cli("eval").code == 2


@pytest.mark.data
def test_eval_json_contract(cli, data_dir, tmp_path):
    out = tmp_path / "r.json"
    r = cli("eval", "goemotions", "--data-dir", str(data_dir), "--limit", "200", "--json", "-o", str(out))
    result = json.loads(r.out)
    assert {"dataset", "split", "backend", "n", "versions", "metrics"} <= set(result)
    assert result["n"] == 200 and result["split"] == "test"
    assert {"macro_f1", "micro_f1", "per_label_f1", "ece", "brier"} <= set(result["metrics"])
    assert json.loads(out.read_text()) == result
    vad = json.loads(cli("eval", "emobank", "--data-dir", str(data_dir), "--limit", "100", "--json").out)
    assert {"pearson_valence", "pearson_arousal", "pearson_dominance", "mae_valence"} <= set(vad["metrics"])


def test_eval_minimal_pairs_needs_no_data(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ../shared/data from here
    monkeypatch.delenv("AFFECTLENS_DATA_DIR", raising=False)
    result = json.loads(cli("eval", "minimal-pairs", "--json").out)
    assert result["n"] >= 150 and 0 <= result["metrics"]["pass_rate"] <= 1
    assert all(f["failed"] for f in result["metrics"]["failures"])


def test_bench_explain(cli):
    result = json.loads(cli("bench", "--texts", "32", "--single", "3", "--explain", "--json").out)
    assert result["explain"] is True and result["batch_texts_per_s"] > 0
