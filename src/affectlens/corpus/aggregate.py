"""Aggregates of a run over time buckets and groups, with confidence intervals; comparisons.

:func:`aggregate` gives a tidy table, one row per (bucket, group…, measure, label):

- ``share`` of the texts carrying each label, ``mean_score`` of each label;
- ``valence``, ``arousal``, ``dominance``, ``confidence`` means;
- ``sentiment`` shares (positive, negative, neutral, mixed), ``non_english`` share;

each with ``value``, ``ci_low``, ``ci_high`` (:mod:`affectlens.corpus.stats`), ``n`` (texts)
and ``low_n`` (n below ``min_n``: shown, flagged, never hidden). Rows without a readable time
are left out of time buckets (the manifest counts them).

:func:`compare` sets two selections of texts against each other — two windows of time, two
groups, or both (:class:`Selection`) — measure by measure, with an effect size and a test,
q-values adjusted across all the measures of the comparison.

Everything is computed with polars over the run's parts in streaming mode, so memory does
not grow with the number of rows.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from affectlens.corpus.stats import (
    CONFIDENCE,
    EXACT_MAX_N,
    RESAMPLES,
    Moments,
    benjamini_hochberg,
    mean_ci,
    mean_test,
    rng_for,
    share_ci,
    share_test,
)
from affectlens.errors import ConfigError, InputError, MissingDependencyError
from affectlens.runs.manifest import RunFolder, RunManifest, warn_if_incomplete

__all__ = ["EVERY", "Selection", "aggregate", "compare", "load_run", "mark", "run_labels", "scan_rows"]

EVERY = {"day": "1d", "week": "1w", "month": "1mo", "quarter": "1q", "year": "1y"}
VAD = ("valence", "arousal", "dominance")
SENTIMENTS = ("positive", "negative", "neutral", "mixed")
MIN_N = 30


def _polars() -> Any:
    try:
        import polars as pl
    except ImportError as exc:
        raise MissingDependencyError("polars", "corpus", "corpus aggregates") from exc
    return pl


def scan_rows(run_dir: str | Path) -> Any:
    """The run's rows as a polars LazyFrame (one scan over the Parquet parts)."""
    pl = _polars()
    run = RunFolder(run_dir)
    run.load_manifest()  # a clear error when this is not a run folder
    if not run.done():
        raise InputError(f"the run {str(run.path)!r} has no rows yet", hint="run `affectlens corpus analyze` into it")
    return pl.scan_parquet(str(run.parts / "*.parquet"))


def answered(lf: Any) -> Any:
    """The rows that carry an answer: an image without a face or a recording without speech
    says nothing about emotion, so it is left out of shares and means (the report counts it
    apart), never counted as none."""
    pl = _polars()
    return lf.filter(pl.col("dominant").is_not_null()) if "media" in lf.collect_schema().names() else lf


def load_run(run_dir: str | Path, *, quiet: bool = False) -> RunManifest:
    """The manifest of the run in ``run_dir``; unless ``quiet``, a warning (stderr, through the
    ``affectlens`` logger) when the run is incomplete and its figures cover only part of the input."""
    manifest = RunFolder(run_dir).load_manifest()
    if not quiet:
        warn_if_incomplete(manifest, str(run_dir))
    return manifest


def mark(frame: Any, manifest: RunManifest) -> Any:
    """``frame`` with the column ``run_complete``: false on every row of figures from an incomplete run."""
    pl = _polars()
    return frame.with_columns(pl.lit(manifest.complete).alias("run_complete"))


def run_labels(manifest: RunManifest) -> list[str]:
    from affectlens.taxonomy import load_taxonomy

    return load_taxonomy(manifest.settings["options"]["taxonomy"]).names


def _groups_of(manifest: RunManifest) -> list[str]:
    return list(manifest.settings["columns"]["groups"])


def _check_by(manifest: RunManifest, by: Sequence[str]) -> None:
    known = _groups_of(manifest)
    unknown = [g for g in by if g not in known]
    if unknown:
        raise ConfigError(
            f"the run has no group column {', '.join(map(repr, unknown))}",
            hint=f"groups of this run: {', '.join(known) or '(none: pass --group-column to corpus analyze)'}",
        )


def _bucket(every: str | None) -> Any:
    pl = _polars()
    if every is None:
        return pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("bucket")
    if every not in EVERY:
        raise ConfigError(f"unknown bucket {every!r}", hint=f"use one of {', '.join(EVERY)}")
    return pl.col("time").dt.truncate(EVERY[every]).alias("bucket")


