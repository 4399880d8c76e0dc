"""What drove a change in an emotion: the words whose use for it changed most between two selections.

The method social scientists use for this is the log-odds ratio with an informative
Dirichlet prior (Monroe, Colaresi & Quinn, 2008, "Fightin' Words"): for each word *w*,

    δ_w = log((y_bw + α_w) / (n_b + α_0 − y_bw − α_w)) − log((y_aw + α_w) / (n_a + α_0 − y_aw − α_w))
    z_w = δ_w / sqrt(1 / (y_aw + α_w) + 1 / (y_bw + α_w))

where *y* are the word's counts in selections *a* and *b*, *n* their totals, and the prior
α_w = α_0 · (the word's share of all words in a and b), α_0 = ``prior`` (default 1,000). The
prior shrinks rare words towards no difference, so the top of the list is not a tail of
one-off words; a positive z means more in *b*.

The counts are made to explain the **emotion**, not word frequency: when the run has
evidence (``corpus analyze --explain``), a word counts for a label each time it appears in an
evidence span of that label; otherwise each word of a text counts with the text's score for
the label (so texts that do not carry it contribute almost nothing). Weighted by score, every
word of an angry text rises with its anger — "about" and "the" as much as "furious" — so
function words (``corpus/data/function-words.txt``, ``function-words@1``: determiners,
pronouns, prepositions, conjunctions, auxiliaries, negators and their contractions; never an
open-class word such as "cry" or "alone") are not counted; ``function_words=True`` keeps them.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from affectlens.corpus.aggregate import Selection, _polars, load_run, mark, run_labels, scan_rows
from affectlens.errors import ConfigError, InputError

__all__ = ["PRIOR", "drivers", "log_odds", "tokens"]

PRIOR = 1000.0
_WORD = re.compile(r"[^\W\d_](?:[\w']*\w)?")


def tokens(text: str) -> list[str]:
    """Lower-case words of two letters or more (numbers and punctuation left out; ’ read as ')."""
    return [w for w in _WORD.findall(text.lower().replace("\u2019", "'")) if len(w) > 1]


@cache
def _function_words() -> frozenset[str]:
    """The closed-class words left out of drivers (``function-words@1``)."""
    text = resources.files("affectlens.corpus").joinpath("data/function-words.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def log_odds(
    a: Counter[str], b: Counter[str], background: Counter[str], *, prior: float = PRIOR
) -> list[tuple[str, float, float]]:
    """``(word, δ, z)`` for every word of ``a`` or ``b``, highest z (more in b) first."""
    n_a, n_b, total = sum(a.values()), sum(b.values()), sum(background.values())
    if not total:
        return []
    out = []
    for word in set(a) | set(b):
        alpha = prior * background[word] / total
        if alpha <= 0:
            continue
        ya, yb = a[word], b[word]
        delta = math.log((yb + alpha) / (n_b + prior - yb - alpha)) - math.log((ya + alpha) / (n_a + prior - ya - alpha))
        out.append((word, delta, delta / math.sqrt(1 / (ya + alpha) + 1 / (yb + alpha))))
    return sorted(out, key=lambda row: -row[2])


def _counts(
    rows: Iterable[dict[str, Any]], label: str, with_evidence: bool, skip: frozenset[str] = frozenset()
) -> tuple[Counter[str], Counter[str]]:
    """(weighted counts for the label, plain counts of every word) over ``rows``, without the ``skip`` words."""
    weighted: Counter[str] = Counter()
    plain: Counter[str] = Counter()
    for row in rows:
        words = [w for w in tokens(row["text"]) if w not in skip]
        plain.update(words)
        if with_evidence:
            for span in row["evidence"] or []:
                if span["label"] == label:
                    weighted.update(w for w in tokens(span["text"]) if w not in skip)
        else:
            score = row[f"score_{label}"] or 0.0
            for word in words:
                weighted[word] += score
    return weighted, plain


def drivers(
    run_dir: str | Path,
    label: str,
    a: Selection | str,
    b: Selection | str,
    *,
    top: int = 20,
    prior: float = PRIOR,
    min_count: float = 3.0,
    function_words: bool = False,
) -> Any:
    """The ``top`` words that rose most for ``label`` from ``a`` to ``b`` and the ``top`` that
    fell most, as a polars DataFrame: word, count_a, count_b, log_odds, z, direction."""
    pl = _polars()
    manifest = load_run(run_dir)
    labels = run_labels(manifest)
    if label not in labels:
        raise ConfigError(f"the run's taxonomy has no label {label!r}", hint=f"labels: {', '.join(labels)}")
    a = Selection.parse(a) if isinstance(a, str) else a
    b = Selection.parse(b) if isinstance(b, str) else b
    with_evidence = bool(manifest.settings["options"].get("explain"))
    skip = frozenset() if function_words else _function_words()
    lf = scan_rows(run_dir)
    columns = ["text", "evidence"] if with_evidence else ["text", f"score_{label}"]
    counts = {}
    for name, selection in (("a", a), ("b", b)):
        frame = lf.filter(selection.expr()).select(columns).collect(engine="streaming")
        if not frame.height:
            raise InputError(f"no text in the selection {selection.text!r}")
        counts[name] = _counts(frame.iter_rows(named=True), label, with_evidence, skip)
    (ya, ba), (yb, bb) = counts["a"], counts["b"]
    scored = [(w, ya[w], yb[w], delta, z) for w, delta, z in log_odds(ya, yb, ba + bb, prior=prior) if ya[w] + yb[w] >= min_count]
    chosen = scored[:top] + [row for row in scored[-top:][::-1] if row[4] < 0 and row not in scored[:top]]
    rows = [(w, float(ca), float(cb), d, z, "b" if z > 0 else "a") for w, ca, cb, d, z in chosen]
    schema = ["word", "count_a", "count_b", "log_odds", "z", "more_in"]
    return mark(pl.DataFrame(rows, schema=schema, orient="row"), manifest)
