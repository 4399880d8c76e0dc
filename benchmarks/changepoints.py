"""False positives and power of the corpus change points, on synthetic series where the truth is known.

    .venv/bin/python benchmarks/changepoints.py [--series 200] [--factor 3] [--json FILE]

Flat series: a constant share p, bucket sizes varying tenfold (lognormal), a partial first
bucket (a seventh of a week) and last bucket (three sevenths), with binomial sampling alone
or with extra week-to-week variation (dispersion φ ≈ 3, as real topic mixes give). Any
change point found in a flat series is a false positive. Step series: the same, with the
share moving by ``step`` binomial standard errors (at the median bucket size) half-way;
found means a change point within one bucket of the step.

The current rule (binomial cost over the estimated dispersion, :mod:`affectlens.corpus.changepoints`)
is run beside the rule it replaced (least squares on the shares, noise from their
differences, penalty 6·σ²·log T), on the same series. Both drop buckets under 30 texts and
changes under half a percentage point, as the corpus commands do.
"""

from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np

from affectlens.corpus.changepoints import MIN_CHANGE, MIN_SIZE, segment

LOW_N = 30


def old_segment(values: np.ndarray) -> list[int]:
    """The rule before: PELT, least squares, penalty 6·σ²·log T with σ from the differences' MAD."""
    import ruptures

    if len(values) < 2 * MIN_SIZE:
        return []
    diffs = np.diff(values)
    sigma = 1.4826 * np.median(np.abs(diffs - np.median(diffs))) / math.sqrt(2)
    if sigma == 0:
        sigma = np.std(diffs) / math.sqrt(2)
    if sigma == 0:
        return []
    ends = (
        ruptures.Pelt(model="l2", min_size=MIN_SIZE, jump=1)
        .fit(values.reshape(-1, 1))
        .predict(pen=6.0 * sigma**2 * math.log(len(values)))
    )
    return [end for end in ends if end < len(values)]


def series(rng: np.random.Generator, *, buckets: int, p: float, n: int, phi: float, step: float) -> tuple[np.ndarray, np.ndarray]:
    sizes = np.maximum(1, np.rint(n * rng.lognormal(0.0, 0.6, buckets))).astype(float)
    sizes[0] = max(1.0, np.rint(sizes[0] / 7))  # the run starts on the last day of a week
    sizes[-1] = max(1.0, np.rint(sizes[-1] * 3 / 7))  # and ends three days into one
    shares = np.full(buckets, p)
    if step:
        shares[buckets // 2 :] += step * math.sqrt(p * (1 - p) / n)
    if phi > 1:  # week-to-week variation beyond sampling, as a share of the binomial variance at size n
        shares = shares + rng.normal(0.0, math.sqrt((phi - 1) * p * (1 - p) / n), buckets)
    counts = rng.binomial(sizes.astype(int), np.clip(shares, 0.0, 1.0)).astype(float)
    return counts, sizes


def reported(cuts: list[int], counts: np.ndarray, sizes: np.ndarray) -> list[int]:
    """The cuts whose change in the pooled share reaches MIN_CHANGE (as the corpus commands report)."""
    bounds = [0, *cuts, len(sizes)]
    out = []
    for i, cut in enumerate(cuts):
        before = counts[bounds[i] : cut].sum() / sizes[bounds[i] : cut].sum()
        after = counts[cut : bounds[i + 2]].sum() / sizes[cut : bounds[i + 2]].sum()
        if abs(after - before) >= MIN_CHANGE:
            out.append(cut)
    return out


def run(args: argparse.Namespace) -> dict:
    rng = np.random.default_rng(args.seed)
    cells = []
    for buckets in (12, 26, 52):
        for p in (0.03, 0.1, 0.3):
            for n in (100, 1000):
                for phi in (1.0, 3.0):
                    for step in (0.0, args.step):
                        hits = {"new": 0, "old": 0}
                        for _ in range(args.series):
                            counts, sizes = series(rng, buckets=buckets, p=p, n=n, phi=phi, step=step)
                            keep = sizes >= LOW_N
                            kept_counts, kept_sizes = counts[keep], sizes[keep]
                            where = np.flatnonzero(keep)
                            found = {
                                "new": reported(
                                    segment(kept_counts, kept_sizes, penalty_factor=args.factor), kept_counts, kept_sizes
                                ),
                                "old": reported(old_segment(kept_counts / kept_sizes), kept_counts, kept_sizes),
                            }
                            for rule, cuts in found.items():
                                if step == 0:
                                    hits[rule] += bool(cuts)
                                else:
                                    hits[rule] += any(abs(where[c] - buckets // 2) <= 1 for c in cuts)
                        cells.append(
                            {
                                "buckets": buckets,
                                "p": p,
                                "n": n,
                                "phi": phi,
                                "step": step,
                                **{k: v / args.series for k, v in hits.items()},
                            }
                        )
    flat = [c for c in cells if c["step"] == 0]
    stepped = [c for c in cells if c["step"] > 0]

    def summary(rows: list[dict], rule: str, phi: float | None = None) -> float:
        chosen = [r[rule] for r in rows if phi is None or r["phi"] == phi]
        return round(float(np.mean(chosen)), 4)

    return {
        "command": f"benchmarks/changepoints.py --series {args.series} --factor {args.factor} --step {args.step} "
        f"--seed {args.seed}",
        "date": time.strftime("%Y-%m-%d"),
        "series_per_cell": args.series,
        "false_positive_rate": {
            "new": summary(flat, "new"),
            "old": summary(flat, "old"),
            "new_binomial": summary(flat, "new", 1.0),
            "old_binomial": summary(flat, "old", 1.0),
            "new_overdispersed": summary(flat, "new", 3.0),
            "old_overdispersed": summary(flat, "old", 3.0),
            "new_worst_cell": max(c["new"] for c in flat),
        },
        "power": {"new": summary(stepped, "new"), "old": summary(stepped, "old")},
        "cells": cells,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, default=200, help="series per cell")
    parser.add_argument("--factor", type=float, default=4.0, help="the penalty factor of the new rule")
    parser.add_argument("--step", type=float, default=4.0, help="the step, in binomial standard errors at the median size")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the result to FILE")
    args = parser.parse_args()
    result = run(args)
    text = json.dumps(result, indent=1)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "cells"}, indent=1))


if __name__ == "__main__":
    main()
