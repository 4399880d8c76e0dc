"""`affectlens polarization …`: analyse, aggregate, report, topics and rules through the CLI;
bad input gets one line and exit code 2."""

from __future__ import annotations

import json

import pytest

from tests.polarization.test_offline import _threads

pytest.importorskip("pyarrow")
pytest.importorskip("plotly")


@pytest.fixture(scope="module")
def threads(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pcli")
    _threads(folder / "threads.jsonl", n_threads=6)
    (folder / "events.csv").write_text("name,start,end\nreport,2021-08-04,2021-08-04\n")
    return folder


def test_analyze_aggregate_report(cli, threads):
    run = threads / "run"
    r = cli("polarization", "analyze", str(threads / "threads.jsonl"), "-o", str(run), "--stance-column", "side")
    assert r.code == 0, r.err
    assert "18 posts in 6 threads" in r.err and "asonam2025@1: 12 of 12 interactions scored" in r.err
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["command"].startswith("affectlens polarization analyze")

    a = cli("polarization", "aggregate", str(run), "--events", str(threads / "events.csv"), "--json", "--alpha-resamples", "20")
    assert a.code == 0, a.err
    data = json.loads(a.out)
    assert data["rules"] == "asonam2025@1" and data["summary"][0]["threads_scored"] == 6
    assert {w["window"]: w["threads"] for w in data["windows"]} == {"before": 3, "during": 1, "after": 2}
    assert {m["topic"] for m in data["measures"]} == {"climate@1"}
    table = cli("polarization", "aggregate", str(run), "--rules", "asonam2025-compat", "--alpha-resamples", "0")
    assert table.code == 0 and "thread scores under asonam2025-compat@1" in table.out

    page = threads / "report.html"
    rep = cli("polarization", "report", str(run), "-o", str(page), "--events", str(threads / "events.csv"))
    assert rep.code == 0, rep.err
    html = page.read_text()
    for title in ("Thread scores", "Events: before, during and after", "Hostility across and within sides", "Data quality"):
        assert f"<h2>{title}</h2>" in html
    assert "<script src=" not in html and "<link " not in html  # opens offline: plotly.js is inlined


def test_bad_input_is_one_line_and_exit_2(cli, threads, tmp_path):
    missing = cli("polarization", "analyze", str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "r"))
    assert missing.code == 2 and "not found" in missing.err
    topic = cli("polarization", "analyze", str(threads / "threads.jsonl"), "-o", str(tmp_path / "r2"), "--topic", "cooking")
    assert topic.code == 2 and "cooking" in topic.err and "climate" in topic.err
    csv = tmp_path / "t.csv"
    csv.write_text("id,text\n1,hello\n")
    no_parent = cli("polarization", "analyze", str(csv), "-o", str(tmp_path / "r3"))
    assert no_parent.code == 2 and "no column 'parent_id'" in no_parent.err
    llm_only = cli("polarization", "analyze", str(csv), "-o", str(tmp_path / "r4"), "-O", "model=x")
    assert llm_only.code == 2 and "unknown setting 'model'" in llm_only.err and "threads" in llm_only.err
    fake = cli("polarization", "analyze", str(threads / "threads.jsonl"), "-o", str(tmp_path / "r5"), "--backend", "fake")
    assert fake.code == 2 and "cannot annotate polarization" in fake.err
    llm_stance = cli(
        "polarization", "analyze", str(threads / "threads.jsonl"), "-o", str(tmp_path / "r6"), "--backend", "openai",
        "--stance-column", "side",
    )  # fmt: skip
    assert llm_stance.code == 2 and "for the offline path" in llm_stance.err
    assert not (tmp_path / "r5").exists() and not (tmp_path / "r6").exists()
    not_a_run = cli("polarization", "aggregate", str(tmp_path))
    assert not_a_run.code == 2 and "not an affectlens run folder" in not_a_run.err
    for r in (missing, topic, no_parent, llm_only, fake, llm_stance, not_a_run):
        assert "Traceback" not in r.err and "internal error" not in r.err


def test_topics_and_rules_are_listed(cli):
    topics = cli("polarization", "topics")
    assert topics.code == 0 and "climate@1" in topics.out and "for_control" in topics.out
    rules = cli("polarization", "rules", "asonam2025-compat")
    assert rules.code == 0 and "as-label" in rules.out and "0 <= x <= 2.5" in rules.out
