"""Run an emotional-intelligence benchmark against an endpoint: one record per item, resumable,
cached, with strategies compared item by item.

A run lives in a folder (``--records DIR``; by default under the cache directory, named by the
run's identity, so the same command resumes by itself):

- ``run.json`` — the identity: benchmark and options, model, endpoint, sampling, the data files'
  SHA-256; a folder holding another run is refused rather than mixed;
- ``records.jsonl`` — one line per item and strategy, appended and synced as each finishes:
  every answer the model gave (``contents``), the answer as read (``answer``, or ``reason`` why
  it could not be used), affectlens's score and the upstream record. An item whose request
  failed (after the client's retries) is not recorded — the result counts it as
  ``not_answered`` — and a resumed run asks it again; an endpoint that cannot be reached, or a
  passed deadline, stops the run. A killed run leaves at most one torn last line, dropped when
  the run resumes; items already recorded are never asked again (and answers are cached as for
  every LLM path);
- ``usage.json`` — requests, tokens and cost summed over every sitting of the run;
- ``result.json`` — the record of the run (:func:`run_benchmark`'s return).

**Strategies**: ``zero-shot`` (the upstream prompt as it is), and any emotional stimulus of
:mod:`affectlens.llm.strategies` appended to the prompt — ``emotional-stimulus`` (EmotionPrompt's
kind: "this matters") and ``negative-stimulus`` (NegativePrompt's kind) are their short names.
Each strategy after the first is compared with the first on the same items: the mean
difference of the per-item scores, with a 95% bootstrap interval (items resampled, 2,000 times).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from affectlens import __version__
from affectlens.errors import BackendError, ConfigError, InputError, RunStoppedError
from affectlens.evaluation.ei.base import Benchmark, Item, file_sha256
from affectlens.llm.pipeline import ask_parsed

__all__ = ["STRATEGY_ALIASES", "compare", "run_benchmark"]

STRATEGY_ALIASES = {"emotional-stimulus": "importance", "negative-stimulus": "negative"}
_RESAMPLES = 2000
Progress = Callable[[int, int], None]


def _stimulus(strategy: str) -> str | None:
    if strategy == "zero-shot":
        return None
    from affectlens.llm.strategies import load_stimulus

    return load_stimulus(STRATEGY_ALIASES.get(strategy, strategy))


def run_benchmark(
    bench: Benchmark,
    analyzer: Any,
    *,
    strategies: list[str] | None = None,
    folder: str | Path | None = None,
    limit: int | None = None,
    on_progress: Progress | None = None,
) -> dict[str, Any]:
    """Ask ``analyzer`` (an ``openai`` backend) every item of ``bench`` under each strategy; the
    result record (also written to ``result.json`` in the run folder)."""
    from affectlens.analyzers.openai_backend import OpenAIAnalyzer, run_coroutine

    if not isinstance(analyzer, OpenAIAnalyzer):
        raise ConfigError(f"{bench.name} asks a chat model: use --backend openai", hint="-O base_url=... -O model=...")
    strategies = strategies or ["zero-shot"]
    stimuli = {s: _stimulus(s) for s in strategies}  # unknown names fail here, before any request
    items = bench.items()
    if limit:
        items = items[:limit]
    identity = _identity(bench, analyzer)
    run = _RunFolder(Path(folder) if folder else _default_folder(identity), identity)
    done = run.load()
    todo = [(item, s) for s in strategies for item in items if (item.id, s) not in done]
    total, finished = len(items) * len(strategies), len(items) * len(strategies) - len(todo)
    if on_progress:
        on_progress(finished, total)
    started = time.perf_counter()
    failed: dict[str, list[str]] = {}

    async def ask_all() -> None:
        nonlocal finished
        async with analyzer.client(f"{bench.id}") as client:
            if bench.schema is None:
                client.mode = "text"  # free text, as upstream asks (no response_format is sent)

            async def one(item: Item, strategy: str) -> None:
                nonlocal finished
                record = None
                try:
                    record = await _ask(bench, client, item, strategy, stimuli[strategy], analyzer.settings.parse_retries)
                except RunStoppedError:
                    raise  # the endpoint is gone or the deadline passed: stop; the records so far are kept
                except BackendError as exc:  # this item alone, left unrecorded: the next sitting asks it again
                    failed.setdefault(strategy, []).append(exc.message)
                finally:
                    # before the record: whatever a killed sitting recorded, its cost is already counted
                    run.save_usage(client.usage.as_dict())
                if record is not None:
                    run.append(record)
                    done[(item.id, strategy)] = record
                finished += 1
                if on_progress:
                    on_progress(finished, total)

            await asyncio.gather(*(one(item, s) for item, s in todo))

    try:
        run_coroutine(ask_all())
    except RunStoppedError as exc:
        raise RunStoppedError(
            exc.message, hint=f"the records so far are kept in {str(run.folder)!r}: the same command continues the run"
        ) from exc
    result = _result(bench, analyzer, items, strategies, done, identity, run.folder, failed)
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["usage_all_sittings"] = run.save_usage(analyzer.usage.as_dict())  # a resumed run's tokens and cost, in total
    run.write_result(result)
    return result


async def _ask(bench: Benchmark, client: Any, item: Item, strategy: str, stimulus: str | None, retries: int) -> dict[str, Any]:
    """One item under one strategy: asked again with the reason while its answer cannot be used."""
    messages = [dict(m) for m in item.messages]
    if stimulus:
        messages[-1]["content"] = f"{messages[-1]['content'].rstrip()}\n\n{stimulus}"

    def usable(content: str) -> Any:
        parsed = bench.parse(item, content)
        if not parsed.ok:
            raise ValueError(parsed.reason)
        return parsed.answer

    answer, reason, contents = await ask_parsed(
        client, messages, stage=f"{bench.name}:{strategy}", schema_name="answer", schema=bench.schema or {},
        parse=usable, parse_retries=retries, again="Answer again, in the format asked.",
    )  # fmt: skip
    return dict(
        id=item.id,
        strategy=strategy,
        contents=contents,
        parsed=answer is not None,
        answer=answer,
        reason=reason,
        score=bench.score(item, answer) if answer is not None else bench.unusable_score,
        upstream=bench.upstream_item(item, contents),
    )


def compare(a: list[float], b: list[float], *, seed: int = 0) -> dict[str, Any]:
    """Paired: the mean of ``b − a`` over the same items, with a 95% bootstrap interval."""
    diff = np.asarray(b, dtype=np.float64) - np.asarray(a, dtype=np.float64)
    if not len(diff):
        return {"difference": None, "ci95": None, "n": 0}
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), size=(_RESAMPLES, len(diff)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return {
        "difference": round(float(diff.mean()), 4),
        "ci95": [round(float(low), 4), round(float(high), 4)],
        "n": len(diff),
        "better": int((diff > 0).sum()),
        "worse": int((diff < 0).sum()),
    }


def _result(
    bench: Benchmark,
    analyzer: Any,
    items: list[Item],
    strategies: list[str],
    done: dict[tuple[str, str], dict[str, Any]],
    identity: dict[str, Any],
    folder: Path,
    failed: dict[str, list[str]],
) -> dict[str, Any]:
    per: dict[str, Any] = {}
    scores: dict[str, dict[str, float]] = {}
    for strategy in strategies:
        records = [done[(item.id, strategy)] for item in items if (item.id, strategy) in done]
        per[strategy] = {
            "affectlens": bench.summary(items, records),
            "upstream": bench.upstream_score(items, records),
            "not_answered": len(items) - len(records),  # requests that failed: asked again when the run is resumed
            "errors": sorted(set(failed.get(strategy, [])))[:3],
        }
        scores[strategy] = {r["id"]: r["score"] for r in records}
    base = strategies[0]
    comparisons = []
    for n, strategy in enumerate(strategies[1:], 1):
        shared = [i for i in scores[base] if i in scores[strategy]]
        paired = compare([scores[base][i] for i in shared], [scores[strategy][i] for i in shared], seed=n)
        comparisons.append({"baseline": base, "strategy": strategy, **paired})
    import openai

    return {
        **identity,
        "backend": analyzer.backend_id.split("+")[0],
        "strategies": per,
        "comparisons": comparisons,
        "usage": analyzer.usage.as_dict(),
        "records": str(folder / "records.jsonl"),
        "versions": {"affectlens": __version__, "python": platform.python_version(), "openai": openai.__version__},
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def _identity(bench: Benchmark, analyzer: Any) -> dict[str, Any]:
    settings = analyzer.settings
    return {
        "benchmark": bench.id,
        "options": bench.options,
        "upstream": bench.upstream,
        "data": {path.name: file_sha256(path) for path in bench.files()},
        "model": settings.model,
        "endpoint": settings.base_url or "https://api.openai.com/v1",
        "sampling": {"temperature": settings.effective_temperature, "max_tokens": settings.max_tokens,
                     "parse_retries": settings.parse_retries},
    }  # fmt: skip


def _default_folder(identity: dict[str, Any]) -> Path:
    from affectlens.llm.settings import default_cache_dir

    key = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
    return default_cache_dir() / "evals" / f"{identity['benchmark'].split('@')[0]}-{key}"


class _RunFolder:
    def __init__(self, folder: Path, identity: dict[str, Any]) -> None:
        self.folder = folder
        self.identity = identity
        self.records = folder / "records.jsonl"
        self.earlier_usage: dict[str, Any] = {}

    def load(self) -> dict[tuple[str, str], dict[str, Any]]:
        """The records so far (a torn last line — a killed write — is dropped from the file)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        meta = self.folder / "run.json"
        if meta.exists():
            stored = json.loads(meta.read_text(encoding="utf-8"))
            if stored != json.loads(json.dumps(self.identity)):
                changed = sorted(k for k in set(stored) | set(self.identity) if stored.get(k) != self.identity.get(k))
                raise InputError(
                    f"{str(self.folder)!r} holds another run ({', '.join(changed)} differ)",
                    hint="give another --records folder, or delete this one to start again",
                )
        else:
            from affectlens.io.files import atomic_write

            body = json.dumps(self.identity, indent=2, ensure_ascii=False).encode()
            atomic_write(meta, lambda f: f.write(body))
        usage = self.folder / "usage.json"
        self.earlier_usage = json.loads(usage.read_text(encoding="utf-8")) if usage.exists() else {}
        done: dict[tuple[str, str], dict[str, Any]] = {}
        if not self.records.exists():
            return done
        raw = self.records.read_bytes()
        good = 0
        for line in raw.splitlines(keepends=True):
            try:
                if not line.endswith(b"\n"):
                    raise ValueError("torn")
                record = json.loads(line)
            except ValueError:
                break
            done[(record["id"], record["strategy"])] = record
            good += len(line)
        if good < len(raw):
            with open(self.records, "r+b") as f:
                f.truncate(good)
        return done

    def append(self, record: dict[str, Any]) -> None:
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        with open(self.records, "ab") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())

    def save_usage(self, usage: dict[str, Any]) -> dict[str, Any]:
        """This sitting's usage so far added to the earlier sittings' (read when the run was
        loaded), written to ``usage.json``; the total."""
        from affectlens.io.files import atomic_write

        total = dict(self.earlier_usage)
        for key, value in usage.items():
            if isinstance(value, int | float):
                total[key] = round(total.get(key, 0) + value, 6)
        body = json.dumps(total, indent=2).encode()
        atomic_write(self.folder / "usage.json", lambda f: f.write(body))
        return total

    def write_result(self, result: dict[str, Any]) -> None:
        from affectlens.io.files import atomic_write

        body = (json.dumps(result, indent=2, ensure_ascii=False) + "\n").encode()
        atomic_write(self.folder / "result.json", lambda f: f.write(body))