def _sums(labels: Sequence[str]) -> list[Any]:
    """Per cell: n, label counts, sums and sums of squares of every mean measure."""
    pl = _polars()
    exprs = [pl.len().alias("n")]
    for label in labels:
        score = pl.col(f"score_{label}").cast(pl.Float64)
        exprs += [
            pl.col("labels").list.contains(label).sum().alias(f"k:{label}"),
            score.sum().alias(f"s:score:{label}"),
            (score * score).sum().alias(f"q:score:{label}"),
        ]
    for name in (*VAD, "confidence"):
        value = pl.col(name).cast(pl.Float64)
        exprs += [value.sum().alias(f"s:{name}:"), (value * value).sum().alias(f"q:{name}:")]
    exprs += [(pl.col("sentiment") == s).sum().alias(f"k:sentiment:{s}") for s in SENTIMENTS]
    exprs.append(pl.col("non_english").sum().alias("k:non_english:"))
    return exprs


@dataclass
class _Cell:
    key: tuple[Any, ...]
    sums: dict[str, Any]
    values: dict[str, np.ndarray] = field(default_factory=dict)  # raw values of the mean measures, small cells only


def _cells(lf: Any, keys: list[str], labels: Sequence[str]) -> list[_Cell]:
    pl = _polars()
    table = lf.group_by(keys).agg(_sums(labels)).sort(keys, nulls_last=True).collect(engine="streaming")
    cells = [_Cell(tuple(row[k] for k in keys), row) for row in table.iter_rows(named=True)]
    small = table.filter(pl.col("n") <= EXACT_MAX_N).select(keys)
    if small.height:
        columns = [f"score_{label}" for label in labels] + [*VAD, "confidence"]
        raw = lf.join(small.lazy(), on=keys, how="semi", nulls_equal=True).select([*keys, *columns])
        grouped = raw.group_by(keys).agg([pl.col(c) for c in columns]).collect(engine="streaming")
        by_key = {tuple(r[k] for k in keys): r for r in grouped.iter_rows(named=True)}
        for cell in cells:
            if cell.key in by_key:
                cell.values = {c: np.asarray(by_key[cell.key][c], dtype=float) for c in columns}
    return cells


def _measures(labels: Sequence[str]) -> list[tuple[str, str | None, str, str | None]]:
    """(measure, label, kind, column): kind 'share' reads k:…, kind 'mean' reads s:/q: and the raw column."""
    out: list[tuple[str, str | None, str, str | None]] = []
    for label in labels:
        out.append(("share", label, "share", None))
    for label in labels:
        out.append(("mean_score", label, "mean", f"score_{label}"))
    out += [(name, None, "mean", name) for name in (*VAD, "confidence")]
    out += [("sentiment", s, "share", None) for s in SENTIMENTS]
    out.append(("non_english", None, "share", None))
    return out


def _count_key(measure: str, label: str | None) -> str:
    return f"k:{label}" if measure == "share" else f"k:{measure}:{label or ''}"


def _moments(cell: _Cell, measure: str, label: str | None) -> Moments:
    name = f"score:{label}" if measure == "mean_score" else f"{measure}:"
    return Moments(int(cell.sums["n"]), float(cell.sums[f"s:{name}"] or 0.0), float(cell.sums[f"q:{name}"] or 0.0))


def aggregate(
    run_dir: str | Path,
    *,
    every: str | None = "week",
    by: Sequence[str] = (),
    min_n: int = MIN_N,
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
    seed: int = 0,
    quiet: bool = False,
) -> Any:
    """The tidy table of a run (see the module docstring) as a polars DataFrame:
    ``every`` is day, week, month, quarter, year or None (the whole run); ``by`` groups.
    ``run_complete`` is false on every row when the run is incomplete (and, unless ``quiet``,
    a warning says so)."""
    pl = _polars()
    manifest = load_run(run_dir, quiet=quiet)
    _check_by(manifest, by)
    labels = run_labels(manifest)
    lf = answered(scan_rows(run_dir))
    if every is not None:
        lf = lf.filter(pl.col("time").is_not_null())
    lf = lf.with_columns(_bucket(every))
    keys = ["bucket", *by]
    records = []
    for cell in _cells(lf, keys, labels):
        n = int(cell.sums["n"])
        for measure, label, kind, column in _measures(labels):
            rng = rng_for(cell.key, measure, label, seed=seed)
            if kind == "share":
                k = int(cell.sums[_count_key(measure, label)])
                value, (low, high) = k / n, share_ci(k, n, rng, resamples=resamples, confidence=confidence)
            else:
                moments = _moments(cell, measure, label)
                value = moments.mean
                low, high = mean_ci(cell.values.get(column or ""), moments, rng, resamples=resamples, confidence=confidence)
            records.append((*cell.key, measure, label, value, low, high, n, n < min_n))
    columns = [*keys, "measure", "label", "value", "ci_low", "ci_high", "n", "low_n"]
    schema = {
        "bucket": pl.Datetime("us", "UTC"),
        **{g: pl.String for g in by},
        "measure": pl.String,
        "label": pl.String,
        "value": pl.Float64,
        "ci_low": pl.Float64,
        "ci_high": pl.Float64,
        "n": pl.Int64,
        "low_n": pl.Boolean,
    }
    return mark(pl.DataFrame(records, schema=schema, orient="row").select(columns), manifest)


