"""Emotional-intelligence benchmarks for any OpenAI-compatible endpoint (``affectlens eval emobench``,
``affectlens eval eqbench-v2``).

Each benchmark (:class:`Benchmark`) builds the upstream prompts from the published files,
parses and scores answers twice — **as upstream does** (the cited function, reproduced with its
quirks, so figures compare with published ones) and **as affectlens does** (the upstream defects
fixed, parse failures counted apart from wrong answers) — and the runner
(:mod:`affectlens.evaluation.ei.runner`) asks the model, keeps one record per item, resumes a
killed run without repeating a request, and compares prompt strategies item by item.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from affectlens.evaluation.ei.base import Benchmark

__all__ = ["BENCHMARKS", "benchmark"]

BENCHMARKS = {
    "emobench": "affectlens.evaluation.ei.emobench:EmoBench",
    "eqbench-v2": "affectlens.evaluation.ei.eqbench:EQBench",
}


def benchmark(name: str) -> type[Benchmark]:
    """The benchmark class called ``name``."""
    import importlib

    from affectlens.errors import UnknownNameError

    if name not in BENCHMARKS:
        raise UnknownNameError("benchmark", name, BENCHMARKS)
    module, attr = BENCHMARKS[name].split(":")
    return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]
