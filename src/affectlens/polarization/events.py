"""Events and their windows: thread scores before, during and after.

An events file (CSV or JSONL) has ``name``, ``start`` and ``end`` (ISO dates or times; ``end``
may be empty for a one-day event). The windows are the paper's, with a configurable width
*w* (default 3 days): before = [start − w, start), during = [start, end], after = (end,
end + w]. An ``end`` given as a date covers that whole day (the paper compares dates), so
with dates: before is the *w* days before ``start``, after the *w* days after ``end``.

A thread falls in a window by its time (its first post's). Per window: the number of scored
threads, the mean of their scores ± SEM (what the paper plots), a bootstrap interval of the
mean (:func:`affectlens.corpus.stats.mean_ci`), and the share of threads in each level of
the rule set. Comparisons, during − before and after − before: the difference with Welch's
interval and t-test (the paper imports ``scipy.stats.ttest_ind``), Cohen's d, and
Benjamini–Hochberg q-values over all comparisons of the table.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from affectlens.corpus.stats import Moments, benjamini_hochberg, mean_ci, mean_test, rng_for, share_ci
from affectlens.errors import InputError
from affectlens.polarization.rules import RuleSet
from affectlens.runs.rows import parse_time

__all__ = ["DEFAULT_WINDOW_DAYS", "WINDOWS", "Event", "compare_windows", "read_events", "window_rows"]

DEFAULT_WINDOW_DAYS = 3.0
WINDOWS = ("before", "during", "after")


@dataclass(frozen=True)
class Event:
    name: str
    start: dt.datetime
    end: dt.datetime  # exclusive: the first moment after the event

    def windows(self, days: float) -> dict[str, tuple[dt.datetime, dt.datetime]]:
        """Each window as [from, to)."""
        width = dt.timedelta(days=days)
        return {
            "before": (self.start - width, self.start),
            "during": (self.start, self.end),
            "after": (self.end, self.end + width),
        }


def _moment(value: Any, *, end: bool) -> dt.datetime | None:
    """A UTC time; a date alone is midnight (an ``end`` date: the midnight after it)."""
    text = "" if value is None else str(value).strip()
    moment = parse_time(text)
    if moment is None:
        return None
    date_only = len(text) == 10 and text[4] == "-" and text[7] == "-"
    if end:
        return moment + (dt.timedelta(days=1) if date_only else dt.timedelta(microseconds=1))
    return moment


def read_events(path: str) -> list[Event]:
    """The events of a CSV or JSONL file; a row that cannot be used is an input error naming its line."""
    from affectlens.io.readers import read_records

    events, problems = [], []
    for record in read_records(path, text_column="name", extra=("start", "end"), required={"start": "--events"}):
        extra = record.extra or {}
        start = _moment(extra.get("start"), end=False)
        end = _moment(extra.get("end") or extra.get("start"), end=True)
        if record.error:
            problems.append(f"line {record.line} {record.error}")
        elif not (record.text or "").strip():
            problems.append(f"line {record.line} has no name")
        elif start is None or end is None:
            problems.append(f"line {record.line}: start {extra.get('start')!r} / end {extra.get('end')!r} are not dates or times")
        elif end <= start:
            problems.append(f"line {record.line}: the event ends before it starts")
        else:
            events.append(Event((record.text or "").strip(), start, end))
    if problems:
        raise InputError(
            f"the events file {path!r} has {len(problems)} problem(s); first: {problems[0]}", hint="columns: name,start,end"
        )
    if not events:
        raise InputError(f"the events file {path!r} holds no event", hint="columns: name,start,end (ISO dates or times)")
    return events


def _stats(scores: np.ndarray, rng_key: tuple[Any, ...], rules: RuleSet, level_names: Sequence[str]) -> dict[str, Any]:
    n = len(scores)
    moments = Moments(n, float(scores.sum()), float((scores**2).sum()))
    mean = moments.mean if n else None
    sem = moments.sd(1) / math.sqrt(n) if n >= 2 else None
    low, high = mean_ci(scores if n <= 1000 else None, moments, rng_for(*rng_key)) if n else (math.nan, math.nan)
    out: dict[str, Any] = {
        "threads": n,
        "mean": None if mean is None else round(mean, 4),
        "sem": None if sem is None else round(sem, 4),
        "ci_low": None if math.isnan(low) else round(low, 4),
        "ci_high": None if math.isnan(high) else round(high, 4),
    }
    for level in level_names:
        k = sum(level in rules.levels_of(float(s)) for s in scores)
        share_low, share_high = share_ci(k, n, rng_for(*rng_key, level)) if n else (math.nan, math.nan)
        out[f"share_{level}"] = round(k / n, 4) if n else None
        out[f"share_{level}_ci"] = None if math.isnan(share_low) else [round(share_low, 4), round(share_high, 4)]
    return out


def window_rows(
    events: Sequence[Event],
    times: Sequence[dt.datetime | None],
    scores: Sequence[float | None],
    rules: RuleSet,
    *,
    days: float = DEFAULT_WINDOW_DAYS,
    groups: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """One row per event × window (× group, when ``groups`` gives each thread's group)."""
    level_names = [level.name for level in rules.levels]
    rows = []
    keys = sorted(set(groups)) if groups is not None else [None]
    for event in events:
        for window, (a, b) in event.windows(days).items():
            for key in keys:
                inside = np.asarray(
                    [
                        s
                        for k, (t, s) in enumerate(zip(times, scores))
                        if t is not None and s is not None and a <= t < b and (key is None or groups[k] == key)  # type: ignore[index]
                    ],
                    dtype=float,
                )
                row = {"event": event.name, "window": window, "from": a.isoformat(), "to": b.isoformat()}
                if key is not None:
                    row["group"] = key
                row.update(_stats(inside, ("window", event.name, window, key), rules, level_names))
                row["_scores"] = inside
                rows.append(row)
    return rows


def compare_windows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """during − before and after − before for each event (and group): Welch's t-test, Cohen's d, q-values."""
    by = {(r["event"], r.get("group"), r["window"]): r["_scores"] for r in rows}
    out = []
    for event, group in dict.fromkeys((r["event"], r.get("group")) for r in rows):
        base = by[(event, group, "before")]
        for window in ("during", "after"):
            other = by[(event, group, window)]
            test = mean_test(_moments(base), _moments(other))
            row = {
                "event": event,
                "comparison": f"{window} - before",
                "difference": _round(test.difference),
                "ci_low": _round(test.ci[0]),
                "ci_high": _round(test.ci[1]),
                "cohen_d": _round(test.effect),
                "p": _round(test.p, 6),
                "threads": [len(base), len(other)],
            }
            if group is not None:
                row["group"] = group
            out.append(row)
    for row, q in zip(out, benjamini_hochberg([math.nan if r["p"] is None else r["p"] for r in out])):
        row["q"] = None if math.isnan(q) else round(q, 6)
    return out


def _moments(values: np.ndarray) -> Moments:
    return Moments(len(values), float(values.sum()), float((values**2).sum()))


def _round(x: float, digits: int = 4) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), digits)
