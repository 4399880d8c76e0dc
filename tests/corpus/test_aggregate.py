"""Aggregates and comparisons on a run whose answers are known: the fake backend labels by keyword."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("polars")
import polars as pl

from affectlens.corpus import analyze
from affectlens.corpus.aggregate import Selection, aggregate, compare
from affectlens.errors import ConfigError

# (week start, forum, happy texts, angry texts)
PLAN = [("2024-01-01", "a", 30, 10), ("2024-01-01", "b", 5, 35), ("2024-01-08", "a", 20, 20), ("2024-01-08", "b", 2, 1)]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("agg")
    lines = []
    for week, forum, happy, angry in PLAN:
        for i in range(happy + angry):
            day = f"{week[:-2]}{int(week[-2:]) + i % 7:02d}T12:00:00Z"
            text = f"so happy, number {i}" if i < happy else f"I hate it, number {i}"
            lines.append(json.dumps({"text": text, "t": day, "forum": forum}))
    lines.append(json.dumps({"text": "so happy with no time", "forum": "a"}))
    (folder / "in.jsonl").write_text("\n".join(lines) + "\n")
    analyze(folder / "in.jsonl", folder / "run", backend="fake", time_column="t", group_columns=["forum"], chunk_rows=25)
    return folder / "run"


def cell(table, **where):
    rows = table.filter(pl.all_horizontal(*(pl.col(k) == v for k, v in where.items())))
    assert rows.height == 1, rows
    return rows.row(0, named=True)


def test_weekly_shares_per_group_are_the_counts(run_dir):
    table = aggregate(run_dir, every="week", by=["forum"])
    for week, forum, happy, angry in PLAN:
        n = happy + angry
        joy = cell(table, forum=forum, measure="share", label="joy", bucket=pl.lit(week).str.to_datetime(time_zone="UTC"))
        assert joy["n"] == n and joy["value"] == pytest.approx(happy / n)
        assert joy["ci_low"] <= joy["value"] <= joy["ci_high"]
        assert joy["low_n"] == (n < 30)
        anger = cell(table, forum=forum, measure="share", label="anger", bucket=pl.lit(week).str.to_datetime(time_zone="UTC"))
        assert anger["value"] == pytest.approx(angry / n)
    assert table["n"].max() == 40 and table.filter(pl.col("low_n"))["n"].unique().to_list() == [3]


def test_the_whole_run_and_what_has_no_time(run_dir):
    whole = aggregate(run_dir, every=None)
    joy = cell(whole, measure="share", label="joy")
    assert joy["n"] == 124  # the row without a time counts when time does not matter
    weekly = aggregate(run_dir, every="week")
    assert weekly.filter((pl.col("measure") == "share") & (pl.col("label") == "joy"))["n"].sum() == 123
    valence = cell(whole, measure="valence")
    assert valence["ci_low"] < valence["value"] < valence["ci_high"]
    sentiments = whole.filter(pl.col("measure") == "sentiment")["value"].sum()
    assert sentiments == pytest.approx(1.0)


def test_tables_are_the_same_every_time(run_dir):
    assert aggregate(run_dir, every="week", by=["forum"]).equals(aggregate(run_dir, every="week", by=["forum"]))


def test_compare_groups_and_windows(run_dir):
    groups = compare(run_dir, "forum=a", "forum=b")
    joy = groups.filter((pl.col("measure") == "share") & (pl.col("label") == "joy")).row(0, named=True)
    assert joy["a"] == pytest.approx(51 / 81) and joy["b"] == pytest.approx(7 / 43)  # the timeless row is in forum a
    assert joy["effect_size"] == "cohen_h" and joy["effect"] < -0.8 and joy["significant"]
    assert joy["q"] >= joy["p"]
    flat = groups.filter((pl.col("measure") == "share") & (pl.col("label") == "grief")).row(0, named=True)
    assert flat["difference"] == 0 and not flat["significant"]
    weeks = compare(run_dir, "forum=a,..2024-01-08", "forum=a,2024-01-08..")
    joy = weeks.filter((pl.col("measure") == "share") & (pl.col("label") == "joy")).row(0, named=True)
    assert (joy["n_a"], joy["n_b"]) == (40, 40) and joy["a"] == pytest.approx(0.75) and joy["b"] == pytest.approx(0.5)


def test_bad_requests_are_clear(run_dir):
    with pytest.raises(ConfigError, match="no group column 'topic'"):
        aggregate(run_dir, by=["topic"])
    with pytest.raises(ConfigError, match="unknown bucket 'fortnight'"):
        aggregate(run_dir, every="fortnight")
    with pytest.raises(ConfigError, match="cannot read the time window"):
        Selection.parse("2024-13-45..")
