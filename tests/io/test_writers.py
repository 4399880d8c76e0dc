import csv
import json

import pytest

from affectlens.errors import InputError
from affectlens.io.writers import format_for, open_writer
from affectlens.schema import Analysis


@pytest.fixture()
def analyses(fake):
    return fake.analyze_batch(["so happy, thanks", "", 'a "quoted", text\nwith a newline'], ids=["a", "b", None])


def test_jsonl_and_json_round_trip(tmp_path, analyses):
    for fmt in ("jsonl", "json"):
        path = tmp_path / f"out.{fmt}"
        w = open_writer(fmt, str(path), labels=[])
        w.write(analyses[:2])
        w.write(analyses[2:])
        w.close()
        text = path.read_text(encoding="utf-8")
        items = [json.loads(line) for line in text.splitlines()] if fmt == "jsonl" else json.loads(text)
        assert [Analysis.model_validate(i) for i in items] == analyses


def test_missing_output_folders_are_created(tmp_path, analyses):
    for fmt in ("jsonl", "parquet"):
        path = tmp_path / "new" / fmt / f"out.{fmt}"
        w = open_writer(fmt, str(path), labels=list(analyses[0].scores))
        w.write(analyses)
        w.close()
        assert path.stat().st_size > 0


def test_empty_json_is_a_valid_array(tmp_path):
    path = tmp_path / "out.json"
    open_writer("json", str(path), labels=[]).close()
    assert json.loads(path.read_text()) == []


def test_csv_is_flat_with_one_column_per_label(tmp_path, analyses):
    labels = list(analyses[0].scores)
    path = tmp_path / "out.csv"
    w = open_writer("csv", str(path), labels=labels)
    w.write(analyses)
    w.close()
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    assert [r["id"] for r in rows] == ["a", "b", ""]
    assert rows[0]["labels"] == "gratitude;joy" and float(rows[0]["score_joy"]) == analyses[0].scores["joy"]
    assert rows[2]["text"] == 'a "quoted", text\nwith a newline'
    assert rows[1]["warnings"] == "empty text: nothing to analyse"


def test_parquet(tmp_path, analyses):
    pq = pytest.importorskip("pyarrow.parquet")
    labels = list(analyses[0].scores)
    path = tmp_path / "out.parquet"
    w = open_writer("parquet", str(path), labels=labels)
    w.write(analyses)
    w.close()
    table = pq.read_table(path).to_pylist()
    assert [r["id"] for r in table] == ["a", "b", None]
    assert table[0]["score_gratitude"] == analyses[0].scores["gratitude"]
    assert table[1]["score_joy"] is None  # empty text has no scores


def test_format_choice():
    assert format_for(None, None) == "table"
    assert format_for("x.parquet", None) == "parquet"
    assert format_for("x.csv", "jsonl") == "jsonl"
    with pytest.raises(InputError):
        format_for("x.xlsx", None)
    with pytest.raises(InputError, match="needs a file"):
        open_writer("parquet", None, labels=[])
