import json
import sys

import pytest

from affectlens.errors import InputError
from affectlens.io.readers import detect_format, read_records


def records(path, **kw):
    return list(read_records(str(path), **kw))


def test_txt_one_text_per_line_with_bom_and_crlf(tmp_path):
    p = tmp_path / "a.txt"
    p.write_bytes("\ufefffirst\r\n\r\nthird line\n".encode())
    assert [(r.line, r.text) for r in records(p)] == [(1, "first"), (2, ""), (3, "third line")]


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
    assert rs[2].error == "is a JSON array, not an object or a string"
    assert rs[3].error == "has no 'text' field"
    assert rs[4].text == "bare string"
    assert rs[5].text == ""  # null text: analysed as empty, with a warning


def test_invalid_utf8_is_a_bad_row_of_its_own(tmp_path):
    p = tmp_path / "a.txt"
    p.write_bytes(b"fine\nstill fine\nbroken \xff here\nafter\n")
    rs = records(p)
    assert [(r.line, r.text) for r in rs if not r.error] == [(1, "fine"), (2, "still fine"), (4, "after")]
    assert rs[2].line == 3 and "not valid UTF-8 (byte 8 is b'\\xff')" in rs[2].error and "iconv" in rs[2].error


@pytest.mark.parametrize(
    ("head", "what"),
    [
        (b"PK\x03\x04\x00\x00binary", "a zip archive"),
        (b"\xff\xfeh\x00i\x00\n\x00", "UTF-16 text"),
        (b"PAR1\x15\x04", "a Parquet file"),
        (b"\x00\x01\x02\x03" * 100, "binary file"),
    ],
)
def test_binary_files_are_refused_as_a_whole(tmp_path, head, what):
    p = tmp_path / "a.txt"
    p.write_bytes(head)
    with pytest.raises(InputError, match=what):
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
    with pytest.raises(InputError, match="no column 'body'"):
        records(p, text_column="body")
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        records(tmp_path / "bad.parquet")


@pytest.mark.parametrize("suffix", ["txt", "jsonl", "csv"])
def test_an_over_long_line_is_refused_while_read_and_the_next_row_survives(tmp_path, suffix):
    p = tmp_path / f"a.{suffix}"
    long = "word " * 300_000  # 1.5 MB, over line_limit(1000) = 1 MiB + 8,000 bytes
    rows = {
        "txt": ["before", long, "after"],
        "jsonl": [json.dumps({"text": t}) for t in ("before", long, "after")],
        "csv": ["text", "before", long, "after"],
    }[suffix]
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    rs = records(p, max_chars=1000)
    assert [r.text for r in rs if not r.error] == ["before", "after"]
    (bad,) = [r for r in rs if r.error]
    assert bad.line == (3 if suffix == "csv" else 2)
    assert "over the limit of 1,056,576" in bad.error and "--max-chars" in bad.error


def test_closed_stdin_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(sys, "stdin", None)
    with pytest.raises(InputError, match="standard input is closed"):
        list(read_records("-"))


def test_unpaired_surrogates_stay_in_texts_and_are_escaped_in_ids(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_text('{"id": "x\\udc80", "text": "broken \\ud800 text", "speaker": "\\ud83d"}\n', encoding="utf-8")
    (r,) = records(p, extra=("speaker",))
    assert r.text == "broken \ud800 text"  # the analyzer replaces it, with a warning
    assert r.id == "x\\udc80" and r.extra == {"speaker": "\\ud83d"}


def test_a_missing_column_names_the_option_that_picks_it(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("conversation_id,who,text\n1,a,hi\n")
    with pytest.raises(InputError, match="no column 'speaker'") as info:
        records(p, extra=("speaker",), required={"speaker": "--speaker-column"})
    assert info.value.hint == "name the column with --speaker-column"


def test_csv_unterminated_quote_costs_only_its_own_row(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text('id,text\n1,fine\n2,"never closed\n3,next row\n4,"quoted, fine"\n')
    rs = records(p)
    good = [(r.line, r.id, r.text) for r in rs if not r.error]
    assert good == [(2, "1", "fine"), (4, "3", "next row"), (5, "4", "quoted, fine")]
    assert [r.line for r in rs if r.error] == [3]
