"""The measures beside the rule score, each with a bootstrap interval over threads.

- **Hostility gap** (in-group / out-group): among replies whose own stance and whose
  parent's stance are both known sides and whose affect is known, the share of hostile
  (affect ``yes``) replies to the other side minus the share of hostile replies to one's own
  side. Positive: people are more hostile across the divide than within it.
- **Affective polarization α** (Hohmann & Coscia, "Estimating affective polarization on a
  social network", code github.com/marilenahohmann/affective-polarization-measure):
  ``α = δ(o) × ρ``, where the network's nodes are authors and its edges the pairs of
  authors who replied to each other; ``o`` is each author's opinion (the mean position, +1
  or −1, of their posts with a known side); ``δ(o) = sqrt(oᵀ L⁺ o)`` is the generalised
  Euclidean opinion polarization over the network (``L⁺`` the pseudoinverse of its
  Laplacian); ``ρ`` is Spearman's correlation, over edges, between disagreement
  ``|o_u − o_v|`` and hostility (the share of hostile replies between u and v). It grows
  when opinions are far apart across the network *and* hostility goes with disagreement.
  ``L⁺`` is never formed: per connected component, ``oᵀ L⁺ o`` is ``cᵀ x`` for the
  component's centred opinions ``c`` and ``x`` the solution of the Laplacian system with one
  node grounded (a sparse LU), exact and fast for large networks.

Intervals: percentile bootstrap over threads (a thread's replies stay together, as they are
not independent), a fixed seed, ``resamples`` draws.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from affectlens.corpus.stats import CONFIDENCE, rng_for

__all__ = ["Estimate", "HostilityGap", "alpha", "generalized_euclidean", "hostility_gap", "polarization_alpha"]


@dataclass(frozen=True)
class Estimate:
    value: float | None
    ci: tuple[float | None, float | None]
    n: int  # units the estimate rests on (replies, edges)
    resamples: int

    def as_dict(self) -> dict[str, float | int | None]:
        return {"value": self.value, "ci_low": self.ci[0], "ci_high": self.ci[1], "n": self.n, "resamples": self.resamples}


@dataclass(frozen=True)
class HostilityGap:
    gap: Estimate
    cross: tuple[int, int]  # hostile, all: replies to the other side
    same: tuple[int, int]  # hostile, all: replies to one's own side

    def as_dict(self) -> dict[str, object]:
        return {
            **self.gap.as_dict(),
            "cross_hostile": self.cross[0],
            "cross_replies": self.cross[1],
            "same_hostile": self.same[0],
            "same_replies": self.same[1],
        }


def _interval(draws: np.ndarray, confidence: float) -> tuple[float | None, float | None]:
    draws = draws[np.isfinite(draws)]
    if len(draws) < 2:
        return None, None
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return round(float(low), 4), round(float(high), 4)


def hostility_gap(
    threads: Sequence[str],
    cross: Sequence[bool],
    hostile: Sequence[bool],
    *,
    resamples: int = 1000,
    confidence: float = CONFIDENCE,
    seed: int = 0,
) -> HostilityGap:
    """The gap over replies (each with its thread, whether it crosses sides, whether it is hostile)."""
    names, inverse = np.unique(np.asarray(threads, dtype=object), return_inverse=True)
    cross_a, hostile_a = np.asarray(cross, dtype=bool), np.asarray(hostile, dtype=bool)
    per = np.zeros((len(names), 4))  # cross hostile, cross all, same hostile, same all
    np.add.at(per, (inverse, 0), cross_a & hostile_a)
    np.add.at(per, (inverse, 1), cross_a)
    np.add.at(per, (inverse, 2), ~cross_a & hostile_a)
    np.add.at(per, (inverse, 3), ~cross_a)
    totals = per.sum(axis=0)

    def gap(t: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return t[..., 0] / t[..., 1] - t[..., 2] / t[..., 3]

    value = float(gap(totals)) if totals[1] and totals[3] else None
    draws = np.empty(0)
    if value is not None and len(names) > 1:
        rng = rng_for("hostility-gap", seed=seed)
        draws = np.stack([gap(per[rng.integers(0, len(names), len(names))].sum(axis=0)) for _ in range(resamples)])
    estimate = Estimate(None if value is None else round(value, 4), _interval(draws, confidence), len(cross_a), resamples)
    return HostilityGap(estimate, (int(totals[0]), int(totals[1])), (int(totals[2]), int(totals[3])))


def generalized_euclidean(edges: np.ndarray, opinions: np.ndarray) -> float:
    """``sqrt(oᵀ L⁺ o)`` for the unweighted graph ``edges`` ``[m, 2]`` over nodes ``0..n-1``."""
    from scipy.sparse import coo_matrix, csgraph, diags
    from scipy.sparse.linalg import splu

    n = len(opinions)
    if n == 0 or len(edges) == 0:
        return 0.0
    pairs = np.unique(np.sort(edges, axis=1), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    adjacency = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n)).tocsr()
    adjacency = adjacency + adjacency.T
    laplacian = (diags(np.asarray(adjacency.sum(axis=1)).ravel()) - adjacency).tocsc()
    count, labels = csgraph.connected_components(adjacency, directed=False)
    total = 0.0
    for component in range(count):
        nodes = np.flatnonzero(labels == component)
        if len(nodes) < 2:
            continue
        c = opinions[nodes] - opinions[nodes].mean()
        grounded = laplacian[nodes[1:]][:, nodes[1:]]
        x = splu(grounded.tocsc()).solve(c[1:])
        total += float(c[1:] @ x)
    return math.sqrt(max(total, 0.0))


def alpha(edges: np.ndarray, opinions: np.ndarray, hostility: np.ndarray) -> float | None:
    """α for an author network: ``edges`` ``[m, 2]`` (author indices), their ``hostility``
    ``[m]`` and the authors' ``opinions`` ``[n]``; None when ρ is undefined (fewer than three
    edges, or no variation)."""
    from scipy.stats import spearmanr

    if len(edges) < 3:
        return None
    disagreement = np.abs(opinions[edges[:, 0]] - opinions[edges[:, 1]])
    if np.ptp(disagreement) == 0 or np.ptp(hostility) == 0:
        return None
    rho = float(spearmanr(disagreement, hostility)[0])
    if not math.isfinite(rho):
        return None
    return generalized_euclidean(edges, opinions) * rho


def polarization_alpha(
    post_threads: Sequence[str],
    post_authors: Sequence[str | None],
    post_positions: Sequence[float | None],
    reply_threads: Sequence[str],
    reply_authors: Sequence[str | None],
    parent_authors: Sequence[str | None],
    reply_hostile: Sequence[bool | None],
    *,
    resamples: int = 200,
    confidence: float = CONFIDENCE,
    seed: int = 0,
) -> Estimate:
    """α of a corpus (see the module docstring), from its posts (thread, author, position:
    +1/−1/None) and its replies (thread, author, parent's author, hostile or None), with a
    bootstrap interval over threads."""
    names = sorted(set(post_threads) | set(reply_threads))
    index = {t: k for k, t in enumerate(names)}
    posts_by = [[] for _ in names]  # type: list[list[int]]
    for k, t in enumerate(post_threads):
        if post_authors[k] is not None and post_positions[k] is not None:
            posts_by[index[t]].append(k)
    replies_by = [[] for _ in names]  # type: list[list[int]]
    for k, t in enumerate(reply_threads):
        a, b = reply_authors[k], parent_authors[k]
        if a is not None and b is not None and a != b and reply_hostile[k] is not None:
            replies_by[index[t]].append(k)

    def compute(sample: np.ndarray) -> tuple[float | None, int]:
        sums: dict[str, list[float]] = {}
        for t in sample:
            for k in posts_by[t]:
                s = sums.setdefault(post_authors[k], [0.0, 0.0])  # type: ignore[arg-type]
                s[0] += post_positions[k]  # type: ignore[operator]
                s[1] += 1
        authors = {a: i for i, a in enumerate(sums)}
        opinions = np.asarray([s[0] / s[1] for s in sums.values()])
        edge_sums: dict[tuple[int, int], list[float]] = {}
        for t in sample:
            for k in replies_by[t]:
                u, v = authors.get(reply_authors[k]), authors.get(parent_authors[k])  # type: ignore[arg-type]
                if u is None or v is None:
                    continue
                e = edge_sums.setdefault((min(u, v), max(u, v)), [0.0, 0.0])
                e[0] += bool(reply_hostile[k])
                e[1] += 1
        if not edge_sums:
            return None, 0
        edges = np.asarray(list(edge_sums), dtype=np.int64)
        hostility = np.asarray([h / n for h, n in edge_sums.values()])
        return alpha(edges, opinions, hostility), len(edges)

    value, n_edges = compute(np.arange(len(names)))
    draws = np.empty(0)
    if value is not None and len(names) > 1:
        rng = rng_for("alpha", seed=seed)
        draws = np.asarray(
            [v if (v := compute(rng.integers(0, len(names), len(names)))[0]) is not None else np.nan for _ in range(resamples)]
        )
    return Estimate(None if value is None else round(value, 4), _interval(draws, confidence), n_edges, resamples)
