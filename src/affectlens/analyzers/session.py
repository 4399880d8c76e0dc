"""onnxruntime sessions for the shipped int8 graphs, with the settings that make them exact.

Our encoders multiply uint8 activations by int8 weights (``MatMulIntegerToFloat``). On x86
CPUs without VNNI (AVX2-only, e.g. many AMD EPYC and older Intel Xeon), onnxruntime's
fast uint8 x int8 kernel adds pairs of products in saturating int16 (``vpmaddubsw``), so
large activations times large weights are clipped: on such a CPU our test graph was off by
up to 279 and 6.3% of GoEmotions test texts got a different label set (onnxruntime issue
#6004). The session option ``session.x64quantprecision = 1`` (onnxruntime PR #12088) makes
onnxruntime rewrite those products to its exact uint8 x uint8 kernel on exactly those
CPUs; on CPUs with VNNI (or ARM) it changes nothing. The rewrite is a graph optimisation of
the *extended* level, so a session at a lower level (``ORT_ENABLE_BASIC`` or none) would
run the saturating kernel again: :func:`session_options` refuses those. We chose it over re-quantising the
weights into [-64, 63], which would cost a bit of precision on every CPU, because it keeps
the shipped weights and measured no slower (docs/benchmarks.md).

Every session affectlens opens on an int8 graph goes through :func:`int8_session`, and the
tests check these settings, so no code path can run the saturating kernel.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from affectlens.errors import ProgrammingError

__all__ = ["SESSION_CONFIG", "int8_session", "session_options"]

#: session config entries every int8 session gets (see module docstring)
SESSION_CONFIG = {"session.x64quantprecision": "1"}


def session_options(*, threads: int | None = None, optimization_level: Any = None) -> Any:
    """``onnxruntime.SessionOptions`` with :data:`SESSION_CONFIG` and ``threads`` intra-op threads."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    for key, value in SESSION_CONFIG.items():
        options.add_session_config_entry(key, value)
    options.intra_op_num_threads = threads or os.cpu_count() or 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    if optimization_level is not None:
        if int(optimization_level) < int(ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED):
            raise ProgrammingError(
                f"int8 sessions need graph optimisations at ORT_ENABLE_EXTENDED or above, not {optimization_level.name}",
                hint="below it, onnxruntime's saturating AVX2 kernel is used (see affectlens.analyzers.session)",
            )
        options.graph_optimization_level = optimization_level
    return options


def int8_session(path: str | Path, *, threads: int | None = None, optimization_level: Any = None) -> Any:
    """An ``onnxruntime.InferenceSession`` on the CPU for the graph at ``path``."""
    import onnxruntime as ort

    return ort.InferenceSession(
        str(path),
        session_options(threads=threads, optimization_level=optimization_level),
        providers=["CPUExecutionProvider"],
    )
