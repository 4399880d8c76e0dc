"""The measures beside the rule score (hostility gap, Hohmann's alpha) and the event windows,
checked against hand computations, dense linear algebra and scipy."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from scipy.stats import spearmanr, ttest_ind

from affectlens.errors import InputError
from affectlens.polarization.events import Event, compare_windows, read_events, window_rows
from affectlens.polarization.measures import alpha, generalized_euclidean, hostility_gap, polarization_alpha
from affectlens.polarization.rules import load_rules


def test_hostility_gap_is_cross_minus_same_with_a_thread_bootstrap():
    # thread a: 3 cross replies, 2 hostile; 1 same, not hostile. thread b: 1 cross, hostile; 3 same, 1 hostile
    threads = ["a"] * 4 + ["b"] * 4
    cross = [True, True, True, False, True, False, False, False]
    hostile = [True, True, False, False, True, False, True, False]
    result = hostility_gap(threads, cross, hostile, resamples=500)
    assert result.cross == (3, 4) and result.same == (1, 4)
    assert result.gap.value == pytest.approx(3 / 4 - 1 / 4)
    low, high = result.gap.ci
    assert low <= result.gap.value <= high
    assert hostility_gap(["a"], [True], [True]).gap.value is None  # no same-side reply: no gap


def test_generalized_euclidean_matches_the_dense_pseudoinverse():
    rng = np.random.default_rng(3)
    n = 30
    edges = rng.integers(0, n, (50, 2))  # with repeats, self-loops and several components
    opinions = rng.choice([-1.0, 1.0, 0.5], n)
    laplacian = np.zeros((n, n))
    for a, b in {(min(a, b), max(a, b)) for a, b in edges if a != b}:
        laplacian[a, b] = laplacian[b, a] = -1
    laplacian -= np.diag(laplacian.sum(axis=1))
    dense = np.sqrt(opinions @ np.linalg.pinv(laplacian, hermitian=True) @ opinions)
    assert generalized_euclidean(edges, opinions) == pytest.approx(dense, rel=1e-9)


def test_alpha_is_polarization_times_the_disagreement_hostility_correlation():
    edges = np.array([[0, 1], [1, 2], [2, 3], [3, 0], [0, 2]])
    opinions = np.array([1.0, -1.0, 1.0, 0.0])
    hostility = np.array([0.9, 0.8, 0.1, 0.3, 0.0])
    rho = spearmanr(np.abs(opinions[edges[:, 0]] - opinions[edges[:, 1]]), hostility)[0]
    assert alpha(edges, opinions, hostility) == pytest.approx(generalized_euclidean(edges, opinions) * rho)
    assert alpha(edges[:2], opinions, hostility[:2]) is None  # too few edges


def test_alpha_from_posts_and_replies():
    # two camps; replies across camps are hostile, within camps not: alpha > 0
    authors = ["a1", "a2", "b1", "b2"]
    positions = {"a1": 1.0, "a2": 1.0, "b1": -1.0, "b2": -1.0}
    post_threads, post_authors, post_positions = [], [], []
    replies = []
    for t in range(12):
        for author in authors:
            post_threads.append(f"t{t}")
            post_authors.append(author)
            post_positions.append(positions[author])
        replies += [
            (f"t{t}", "a1", "b1", True),
            (f"t{t}", "b2", "a2", True),
            (f"t{t}", "a1", "a2", False),
            (f"t{t}", "b1", "b2", False),
        ]
    replies += [("t0", "a2", "b2", False)]  # one calm reply on the a2-b2 pair: its hostility is 12 of 13
    threads, by, to, hostile = zip(*replies)
    est = polarization_alpha(post_threads, post_authors, post_positions, threads, by, to, hostile, resamples=50)
    # authors a1 a2 b1 b2 = 0 1 2 3; pairs a1-b1, a2-b2 (12/13 hostile), a1-a2, b1-b2
    by_hand = alpha(
        np.array([[0, 2], [1, 3], [0, 1], [2, 3]]), np.array([1.0, 1.0, -1.0, -1.0]), np.array([1.0, 12 / 13, 0.0, 0.0])
    )
    assert est.value == pytest.approx(by_hand, abs=1e-4) and est.value > 0 and est.n == 4
    assert est.ci[0] <= est.value <= est.ci[1]


def test_windows_follow_the_paper_dates_and_the_test_is_welchs():
    # event on 2022-05-24 (a date): before = 21..23 May, during = the 24th, after = 25..27 May
    event = Event("texas", dt.datetime(2022, 5, 24, tzinfo=dt.timezone.utc), dt.datetime(2022, 5, 25, tzinfo=dt.timezone.utc))
    day = lambda d, h=12: dt.datetime(2022, 5, d, h, tzinfo=dt.timezone.utc)  # noqa: E731
    times = [day(20), day(21, 0), day(22), day(23, 23), day(24, 0), day(24, 23), day(25, 0), day(26), day(27, 23), day(28, 0)]
    scores = [9.0, 2.0, 4.0, 3.0, 7.0, 8.0, 6.0, 5.0, 4.5, 9.0]
    rows = window_rows([event], times, scores, load_rules())
    by = {r["window"]: r for r in rows}
    assert [by[w]["threads"] for w in ("before", "during", "after")] == [3, 2, 3]
    assert by["before"]["mean"] == pytest.approx(3.0) and by["before"]["sem"] == pytest.approx(
        np.std([2, 4, 3], ddof=1) / np.sqrt(3), abs=1e-4
    )
    assert by["during"]["share_high"] == 0.5 and by["before"]["share_low"] == pytest.approx(1 / 3, abs=1e-4)
    tests = {c["comparison"]: c for c in compare_windows(rows)}
    welch = ttest_ind([7.0, 8.0], [2.0, 4.0, 3.0], equal_var=False)
    assert tests["during - before"]["difference"] == pytest.approx(4.5) and tests["during - before"]["p"] == pytest.approx(
        welch.pvalue, abs=1e-5
    )
    assert tests["after - before"]["q"] is not None


def test_events_file_and_its_errors(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("name,start,end\nipcc,2021-08-09,2021-08-09\nsummit,2021-10-31T12:00:00Z,\n")
    ipcc, summit = read_events(str(path))
    assert ipcc.end - ipcc.start == dt.timedelta(days=1)  # an end date covers its whole day
    assert summit.start == dt.datetime(2021, 10, 31, 12, tzinfo=dt.timezone.utc) and summit.end > summit.start
    path.write_text("name,start,end\nbroken,yesterday,\n")
    with pytest.raises(InputError, match="line 2"):
        read_events(str(path))