@dataclass(frozen=True)
class Selection:
    """Some of a run's texts: a time window ``START..END`` (start included, end excluded; either
    may be left out) and/or ``COLUMN=VALUE`` for groups, comma-separated:
    ``"forum=politics,2024-01-01..2024-02-01"``."""

    start: dt.datetime | None = None
    end: dt.datetime | None = None
    groups: tuple[tuple[str, str], ...] = ()
    text: str = ""

    @classmethod
    def parse(cls, text: str) -> Selection:
        from affectlens.runs.rows import parse_time

        start = end = None
        groups = []
        for part in filter(None, (p.strip() for p in text.split(","))):
            if ".." in part:
                a, b = part.split("..", 1)
                start, end = (parse_time(x) if x else None for x in (a, b))
                if (a and start is None) or (b and end is None):
                    raise ConfigError(f"cannot read the time window {part!r}", hint="write it as 2024-01-01..2024-02-01")
            elif "=" in part:
                column, value = part.split("=", 1)
                groups.append((column.strip(), value.strip()))
            else:
                raise ConfigError(f"cannot read the selection {part!r}", hint="use START..END and/or COLUMN=VALUE")
        return cls(start, end, tuple(groups), text)

    def expr(self) -> Any:
        pl = _polars()
        condition = pl.lit(True)
        if self.start is not None:
            condition &= pl.col("time") >= self.start
        if self.end is not None:
            condition &= pl.col("time") < self.end
        for column, value in self.groups:
            condition &= pl.col(column) == value
        return condition


def compare(
    run_dir: str | Path, a: Selection | str, b: Selection | str, *, confidence: float = CONFIDENCE, seed: int = 0
) -> Any:
    """Measure by measure, selection ``b`` against ``a``: both values, the difference with its
    interval, an effect size, a p-value and a Benjamini–Hochberg q-value (over all measures)."""
    pl = _polars()
    a = Selection.parse(a) if isinstance(a, str) else a
    b = Selection.parse(b) if isinstance(b, str) else b
    manifest = load_run(run_dir)
    _check_by(manifest, [c for c, _ in (*a.groups, *b.groups)])
    labels = run_labels(manifest)
    lf = scan_rows(run_dir)
    cells = {}
    for name, selection in (("a", a), ("b", b)):
        chosen = lf.filter(selection.expr()).with_columns(pl.lit(name).alias("side"))
        (cell,) = _cells(chosen, ["side"], labels) or [_Cell((name,), {"n": 0})]
        cells[name] = cell
    if not cells["a"].sums["n"] or not cells["b"].sums["n"]:
        empty = [s.text for s, c in ((a, cells["a"]), (b, cells["b"])) if not c.sums["n"]]
        raise InputError(f"no text in the selection {' nor '.join(map(repr, empty))}")
    rows = []
    for measure, label, kind, _ in _measures(labels):
        ca, cb = cells["a"], cells["b"]
        rng = rng_for("compare", measure, label, seed=seed)
        if kind == "share":
            key = _count_key(measure, label)
            ka, kb, na, nb = int(ca.sums[key]), int(cb.sums[key]), int(ca.sums["n"]), int(cb.sums["n"])
            test = share_test(ka, na, kb, nb, rng, confidence=confidence)
            value_a, value_b = ka / na, kb / nb
        else:
            ma, mb = _moments(ca, measure, label), _moments(cb, measure, label)
            test = mean_test(ma, mb, confidence=confidence)
            value_a, value_b, na, nb = ma.mean, mb.mean, ma.n, mb.n
        rows.append([measure, label, value_a, value_b, na, nb, test.difference, *test.ci, test.effect, test.effect_name, test.p])
    q = benjamini_hochberg([r[-1] for r in rows])
    for row, qv in zip(rows, q):
        row += [qv, (not math.isnan(qv)) and qv < 1 - confidence]
    names = ["measure", "label", "a", "b", "n_a", "n_b", "difference", "ci_low", "ci_high", "effect", "effect_size", "p"]
    return mark(pl.DataFrame(rows, schema=[*names, "q", "significant"], orient="row"), manifest)
