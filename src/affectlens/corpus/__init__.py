"""Corpora at scale: analyse millions of posts into a resumable run folder, aggregate them over
time and groups with confidence intervals, find what drove a change, and report it.

    >>> from affectlens import corpus
    >>> summary = corpus.analyze("posts.jsonl", "runs/posts", time_column="created", group_columns=["forum"])  # doctest: +SKIP
    >>> table = corpus.aggregate("runs/posts", every="week", by=["forum"])   # doctest: +SKIP

Needs ``pip install 'affectlens[corpus]'`` (pyarrow, polars, scipy, ruptures, plotly).
"""

from __future__ import annotations

from affectlens.corpus.run import RunSummary, analyze

__all__ = ["RunSummary", "analyze"]
