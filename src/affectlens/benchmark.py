"""Throughput and latency of a backend on this machine (``affectlens bench``).

Batch throughput: one ``analyze_batch`` call over ``n_batch`` texts (labels, VAD,
sentiment, confidence; with ``explain`` also evidence and rationale), after a warm-up. Single-text latency: ``analyze``
on one text at a time, ``n_single`` times; p50 and p95. The texts are the bundled
benchmark sentences (written by the project, 18 words on average), cycled, unless given.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import time
from importlib import resources
from typing import Any

import numpy as np

from affectlens import __version__

__all__ = ["SPEED_FLAGS", "benchmark", "benchmark_texts", "cpu_info"]

#: instruction-set flags (as /proc/cpuinfo names them) that change int8 inference speed
SPEED_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8", "asimddp", "i8mm")


def benchmark_texts() -> list[str]:
    return (resources.files("affectlens") / "benchmark_texts.txt").read_text(encoding="utf-8").splitlines()


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def cpu_info(cpuinfo: str | None = None) -> dict[str, Any]:
    """The CPU model and which of :data:`SPEED_FLAGS` it has, and the int8 kernel class.

    Speed figures are only comparable within a class: an x86 CPU without VNNI runs our int8
    model about three times slower than one with it (docs/benchmarks.md). Reads
    ``/proc/cpuinfo`` (Linux); elsewhere the model is ``platform.processor()`` and flags are
    unknown (``None``).
    """
    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
                cpuinfo = f.read()
        except OSError:
            cpuinfo = ""
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip().lower(), value.strip())
    model = fields.get("model name") or fields.get("cpu model") or platform.processor() or platform.machine()
    raw = fields.get("flags") or fields.get("features")
    if raw is None:
        return {"model": model, "flags": None, "int8_class": "unknown"}
    present = set(raw.split())
    flags = {name: name in present for name in SPEED_FLAGS}
    if flags["amx_int8"]:
        kind = "x86 AMX"
    elif flags["avx512_vnni"] or flags["avx_vnni"]:
        kind = "x86 VNNI"
    elif flags["avx2"]:
        kind = "x86 AVX2 without VNNI"
    elif flags["asimddp"]:
        kind = "ARM dot product"
    else:
        kind = "other"
    return {"model": model, "flags": flags, "int8_class": kind}


def benchmark(
    backend: str = "embedded",
    *,
    texts: list[str] | None = None,
    n_batch: int = 2000,
    n_single: int = 200,
    taxonomy: str = "goemotions",
    explain: bool = False,
    settings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Measure ``backend`` (built with ``settings``, e.g. ``{"model_dir": ...}``); returns the
    figures as a dict (see module docstring)."""
    from affectlens.analyzers.session import needs_exact_products
    from affectlens.api import get_analyzer

    pool = [t for t in (texts or benchmark_texts()) if t.strip()]
    if not pool:
        from affectlens.errors import InputError

        raise InputError("no non-empty texts to benchmark with")
    batch = [pool[i % len(pool)] for i in range(n_batch)]
    started = time.perf_counter()
    analyzer = get_analyzer(backend, **(settings or {}))
    load_seconds = time.perf_counter() - started
    analyzer.analyze_batch(batch[:64], taxonomy=taxonomy, explain=explain)  # warm-up

    started = time.perf_counter()
    analyzer.analyze_batch(batch, taxonomy=taxonomy, explain=explain)
    batch_seconds = time.perf_counter() - started

    latencies = []
    for i in range(n_single):
        text = pool[i % len(pool)]
        t0 = time.perf_counter()
        analyzer.analyze(text, taxonomy=taxonomy, explain=explain)
        latencies.append((time.perf_counter() - t0) * 1000.0)

    return {
        "backend": analyzer.backend_id,
        "batch_texts_per_s": round(n_batch / batch_seconds, 1),
        "single_p50_ms": round(float(np.percentile(latencies, 50)), 2),
        "single_p95_ms": round(float(np.percentile(latencies, 95)), 2),
        "n_batch": n_batch,
        "n_single": n_single,
        "mean_words": round(float(np.mean([len(t.split()) for t in batch])), 1),
        "taxonomy": taxonomy,
        "explain": explain,
        "model_load_s": round(load_seconds, 3),
        "cores": _cores(),
        "threads": (settings or {}).get("threads") or _cores(),  # onnxruntime intra-op threads (spinning off)
        "spinning": bool((settings or {}).get("spinning", False)),
        "machine": f"{platform.system()} {platform.machine()}",
        "cpu": {**cpu_info(), "int8_saturation_fix": needs_exact_products()},
        "onnxruntime": _version_of("onnxruntime"),
        "python": platform.python_version(),
        "affectlens": __version__,
        "date": dt.date.today().isoformat(),
    }


def _version_of(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None
