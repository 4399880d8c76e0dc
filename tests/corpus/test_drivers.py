"""What drove a change (log-odds with an informative Dirichlet prior) and when (change points),
on hand-built corpora whose answers are known."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter

import pytest

pytest.importorskip("polars")
pytest.importorskip("ruptures")
import numpy as np

from affectlens.corpus import analyze
from affectlens.corpus.changepoints import change_points, extra_variance, segment
from affectlens.corpus.drivers import drivers, log_odds, tokens


def test_log_odds_by_hand():
    a, b = Counter({"rain": 10, "the": 90, "and": 50}), Counter({"rain": 40, "the": 60, "and": 50})
    rows = {w: (d, z) for w, d, z in log_odds(a, b, a + b, prior=100)}
    # rain: alpha = 100 * 50 / 300, n_a = n_b = 150; delta = log((40+α)/(150+100-40-α)) - log((10+α)/(150+100-10-α))
    alpha = 100 * 50 / 300
    delta = math.log((40 + alpha) / (250 - 40 - alpha)) - math.log((10 + alpha) / (250 - 10 - alpha))
    assert rows["rain"][0] == pytest.approx(delta)
    assert rows["rain"][1] == pytest.approx(delta / math.sqrt(1 / (10 + alpha) + 1 / (40 + alpha)))
    assert rows["rain"][1] > 2 and rows["the"][1] < -2 and rows["and"][1] == pytest.approx(0)
    assert tokens("I'm SO furious!! 2024 x") == ["i'm", "so", "furious"]
    assert tokens("I don\u2019t care") == ["don't", "care"]


@pytest.fixture(scope="module", params=[False, True], ids=["scores", "evidence"])
def runs(request, tmp_path_factory):
    """January: anger is about traffic; February: about taxes, and 'furious' appears."""
    folder = tmp_path_factory.mktemp("drivers")
    lines = []
    for month, angry in (("2024-01", "I hate the traffic jam again"), ("2024-02", "I am furious about the taxes again")):
        for day in range(1, 29):
            t = f"{month}-{day:02d}"
            lines += [json.dumps({"text": angry, "t": t}), json.dumps({"text": "lunch was fine, the weather too", "t": t})]
    (folder / "in.jsonl").write_text("\n".join(lines) + "\n")
    run = folder / "run"
    analyze(folder / "in.jsonl", run, backend="fake", time_column="t", explain=request.param, chunk_rows=40)
    return run, request.param


def test_the_words_that_changed_for_anger(runs):
    run, with_evidence = runs
    table = drivers(run, "anger", "2024-01-01..2024-02-01", "2024-02-01..2024-03-01", top=5)
    rose = table.filter(table["more_in"] == "b")["word"].to_list()
    fell = table.filter(table["more_in"] == "a")["word"].to_list()
    assert table["z"][0] > 2  # 28 texts a side, against a prior of 1,000 words
    if with_evidence:  # only the words the evidence points at: the keyword each time
        assert rose == ["furious"] and fell == ["hate"]
    else:  # every word of the angry texts, weighted by the anger score — but not the function words
        assert {"furious", "taxes"} <= set(rose) and {"hate", "traffic", "jam"} <= set(fell)
        assert not {"about", "the", "am", "again", "i"} & (set(rose) | set(fell))
        kept = drivers(run, "anger", "2024-01-01..2024-02-01", "2024-02-01..2024-03-01", top=5, function_words=True)
        assert "about" in kept.filter(kept["more_in"] == "b")["word"].to_list()  # what they would have been
        assert "weather" not in set(rose) | set(fell)  # in non-angry texts only: weighted out


def test_change_points_of_a_step_weigh_each_bucket_by_its_texts():
    rng = np.random.default_rng(1)
    sizes = np.full(24, 200)
    step = rng.binomial(sizes, np.r_[np.full(12, 0.1), np.full(12, 0.5)])
    assert segment(step, sizes) == [12]
    flat = np.full(40, 500)
    assert segment(rng.binomial(flat, 0.3), flat) == []
    assert segment([20, 20, 20, 20], [100, 100, 100, 100]) == []  # no variation, no change
    # a one-day first bucket of 40 texts at 0.175 beside weeks of 2,000 at 0.1: within its sampling noise
    sizes = np.r_[40, np.full(15, 2000)]
    counts = np.r_[7, rng.binomial(sizes[1:], 0.1)]
    assert segment(counts, sizes) == []


def test_week_to_week_variation_beyond_sampling_is_not_a_change():
    rng = np.random.default_rng(2)
    sizes = np.full(30, 5000)
    shares = 0.2 + rng.normal(0, 0.02, 30)  # topics come and go: ten times the binomial spread
    assert extra_variance(rng.binomial(sizes, shares), sizes) > 1e-4
    assert segment(rng.binomial(sizes, shares), sizes) == []
    assert extra_variance(rng.binomial(sizes, 0.2), sizes) < 1e-5


def test_change_points_are_dated(tmp_path):
    lines = []
    start = dt.date(2024, 1, 1)
    for week in range(16):
        happy = 5 if week < 9 else 25  # the joy share steps up in week 9
        for i in range(40):
            day = start + dt.timedelta(weeks=week, days=i % 7)
            lines.append(json.dumps({"text": "so happy" if i < happy else "the bus was on time", "t": day.isoformat()}))
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n")
    analyze(tmp_path / "in.jsonl", tmp_path / "run", backend="fake", time_column="t", chunk_rows=200)
    found = change_points(tmp_path / "run", every="week", labels=["joy", "anger"])
    (joy,) = found.filter(found["label"] == "joy").iter_rows(named=True)
    assert joy["date"] == dt.datetime(2024, 3, 4, tzinfo=dt.timezone.utc)  # week 9
    assert joy["before"] == pytest.approx(5 / 40) and joy["after"] == pytest.approx(25 / 40)
    assert found.filter(found["label"] == "anger").height == 0
