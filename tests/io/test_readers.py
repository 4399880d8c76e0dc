import pytest

from affectlens.errors import InputError
from affectlens.io.readers import count_records, detect_format, read_records


def records(path, **kw):
    return list(read_records(str(path), **kw))


def test_txt_one_text_per_line_with_bom_and_crlf(tmp_path):
    p = tmp_path / "a.txt"
    p.write_bytes("\ufefffirst\r\n\r\nthird line\n".encode())
    assert [(r.line, r.text) for r in records(p)] == [(1, "first"), (2, ""), (3, "third line")]
    assert count_records(str(p)) == 3


def test_csv_with_quoted_multiline_text_and_ids(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text('id,body\n1,"line one\nline two, with comma"\n2,plain\n3\n', encoding="utf-8")
    rs = records(p, text_column="body")
    assert (rs[0].id, rs[0].text) == ("1", "line one\nline two, with comma")
    assert (rs[1].id, rs[1].text) == ("2", "plain")
    assert rs[2].error == "has 1 fields, the header has 2"


def test_csv_missing_column_is_a_file_level_error(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("id,body\n1,x\n")
    with pytest.raises(InputError, match="no column 'text'; columns: id, body"):
        records(p)


def test_jsonl_bad_rows_are_reported_not_fatal(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_text('{"id": 7, "text": "ok"}\n{oops\n[1]\n{"body": "x"}\n"bare string"\n\n{"text": null}\n')
    rs = records(p)
    assert (rs[0].id, rs[0].text) == ("7", "ok")
    assert "not valid JSON" in rs[1].error
    assert "got list" in rs[2].error
    assert rs[3].error == "has no 'text' field"
    assert rs[4].text == "bare string"
    assert rs[5].text == ""  # null text: analysed as empty, with a warning


def test_invalid_utf8_names_the_line(tmp_path):
    p = tmp_path / "a.txt"
    p.write_bytes(b"fine\nstill fine\n\xff\xfe broken\n")
    with pytest.raises(InputError, match="not valid UTF-8: line 3"):
        records(p)


def test_binary_file_is_refused(tmp_path):
    p = tmp_path / "a.txt"
    p.write_bytes(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(InputError, match="binary file"):
        records(p)


def test_formats_and_missing_files(tmp_path):
    assert detect_format("x.JSONL") == "jsonl" and detect_format("-") == "txt"
    assert detect_format("x.data", "csv") == "csv"
    with pytest.raises(InputError, match="cannot tell the format"):
        detect_format("x.docx")
    with pytest.raises(InputError, match="unknown input format"):
        detect_format("x.txt", "xml")
    with pytest.raises(InputError, match="not found"):
        records(tmp_path / "missing.txt")
    with pytest.raises(InputError, match="directory"):
        records(tmp_path, input_format="txt")
    with pytest.raises(InputError, match="do not apply"):
        records(tmp_path / "x.txt", text_column="t")


def test_parquet_round_trip(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    p = tmp_path / "a.parquet"
    pq.write_table(pa.table({"id": [1, 2], "text": ["hello", None], "other": [1.0, 2.0]}), p)
    rs = records(p)
    assert [(r.id, r.text) for r in rs] == [("1", "hello"), ("2", "")]
    assert count_records(str(p)) == 2
    with pytest.raises(InputError, match="no column 'body'"):
        records(p, text_column="body")
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        records(tmp_path / "bad.parquet")
