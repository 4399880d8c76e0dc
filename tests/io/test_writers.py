import csv
import json
import os

import pytest

from affectlens.errors import InputError, OutputError
from affectlens.io.writers import format_for, open_output, partial_file, parts_folder
from affectlens.schema import Analysis


@pytest.fixture()
def analyses(fake):
    return fake.analyze_batch(["so happy, thanks", "", 'a "quoted", text\nwith a newline'], ids=["a", "b", None])


def write(fmt, path, analyses, labels=(), chunks=1, **kw):
    out = open_output(fmt, str(path), labels=list(labels), **kw)
    size = max(-(-len(analyses) // chunks), 1)
    for i in range(0, len(analyses), size):
        out.write(analyses[i : i + size])
        out.commit()
    out.finish()


def read_back(fmt, path):
    text = path.read_text(encoding="utf-8")
    items = [json.loads(line) for line in text.splitlines()] if fmt == "jsonl" else json.loads(text)
    return [Analysis.model_validate(i) for i in items]


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_jsonl_and_json_round_trip(tmp_path, analyses, fmt):
    path = tmp_path / f"out.{fmt}"
    write(fmt, path, analyses, chunks=2)
    assert read_back(fmt, path) == analyses
    assert not parts_folder(path).exists()  # the parts of a JSON output are gone once it is complete


def test_missing_output_folders_are_created(tmp_path, analyses):
    for fmt in ("jsonl", "parquet"):
        path = tmp_path / "new" / fmt / f"out.{fmt}"
        write(fmt, path, analyses, labels=analyses[0].scores)
        assert path.stat().st_size > 0


def test_empty_outputs_are_valid(tmp_path):
    write("json", tmp_path / "out.json", [])
    assert json.loads((tmp_path / "out.json").read_text()) == []
    write("csv", tmp_path / "out.csv", [], labels=["joy"])
    assert (tmp_path / "out.csv").read_text().startswith("id,text,")


def test_csv_is_flat_with_one_column_per_label(tmp_path, analyses):
    labels = list(analyses[0].scores)
    path = tmp_path / "out.csv"
    write("csv", path, analyses, labels=labels, chunks=3)
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    assert [r["id"] for r in rows] == ["a", "b", ""]
    assert rows[0]["labels"] == "gratitude;joy" and float(rows[0]["score_joy"]) == analyses[0].scores["joy"]
    assert rows[2]["text"] == 'a "quoted", text\nwith a newline'
    assert rows[1]["warnings"] == "empty text: nothing to analyse"


def test_parquet(tmp_path, analyses):
    pq = pytest.importorskip("pyarrow.parquet")
    labels = list(analyses[0].scores)
    path = tmp_path / "out.parquet"
    write("parquet", path, analyses, labels=labels, chunks=3)
    table = pq.read_table(path).to_pylist()
    assert [r["id"] for r in table] == ["a", "b", None]
    assert table[0]["score_gratitude"] == analyses[0].scores["gratitude"]
    assert table[1]["score_joy"] is None  # empty text has no scores


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "json", "parquet"])
def test_resuming_drops_what_came_after_the_last_commit(tmp_path, analyses, fmt):
    pytest.importorskip("pyarrow")
    labels = list(analyses[0].scores)
    path = tmp_path / f"out.{fmt}"
    out = open_output(fmt, str(path), labels=labels)
    out.write(analyses[:1])
    marker = out.commit()
    out.write(analyses[1:])  # written, never committed: the run is "killed" here
    if fmt in ("jsonl", "csv"):
        out.stream.flush()
        with open(partial_file(path), "ab") as f:
            f.write(b'{"torn": ')  # half a row
    else:
        out.commit()  # a part committed after the marker the checkpoint holds
    out.abandon()
    resumed = open_output(fmt, str(path), labels=labels, resume_from=marker)
    resumed.write(analyses[1:])
    resumed.commit()
    resumed.finish()
    if fmt == "csv":
        assert [r["id"] for r in csv.DictReader(path.open(encoding="utf-8", newline=""))] == ["a", "b", ""]
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        assert [r["id"] for r in pq.read_table(path).to_pylist()] == ["a", "b", None]
    else:
        assert read_back(fmt, path) == analyses


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_an_unfinished_output_leaves_the_old_file(tmp_path, analyses, fmt):
    path = tmp_path / f"out.{fmt}"
    path.write_text("the results of an earlier run\n")
    out = open_output(fmt, str(path), labels=[])
    out.write(analyses)
    out.commit()
    out.abandon()
    assert path.read_text() == "the results of an earlier run\n"
    staged = partial_file(path) if fmt == "jsonl" else next(parts_folder(path).glob("part-*"))
    assert staged.stat().st_size > 0
    out.discard()
    assert not partial_file(path).exists() and not parts_folder(path).exists()
    assert path.read_text() == "the results of an earlier run\n"


def test_a_full_disk_is_one_clear_error_and_a_device_is_never_replaced(analyses):
    out = open_output("jsonl", "/dev/full", labels=[])
    with pytest.raises(OutputError, match="cannot write '/dev/full': No space left on device"):
        out.write(analyses)
        out.finish()
    out.discard()
    assert os.path.exists("/dev/full") and not os.path.isfile("/dev/full")


def test_format_choice():
    assert format_for(None, None) == "table"
    assert format_for("x.parquet", None) == "parquet"
    assert format_for("x.csv", "jsonl") == "jsonl"
    with pytest.raises(InputError):
        format_for("x.xlsx", None)
    with pytest.raises(InputError, match="needs a regular file"):
        open_output("parquet", None, labels=[])


def test_atomic_outputs_get_ordinary_permissions(tmp_path, analyses):
    fresh = tmp_path / "new.json"
    write("json", fresh, analyses)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~_umask()
    kept = tmp_path / "kept.json"
    kept.write_text("[]")
    kept.chmod(0o640)
    write("json", kept, analyses)
    assert kept.stat().st_mode & 0o777 == 0o640  # an existing file keeps its permissions


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
