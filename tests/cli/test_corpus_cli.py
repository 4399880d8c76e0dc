"""`affectlens corpus …`: the commands over the library, their outputs and their errors."""

from __future__ import annotations

import csv
import json

import pytest

pytest.importorskip("polars")
pytest.importorskip("plotly")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A folder with posts.jsonl, and a finished run of it in run/ (made through the API)."""
    from affectlens.corpus import analyze
    from tests.corpus.test_run import make_corpus

    folder = tmp_path_factory.mktemp("cli")
    make_corpus(folder / "posts.jsonl", 600)
    analyze(folder / "posts.jsonl", folder / "run", backend="fake", time_column="created", group_columns=["forum"])
    return folder


def test_analyze_then_every_command(cli, run_dir):
    run = run_dir / "cli-run"
    r = cli(
        "corpus", "analyze", str(run_dir / "posts.jsonl"), "-o", str(run), "--backend", "fake",
        "--time-column", "created", "--group-column", "forum", "--chunk-rows", "100",
    )  # fmt: skip
    assert r.code == 0, r.err
    assert "rows analysed" in r.err and "identical texts reused" in r.err and "bad row" in r.err
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["command"].startswith("affectlens corpus analyze")

    again = cli("corpus", "analyze", str(run_dir / "posts.jsonl"), "-o", str(run), "--backend", "fake",
                "--time-column", "created", "--group-column", "forum")  # fmt: skip
    assert again.code == 0 and "continuing" in again.err  # nothing left to do: the same command is harmless

    weekly = cli("corpus", "aggregate", str(run), "--every", "week", "--by", "forum", "-o", str(run_dir / "weekly.csv"))
    assert weekly.code == 0, weekly.err
    rows = list(csv.DictReader((run_dir / "weekly.csv").open()))
    assert {"bucket", "forum", "measure", "label", "value", "ci_low", "ci_high", "n", "low_n", "run_complete"} == set(rows[0])
    shown = cli("corpus", "aggregate", str(run), "--every", "all", "--measure", "share")
    assert shown.code == 0 and "share" not in shown.out.split("\n", 3)[2] and "anger" in shown.out

    comparison = cli("corpus", "compare", str(run), "--a", "forum=a", "--b", "forum=b", "-f", "json")
    assert comparison.code == 0 and {"q", "effect", "significant"} <= set(json.loads(comparison.out)[0])
    drivers = cli("corpus", "drivers", str(run), "--label", "joy", "--a", "..2024-01-31", "--b", "2024-01-31..", "-f", "csv")
    assert drivers.code == 0 and drivers.out.startswith("word,count_a,count_b,log_odds,z,more_in")
    changes = cli("corpus", "changes", str(run), "--every", "week", "-o", str(run_dir / "changes.parquet"))
    assert changes.code == 0 and (run_dir / "changes.parquet").exists()
    report = cli("corpus", "report", str(run), "-o", str(run_dir / "report.html"), "--by", "forum")
    assert report.code == 0 and "opens offline" in report.err and (run_dir / "report.html").stat().st_size > 1_000_000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("corpus", "aggregate", "{tmp}"), "not an affectlens run folder"),
        (("corpus", "aggregate", "{run}", "--by", "topic"), "no group column 'topic'"),
        (("corpus", "aggregate", "{run}", "-o", "{tmp}/x.xlsx"), "unknown table format 'xlsx'"),
        (("corpus", "compare", "{run}", "--a", "forum=zzz", "--b", "forum=a"), "no text in the selection 'forum=zzz'"),
        (("corpus", "drivers", "{run}", "--label", "schadenfreude", "--a", "..2024-01-31", "--b", "2024-01-31.."), "no label"),
        (("corpus", "analyze", "{tmp}/none.jsonl", "-o", "{tmp}/r"), "not found"),
        (("corpus", "analyze", "{run}/../posts.jsonl", "-o", "{tmp}/r", "--engine", "spark"), "unknown engine 'spark'"),
    ],
)
def test_bad_requests_are_one_line_and_exit_2(cli, run_dir, tmp_path, args, message):
    r = cli(*(a.format(run=run_dir / "run", tmp=tmp_path) for a in args))
    assert r.code == 2 and message in r.err and "Traceback" not in r.err


def test_an_interrupted_run_says_how_to_continue(cli, run_dir, monkeypatch):
    from affectlens.analyzers.fake import FakeAnalyzer

    calls = {"n": 0}
    original = FakeAnalyzer._analyze_texts

    def interrupted(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(FakeAnalyzer, "_analyze_texts", interrupted)
    out = run_dir / "interrupted"
    args = ("corpus", "analyze", str(run_dir / "posts.jsonl"), "-o", str(out), "--backend", "fake", "--chunk-rows", "100")
    first = cli(*args)
    assert first.code == 130 and "run the same command again to continue" in first.err
    monkeypatch.undo()
    second = cli(*args)
    assert second.code == 0 and "continuing" in second.err and "2 of 6 tasks done" in second.err
    refused = cli(*args, "--taxonomy", "ekman")
    assert refused.code == 2 and "settings differ" in refused.err and "run the same command again" not in refused.err
