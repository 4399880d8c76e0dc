"""onnxruntime sessions for the shipped int8 graphs, with the settings that make them exact.

Our encoders multiply uint8 activations by int8 weights (``MatMulIntegerToFloat``). On x86
CPUs without VNNI (AVX2-only, e.g. many AMD EPYC and older Intel Xeon), onnxruntime's
fast uint8 x int8 kernel adds pairs of products in saturating int16 (``vpmaddubsw``), so
large activations times large weights are clipped: on such a CPU our test graph was off by
up to 279 and 6.3% of GoEmotions test texts got a different label set (onnxruntime issue
#6004). The session option ``session.x64quantprecision = 1`` (onnxruntime PR #12088) makes
onnxruntime rewrite those products to its exact uint8 x uint8 kernel on exactly those
CPUs. It is not free where it is not needed: onnxruntime 1.31 applies the rewrite on a CPU
with VNNI too, where the fast kernel is already exact, and batch speed there fell from about
790 to 465 texts/s (docs/benchmarks.md). So affectlens asks the CPU: once per process it runs
a tiny probe graph of our own op pattern (``assets/int8-probe.onnx``, all activations and
weights at the values that overflow int16 pairs) without the option, and turns the option on
only if the answer is not exact (:func:`needs_exact_products`). We chose this over
re-quantising the weights into [-64, 63], which would cost precision on every CPU.

That makes the integer part exact. The float part is made CPU-independent in the graphs
themselves: onnxruntime's Softmax kernels differ in the last bit between AVX2 and AVX-512,
and the next per-token requantisation can turn that bit into a whole int8 step, so every
shipped graph spells Softmax out with operators that run the same code on every x86 CPU
(:func:`affectlens.training.export.portable_softmax`). Together: the same bits everywhere.

The rewrite is a graph optimisation of the *extended* level, so a session at a lower level
(``ORT_ENABLE_BASIC`` or none) would run the saturating kernel again: :func:`session_options`
refuses those. Every session affectlens opens on an int8 graph goes through
:func:`int8_session`, and the tests check it, so no code path can run the saturating kernel.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

from affectlens.errors import ProgrammingError

__all__ = ["NO_SPINNING", "PROBE", "SESSION_CONFIG", "int8_session", "needs_exact_products", "session_options"]

#: session config entries an int8 session gets on a CPU whose fast kernel saturates
SESSION_CONFIG = {"session.x64quantprecision": "1"}
#: by default, intra-op threads sleep when idle instead of spinning. Spinning threads keep a core
#: busy between batches: on a shared 2-core machine, turning it off alone ran 1.5-1.8 times faster;
#: on a quiet one, spinning is about 15% faster in one process (docs/benchmarks.md), so the
#: embedded backend's ``spinning`` setting turns it back on.
NO_SPINNING = {"session.intra_op.allow_spinning": "0"}
#: x [1, 1, 16] of ones times W [16, 4] of 0.5 through our per-token int8 rewrite: exactly 8
PROBE = Path(__file__).resolve().parents[1] / "assets" / "int8-probe.onnx"
PROBE_ANSWER = 8.0


@cache
def needs_exact_products() -> bool:
    """Whether this CPU's fast uint8 x int8 kernel saturates (the probe's answer is not exact)."""
    import numpy as np
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    probe = ort.InferenceSession(str(PROBE), options, providers=["CPUExecutionProvider"])
    (answer,) = probe.run(None, {"x": np.ones((1, 1, 16), dtype=np.float32)})
    return not np.allclose(answer, PROBE_ANSWER, rtol=0, atol=1e-4)


def session_options(
    *, threads: int | None = None, optimization_level: Any = None, exact: bool | None = None, spinning: bool = False
) -> Any:
    """``onnxruntime.SessionOptions`` with ``threads`` intra-op threads, and :data:`SESSION_CONFIG`
    when ``exact`` (default: when this CPU needs it, :func:`needs_exact_products`)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    for key, value in ({} if spinning else NO_SPINNING).items():
        options.add_session_config_entry(key, value)
    if needs_exact_products() if exact is None else exact:
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


def int8_session(path: str | Path, *, threads: int | None = None, optimization_level: Any = None, spinning: bool = False) -> Any:
    """An ``onnxruntime.InferenceSession`` on the CPU for the graph at ``path``."""
    import onnxruntime as ort

    return ort.InferenceSession(
        str(path),
        session_options(threads=threads, optimization_level=optimization_level, spinning=spinning),
        providers=["CPUExecutionProvider"],
    )
