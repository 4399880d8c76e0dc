"""Readers over raw bytes: every well-formed row comes back exactly once, every malformed one
is reported at the line where it starts, and nothing else comes back (hypothesis).

A file is a list of rows, each well-formed (written the way the format's own writer would)
or malformed in one of the ways files break in practice: a byte that is not UTF-8, a NUL,
broken JSON, an unterminated or stray CSV quote, a wrong number of fields.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from affectlens.io.readers import plan_spans, read_records

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# what any text may hold, except what ends a line in a .txt file
_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r\x00"), min_size=1, max_size=30)
_IDS = st.text("abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=8)
_BAD_UTF8 = st.sampled_from([b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\x80abc"])


def _check(path, expected_good, expected_bad, **kw):
    records = list(read_records(str(path), **kw))
    good = [(r.line, r.id, r.text) for r in records if r.error is None]
    bad = [r.line for r in records if r.error is not None]
    assert good == expected_good
    assert bad == expected_bad
    assert all(r.error for r in records if r.error is not None)


@st.composite
def txt_files(draw):
    rows = draw(st.lists(st.tuples(st.sampled_from(["good"] * 4 + ["utf8", "nul"]), _TEXT), min_size=1, max_size=25))
    data, good, bad = b"", [], []
    for n, (kind, text) in enumerate(rows, start=1):
        raw = text.encode()
        if kind == "utf8":
            cut = draw(st.integers(0, len(raw)))
            raw = raw[:cut] + draw(_BAD_UTF8) + raw[cut:]
            bad.append(n)
        elif kind == "nul":
            raw = raw + b"\x00" + raw
            bad.append(n)
        else:
            good.append((n, None, text))
        data += raw + draw(st.sampled_from([b"\n", b"\r\n"]))
    return data, good, bad


@SETTINGS
@given(txt_files())
def test_txt(tmp_path, file):
    data, good, bad = file
    (tmp_path / "in.txt").write_bytes(data)
    _check(tmp_path / "in.txt", good, bad)


@st.composite
def jsonl_files(draw):
    kinds = ["good"] * 5 + ["utf8", "nul", "broken", "array", "no-text", "blank", "surrogate"]
    rows = draw(st.lists(st.tuples(st.sampled_from(kinds), _IDS, _TEXT), min_size=1, max_size=25))
    data, good, bad = b"", [], []
    for n, (kind, id_, text) in enumerate(rows, start=1):
        if kind == "surrogate":  # valid JSON, text with an unpaired surrogate: kept as is
            text = text + "\ud800"
        line = json.dumps({"id": id_, "text": text}, ensure_ascii=draw(st.booleans()) or kind == "surrogate").encode()
        if kind in ("good", "surrogate"):
            good.append((n, id_, text))
        elif kind == "blank":
            line = b"   "
        elif kind == "utf8":
            line = line[:-2] + draw(_BAD_UTF8) + line[-2:]
        elif kind == "nul":
            line = line[:-2] + b"\x00" + line[-2:]
        elif kind == "broken":
            line = line[: draw(st.integers(1, len(line) - 1))]
        elif kind == "array":
            line = json.dumps([id_, text]).encode()
        elif kind == "no-text":
            line = json.dumps({"id": id_, "body": text}).encode()
        if kind not in ("good", "surrogate", "blank"):
            bad.append(n)
        data += line + b"\n"
    return data, good, bad


@SETTINGS
@given(jsonl_files())
def test_jsonl(tmp_path, file):
    data, good, bad = file
    (tmp_path / "in.jsonl").write_bytes(data)
    _check(tmp_path / "in.jsonl", good, bad)


# CSV texts may hold commas, quotes and line breaks (the writer quotes them). They do not
# start with a line break or a comma: after a stray quote, such a text closes it and the
# bytes form valid CSV, which no reader can tell from what was meant (readers.py says so).
_CSV_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=30).filter(
    lambda t: t[0] not in "\r\n,"
)
_PLAIN = st.text("abcdefghij klmnopqrstuvwxyz.!?", min_size=1, max_size=20)  # what a broken row holds


def _csv_row(id_: str, text: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([id_, text])  # the default dialect quotes any field with \r or \n
    return buffer.getvalue()


@st.composite
def csv_files(draw):
    kinds = ["good"] * 5 + ["unterminated", "after-quote", "fields", "utf8", "nul"]
    rows = draw(st.lists(st.tuples(st.sampled_from(kinds), _IDS, _CSV_TEXT, _PLAIN), min_size=1, max_size=20))
    data, good, bad = b"id,text\r\n", [], []
    line = 2
    for kind, id_, text, plain in rows:
        if kind == "good":
            raw = _csv_row(id_, text).encode()
            good.append((line, id_, text))
        else:
            bad.append(line)
            raw = {
                "unterminated": f'{id_},"{plain}\n'.encode(),
                "after-quote": f'{id_},"{plain}"x{plain}\n'.encode(),
                "fields": f"{id_},{plain},{plain}\n".encode(),
                "utf8": f"{id_},{plain}".encode() + draw(_BAD_UTF8) + b"\n",
                "nul": f"{id_},{plain}\x00\n".encode(),
            }[kind]
        data += raw
        line += raw.count(b"\n")
    return data, good, bad


@SETTINGS
@given(csv_files())
def test_csv(tmp_path, file):
    data, good, bad = file
    (tmp_path / "in.csv").write_bytes(data)
    _check(tmp_path / "in.csv", good, bad)


@st.composite
def parquet_tables(draw):
    texts = draw(st.lists(st.one_of(st.none(), _CSV_TEXT), min_size=1, max_size=40))
    group = draw(st.integers(1, 10))
    corrupt = draw(st.one_of(st.none(), st.integers(0, (len(texts) - 1) // group)))
    return texts, group, corrupt


@SETTINGS
@given(parquet_tables(), st.randoms(use_true_random=False))
def test_parquet(tmp_path, table, random):
    """A damaged row group (page checksums on) costs its own rows, reported; never another's."""
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    texts, group, corrupt = table
    path = tmp_path / "in.parquet"
    ids = [f"r{i}" for i in range(len(texts))]
    pq.write_table(pa.table({"id": ids, "text": texts}), path, row_group_size=group, write_page_checksum=True)
    lost: set[int] = set()
    if corrupt is not None:
        meta = pq.ParquetFile(path).metadata.row_group(corrupt).column(1)
        start = meta.dictionary_page_offset or meta.data_page_offset
        data = bytearray(path.read_bytes())
        at = start + random.randrange(meta.total_compressed_size)
        data[at] ^= 0xFF
        path.write_bytes(bytes(data))
        lost = set(range(corrupt * group, min((corrupt + 1) * group, len(texts))))
    records = list(read_records(str(path)))
    assert [r.line for r in records] == list(range(1, len(texts) + 1))  # every row, once, in order
    for i, r in enumerate(records):
        if r.error is None:
            assert (r.id, r.text) == (ids[i], texts[i] or "")
        else:
            assert i in lost, f"row {i + 1} reported though its row group is intact: {r.error}"


