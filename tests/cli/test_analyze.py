import json

import pytest


def test_positional_texts_table(cli):
    r = cli("analyze", "Thank you so much, this made my day!", "I am furious about the delay")
    assert r.code == 0
    assert "gratitude" in r.out and "anger" in r.out


def test_json_in_another_taxonomy(cli):
    r = cli("analyze", "What a disgusting, filthy place", "--format", "json", "--taxonomy", "ekman")
    assert r.code == 0
    (a,) = json.loads(r.out)
    assert a["taxonomy"] == "ekman@1" and a["dominant"] == "disgust"
    assert set(a["labels"]) <= {"anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral"}


def test_empty_text_is_answered_with_a_warning(cli):
    r = cli("analyze", "", "-f", "jsonl")
    assert r.code == 0
    a = json.loads(r.out)
    assert a["labels"] == [] and a["dominant"] is None and a["warnings"] == ["empty text: nothing to analyse"]


def test_csv_file_with_ids_to_parquet(cli, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    src = tmp_path / "in.csv"
    src.write_text("key,body\nk1,I love it\nk2,I hate it\n", encoding="utf-8")
    out = tmp_path / "out.parquet"
    r = cli("analyze", "-i", str(src), "--text-column", "body", "--id-column", "key", "-o", str(out))
    assert r.code == 0, r.err
    rows = pq.read_table(out).to_pylist()
    assert [row["id"] for row in rows] == ["k1", "k2"]
    assert rows[0]["valence"] > rows[1]["valence"]
    assert "analysed 2 texts" in r.err


def test_jsonl_id_field_passes_through_by_default(cli, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "x", "text": "wow, what a surprise"}\n', encoding="utf-8")
    r = cli("analyze", "-i", str(src), "-f", "jsonl")
    assert json.loads(r.out)["id"] == "x"


def test_stdin(cli):
    r = cli("analyze", "-i", "-", "-f", "jsonl", stdin=b"so sad today\nso happy today\n")
    assert r.code == 0
    rows = [json.loads(line) for line in r.out.splitlines()]
    assert [row["text"] for row in rows] == ["so sad today", "so happy today"]


def test_bad_rows_are_reported_and_the_rest_analysed(cli, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "fine"}\n{broken\n{"text": "also fine"}\n', encoding="utf-8")
    r = cli("analyze", "-i", str(src), "-f", "jsonl")
    assert r.code == 0 and len(r.out.splitlines()) == 2
    assert "skipped row 2, which is not valid JSON" in r.err and "1 rows skipped" in r.err
    strict = cli("analyze", "-i", str(src), "-f", "jsonl", "--strict")
    assert strict.code == 2 and "row 2" in strict.err


def test_long_text_is_windowed_with_a_warning(cli):
    r = cli("analyze", "It was a quiet, ordinary afternoon. " * 80, "-f", "jsonl")
    assert any("window" in w for w in json.loads(r.out)["warnings"])


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("analyze", "x", "--taxonomy", "nope"), None, "unknown taxonomy 'nope'"),
        (("analyze", "-i", "/no/such/file.txt"), None, "not found"),
        (("analyze",), None, "nothing to analyse"),
        (("analyze", "x", "-i", "f.txt"), None, "not both"),
        (("analyze", "x", "--format", "xml"), None, "unknown output format"),
        (("analyze", "x", "--max-chars", "0"), None, "max_chars"),
        (("analyze", "x", "--backend", "embeded"), None, "did you mean 'embedded'"),
    ],
)
def test_bad_usage_is_one_clear_line_and_exit_2(cli, args, stdin, message):
    r = cli(*args, stdin=stdin)
    assert r.code == 2
    first = r.err.strip().splitlines()[0]
    assert first.startswith("affectlens: error:") and message in r.err
    assert "Traceback" not in r.err


def test_missing_column_exits_2_and_writes_nothing(cli, tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("id,body\n1,x\n")
    out = tmp_path / "out.jsonl"
    r = cli("analyze", "-i", str(src), "-o", str(out))
    assert r.code == 2 and "no column 'text'" in r.err
    assert not out.exists()


def test_oversized_text_row_is_skipped(cli, tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("short and sweet\n" + "x" * 500 + "\n")
    r = cli("analyze", "-i", str(src), "-f", "jsonl", "--max-chars", "100")
    assert r.code == 0 and len(r.out.splitlines()) == 1
    assert "skipped row 2" in r.err and "over the limit of 100" in r.err


def test_explain_json_and_abstention(cli):
    r = cli("analyze", "I'm not happy with how the renovation turned out.", "--explain", "-f", "jsonl")
    a = json.loads(r.out)
    assert a["evidence"] and a["rationale"].startswith("Reads")
    assert a["vad"]["coverage"] == 0.8 and set(a["vad"]["intervals"]) == {"valence", "arousal", "dominance"}
    r = cli("analyze", "I love this so much", "--min-confidence", "1", "-f", "jsonl")
    a = json.loads(r.out)
    assert a["labels"] == [] and any("abstained" in w for w in a["warnings"])
    assert cli("analyze", "x", "--min-confidence", "2").code == 2


def test_explain_table_shows_the_rationale(cli):
    r = cli("analyze", "I'm absolutely furious!", "--explain")
    assert r.code == 0 and "Reads as anger" in r.out


def test_a_file_of_only_bad_rows_reports_them_and_exits_2(cli):
    r = cli("analyze", "-i", "-", stdin=b"bad \xff\n")
    assert r.code == 2
    assert "skipped row 1, which is not valid UTF-8 (byte 5 is b'\\xff')" in r.err
    assert r.err.rstrip().endswith("affectlens: error: no text in the input could be analysed")
