"""Figures from a run that did not finish say so: a warning on stderr, a mark in every output,
"interrupted" and how much was done at the top of the report."""

from __future__ import annotations

import datetime as dt
import json

import pytest

pytest.importorskip("polars")
pytest.importorskip("plotly")

from affectlens.corpus import analyze


@pytest.fixture(scope="module")
def killed(tmp_path_factory):
    """A run stopped after the first of its ten tasks."""
    folder = tmp_path_factory.mktemp("incomplete")
    start = dt.date(2024, 1, 1)
    rows = [
        {
            "text": ("so happy, thanks" if i % 3 else "I hate this"),
            "t": (start + dt.timedelta(days=i % 70)).isoformat(),
            "g": "ab"[i % 2],
        }
        for i in range(1000)
    ]
    (folder / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))

    def stop(result):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        analyze(
            folder / "in.jsonl",
            folder / "run",
            backend="fake",
            time_column="t",
            group_columns=["g"],
            chunk_rows=100,
            on_task=stop,
        )
    return folder / "run"


def test_every_command_on_an_incomplete_run_warns_and_marks_its_output(cli, killed, tmp_path):
    expected = "the run is incomplete (interrupted): 100 of 1,000 rows done"
    weekly = cli("corpus", "aggregate", str(killed), "--every", "week", "-f", "csv")
    assert weekly.code == 0, weekly.err
    assert expected in weekly.err
    header, *lines = weekly.out.splitlines()
    assert header.endswith(",run_complete") and lines and all(line.endswith(",false") for line in lines)
    for args in (
        ("compare", str(killed), "--a", "g=a", "--b", "g=b"),
        ("drivers", str(killed), "--label", "joy", "--a", "g=a", "--b", "g=b"),
        ("changes", str(killed), "--every", "week"),
    ):
        r = cli("corpus", *args, "-f", "csv")
        assert r.code == 0, (args, r.err)
        assert expected in r.err, args
        header, *lines = r.out.splitlines()
        assert header.endswith(",run_complete") and all(line.endswith(",false") for line in lines), args
    page = tmp_path / "report.html"
    r = cli("corpus", "report", str(killed), "-o", str(page))
    assert r.code == 0, r.err
    assert expected in r.err
    html = page.read_text()
    assert "Incomplete run." in html and "interrupted, 100 of 1,000 rows done" in html
    assert "Run running" not in html


def test_a_complete_run_is_marked_complete_and_says_nothing(cli, killed, tmp_path):
    r = cli("corpus", "analyze", str(killed.parent / "in.jsonl"), "-o", str(killed), "--backend", "fake",
            "--time-column", "t", "--group-column", "g", "--chunk-rows", "100", "-q")  # fmt: skip
    assert r.code == 0, r.err
    weekly = cli("corpus", "aggregate", str(killed), "-f", "csv")
    assert weekly.code == 0 and "incomplete" not in weekly.err
    assert all(line.endswith(",true") for line in weekly.out.splitlines()[1:])
