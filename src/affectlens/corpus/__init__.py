"""Corpora at scale: analyse millions of posts into a resumable run folder, aggregate them over
time and groups with confidence intervals, find what drove a change, and report it.

    >>> from affectlens import corpus
    >>> summary = corpus.analyze("posts/", "runs/posts", time_column="created", group_columns=["forum"])  # doctest: +SKIP
    >>> weekly = corpus.aggregate("runs/posts", every="week", by=["forum"])  # doctest: +SKIP
    >>> corpus.compare("runs/posts", "forum=a", "forum=b")  # doctest: +SKIP
    >>> corpus.drivers("runs/posts", "anger", "..2024-11-01", "2024-11-01..")  # doctest: +SKIP

Tables are polars DataFrames (``.to_pandas()`` for pandas). Needs ``pip install
'affectlens[corpus]'`` (pyarrow, polars, scipy, ruptures, plotly); docs/corpus.md.
"""

from __future__ import annotations

from affectlens.corpus.aggregate import Selection, aggregate, compare, scan_rows
from affectlens.corpus.changepoints import change_points
from affectlens.corpus.drivers import drivers
from affectlens.corpus.report import report
from affectlens.corpus.run import RunSummary, analyze

__all__ = ["RunSummary", "Selection", "aggregate", "analyze", "change_points", "compare", "drivers", "report", "scan_rows"]