@SETTINGS
@given(st.sampled_from(["txt", "jsonl", "csv"]), st.data(), st.integers(1, 7))
def test_spans_read_exactly_what_the_whole_file_holds(tmp_path, fmt, data, every):
    """The corpus engine reads files in spans: in order, they give the records of the whole file."""
    generator = {"txt": txt_files, "jsonl": jsonl_files, "csv": csv_files}[fmt]
    raw, _, _ = data.draw(generator())
    path = tmp_path / f"in.{fmt}"
    path.write_bytes(raw)
    whole = list(read_records(str(path)))
    spans, total = plan_spans(str(path), every=every)
    pieces = [r for span in spans for r in read_records(str(path), span=span)]
    assert pieces == whole
    if fmt == "csv":
        assert total == len(whole)
    assert all(span.count <= every for span in spans)


def test_parquet_spans_follow_row_groups(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "in.parquet"
    pq.write_table(pa.table({"text": [f"t{i}" for i in range(23)]}), path, row_group_size=5)
    whole = list(read_records(str(path)))
    spans, total = plan_spans(str(path), every=10)
    assert total == 23 and [(s.start, s.first_line, s.count) for s in spans] == [(0, 1, 2), (2, 11, 2), (4, 21, 1)]
    assert [r for span in spans for r in read_records(str(path), span=span)] == whole
