"""``affectlens polarization aggregate``: the figures of a run, with their intervals.

One call gives (as plain data, :class:`Aggregate`):

- ``summary`` per topic: threads and interactions, how many were scored and why the others
  were not (unknown facts, failed annotations), the mean thread score ± SEM with a bootstrap
  interval, and the share of threads at each level of the rule set;
- ``measures`` per topic: the hostility gap and Hohmann's α (:mod:`affectlens.polarization.measures`);
- ``windows`` and ``comparisons`` when events are given (:mod:`affectlens.polarization.events`);
- ``series``: the mean thread score per period (``every``: day, week or month), when asked;
- ``threads_with_failures``: the threads whose annotations failed most, with the counts.

The rule set can differ from the run's: scoring is redone (it is cheap) and written beside.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from affectlens.corpus.stats import Moments, mean_ci, rng_for, share_ci
from affectlens.errors import InputError
from affectlens.polarization.events import DEFAULT_WINDOW_DAYS, Event, compare_windows, read_events, window_rows
from affectlens.polarization.measures import hostility_gap, polarization_alpha
from affectlens.polarization.rules import RuleSet, load_rules
from affectlens.polarization.score import Scores, parse_utc
from affectlens.polarization.topics import Topic
from affectlens.polarization.work import PolarizationDir, load_annotations, load_posts, score_run
from affectlens.runs.manifest import warn_if_incomplete

__all__ = ["EVERY", "Aggregate", "aggregate"]

EVERY = ("day", "week", "month")


@dataclass
class Aggregate:
    rules: str
    summary: list[dict[str, Any]]
    measures: list[dict[str, Any]]
    windows: list[dict[str, Any]] = field(default_factory=list)
    comparisons: list[dict[str, Any]] = field(default_factory=list)
    series: list[dict[str, Any]] = field(default_factory=list)
    threads_with_failures: list[dict[str, Any]] = field(default_factory=list)
    problems: dict[str, int] = field(default_factory=dict)
    scores: Scores | None = None
    incomplete: str | None = None  # why these figures do not cover the whole input (an incomplete run)
    refused: list[str] = field(default_factory=list)  # measures not given, and why (weak offline stances)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rules": self.rules,
            "summary": self.summary,
            "measures": self.measures,
            "windows": [{k: v for k, v in w.items() if not k.startswith("_")} for w in self.windows],
            "comparisons": self.comparisons,
            "series": self.series,
            "threads_with_failures": self.threads_with_failures,
            "problems": self.problems,
            "incomplete": self.incomplete,
            "refused": self.refused,
        }


def _period(moment: dt.datetime, every: str) -> dt.datetime:
    day = dt.datetime(moment.year, moment.month, moment.day, tzinfo=dt.timezone.utc)
    if every == "week":
        return day - dt.timedelta(days=day.weekday())
    if every == "month":
        return day.replace(day=1)
    return day


def _mean_row(values: np.ndarray, key: tuple[Any, ...]) -> dict[str, Any]:
    n = len(values)
    moments = Moments(n, float(values.sum()), float((values**2).sum()))
    low, high = mean_ci(values if n <= 1000 else None, moments, rng_for(*key)) if n else (math.nan, math.nan)
    return {
        "threads_scored": n,
        "mean": round(moments.mean, 4) if n else None,
        "sem": round(moments.sd(1) / math.sqrt(n), 4) if n >= 2 else None,
        "ci_low": None if math.isnan(low) else round(low, 4),
        "ci_high": None if math.isnan(high) else round(high, 4),
    }


def aggregate(
    run_dir: str | Path,
    *,
    rules: str | None = None,
    events: str | Sequence[Event] | None = None,
    window_days: float = DEFAULT_WINDOW_DAYS,
    every: str | None = None,
    resamples: int = 1000,
    alpha_resamples: int = 200,
) -> Aggregate:
    """The figures of the run in ``run_dir`` (see the module docstring)."""
    if every is not None and every not in EVERY:
        raise InputError(f"unknown period {every!r}", hint=f"use one of {', '.join(EVERY)}")
    run = PolarizationDir(run_dir)
    manifest = run.load()
    if not run.posts.exists() or not run.done():
        raise InputError(f"the run {str(run.path)!r} has not annotated anything yet", hint="run polarization analyze first")
    warn_if_incomplete(manifest, str(run.path))
    rule_set: RuleSet = load_rules(rules or manifest.details.get("scores", {}).get("rules") or "asonam2025")
    scores = score_run(run, rule_set)
    topics = {name: Topic.model_validate(raw) for name, raw in manifest.settings["work_settings"]["topics"].items()}
    out = Aggregate(rule_set.id, [], [], problems=dict(manifest.details.get("problems", {})), scores=scores)
    out.incomplete = manifest.incomplete_note()
    posts, notes = load_posts(run), load_annotations(run)
    stance_of = dict(zip(notes["post"], zip(notes["stance"], notes["stance_status"])))
    stance_models = run.load_stance_models()
    for name, topic in topics.items():
        threads = [t for t in scores.threads if t.topic == name]
        interactions = [i for i in scores.interactions if i.topic == name]
        if not threads:
            continue
        thread_scores = np.asarray([t.score for t in threads if t.score is not None], dtype=float)
        row: dict[str, Any] = {
            "topic": topic.id,
            "threads": len(threads),
            "interactions": len(interactions),
            "scored": sum(i.score is not None for i in interactions),
            "unscored_unknown": sum(i.score is None and not i.failed for i in interactions),
            "unscored_failed": sum(i.score is None and bool(i.failed) for i in interactions),
            **_mean_row(thread_scores, ("summary", name)),
        }
        for level in rule_set.levels:
            k = sum(level.name in t.levels for t in threads if t.score is not None)
            n = len(thread_scores)
            low, high = share_ci(k, n, rng_for("level", name, level.name)) if n else (math.nan, math.nan)
            row[f"share_{level.name}"] = round(k / n, 4) if n else None
            row[f"share_{level.name}_ci"] = None if math.isnan(low) else [round(low, 4), round(high, 4)]
        out.summary.append(row)
        measures = _measures(topic, interactions, posts, stance_of, resamples, alpha_resamples)
        weakness = stance_models[name].weakness() if name in stance_models else None
        if weakness is not None:  # stances too often wrong to compare sides: no number, and the reason first
            reason = (
                f"{topic.id}: the hostility gap and α are not given — the stances were read offline by a classifier "
                f"trained on {sum(stance_models[name].examples.values())} examples ({weakness}); give a stance column, "
                "more examples (--stance-examples), or an LLM backend"
            )
            out.refused.append(reason)
            measures["refused"] = reason
            for key in ("hostility_gap", "alpha"):
                measures[key] |= {"value": None, "ci_low": None, "ci_high": None}
        out.measures.append(measures)
        failing = sorted((t for t in threads if t.failed_posts), key=lambda t: -t.failed_posts)[:20]
        out.threads_with_failures += [
            {
                "thread": t.thread,
                "topic": topic.id,
                "posts": t.posts,
                "failed_posts": t.failed_posts,
                "unscored_failed": t.unscored_failed,
            }
            for t in failing
        ]
    times = [parse_utc(t.time) for t in scores.threads]
    values = [t.score for t in scores.threads]
    groups = [t.topic for t in scores.threads] if len(topics) > 1 else None
    if events is not None:
        chosen = read_events(events) if isinstance(events, str) else list(events)
        out.windows = window_rows(chosen, times, values, rule_set, days=window_days, groups=groups)
        out.comparisons = compare_windows(out.windows)
    if every is not None:
        buckets: dict[tuple[str, dt.datetime], list[float]] = {}
        for t, moment, value in zip(scores.threads, times, values):
            if moment is not None and value is not None:
                buckets.setdefault((t.topic, _period(moment, every)), []).append(value)
        for (topic_name, start), vals in sorted(buckets.items()):
            out.series.append(
                {
                    "topic": topics[topic_name].id,
                    "period": start.isoformat(),
                    **_mean_row(np.asarray(vals), ("series", topic_name, start)),
                }
            )
    return out


def _measures(
    topic: Topic,
    interactions: Sequence[Any],
    posts: dict[str, list[Any]],
    stance_of: dict[int, tuple[str | None, str]],
    resamples: int,
    alpha_resamples: int,
) -> dict[str, Any]:
    sided = [i for i in interactions if i.reply_stance and i.parent_stance and i.reply_affect is not None]
    gap = hostility_gap(
        [i.thread for i in sided],
        [i.reply_stance != i.parent_stance for i in sided],
        [i.reply_affect == "yes" for i in sided],
        resamples=resamples,
    )
    mine = [k for k, t in enumerate(posts["topic"]) if t == topic.name]
    positions = []
    for k in mine:
        label, status = stance_of.get(posts["post"][k], (None, "failed"))
        positions.append(topic.position(label) if status == "ok" else None)
    alpha = polarization_alpha(
        [posts["thread"][k] for k in mine],
        [posts["author"][k] for k in mine],
        positions,
        [i.thread for i in interactions],
        [i.author for i in interactions],
        [i.parent_author for i in interactions],
        [None if i.reply_affect is None else i.reply_affect == "yes" for i in interactions],
        resamples=alpha_resamples,
    )
    return {"topic": topic.id, "hostility_gap": gap.as_dict(), "alpha": alpha.as_dict()}
