"""The ``openai`` backend: any OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama,
llama.cpp server, LM Studio), through the official ``openai`` SDK.

    affectlens analyze --backend openai --base-url http://127.0.0.1:8080/v1 --model local "text"
    affectlens.get_analyzer("openai", model="gpt-4o-mini", strategy="three-hop", samples=5)

Settings: :class:`affectlens.llm.settings.LLMSettings` (keyword arguments, a config file,
the environment). Pipeline: :mod:`affectlens.llm.pipeline`. Scores are the model's own
probabilities (or self-consistency frequencies), not calibrated on dev data; the backend id
names the model, the strategy version, and the sampling and stimulus options.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from affectlens.analyzers.base import AnalyzeOptions, Analyzer
from affectlens.errors import ConfigError
from affectlens.llm.client import ChatClient, RunState, Usage
from affectlens.llm.pipeline import Context, analyze_texts
from affectlens.llm.settings import LLMSettings
from affectlens.llm.strategies import load_stimulus, load_strategy
from affectlens.schema import Analysis
from affectlens.settings import build_settings
from affectlens.taxonomy import Taxonomy

__all__ = ["OpenAIAnalyzer", "run_coroutine"]

T = TypeVar("T")


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion, also from code already inside an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


class OpenAIAnalyzer(Analyzer):
    name = "openai"
    description = "any OpenAI-compatible chat endpoint: perceive -> reason -> verify (needs affectlens[llm])"

    settings_model = LLMSettings

    def __init__(self, *, http_client: Any = None, **settings: Any) -> None:
        self.settings: LLMSettings = build_settings(LLMSettings, self.name, settings)  # type: ignore[assignment]
        self.settings.resolved_api_key()  # fail now, not after loading texts
        self.strategy = load_strategy(self.settings.strategy)
        self.stimulus = load_stimulus(self.settings.stimulus) if self.settings.stimulus else None
        self.demonstrations = None
        if self.strategy.few_shot:
            if self.settings.few_shot_pool is None:
                raise ConfigError(f"strategy {self.strategy.id} needs a labelled pool", hint="pass --few-shot-pool FILE.jsonl")
            from affectlens.analyzers.fewshot import FewShotPool

            self.demonstrations = FewShotPool(self.settings.few_shot_pool, k=self.settings.few_shot_k)
        self.usage = Usage()
        self.run = RunState(deadline=self.settings.deadline)  # one run: reachability and deadline
        self._http_client = http_client

    @property
    def backend_id(self) -> str:
        extra = f"+sc{self.settings.samples}" if self.settings.samples > 1 else ""
        extra += f"+{self.settings.stimulus}" if self.settings.stimulus else ""
        return f"openai/{self.settings.model}+{self.strategy.id}{extra}"

    def _analyze_texts(
        self, texts: list[str], ids: list[str | None], options: AnalyzeOptions, taxonomy: Taxonomy
    ) -> list[Analysis]:
        return run_coroutine(self._analyze(texts, ids, taxonomy))

    @contextlib.asynccontextmanager
    async def client(self, strategy_id: str) -> AsyncIterator[ChatClient]:
        """A chat client for one batch under ``strategy_id`` (the cache key's prompt version):
        this run's settings, deadline and reachability; its usage is added to this analyzer's,
        and it is closed (a client passed in at construction is left open) when the batch ends."""
        client = ChatClient(self.settings, strategy_id=strategy_id, http_client=self._http_client, run=self.run)
        try:
            yield client
        finally:
            self.usage.add(client.usage)
            if self._http_client is None:
                await client.close()
            elif client.cache is not None:
                client.cache.close()

    async def _analyze(self, texts: list[str], ids: list[str | None], taxonomy: Taxonomy) -> list[Analysis]:
        async with self.client(self.strategy.id) as client:
            ctx = Context(
                client=client,
                strategy=self.strategy,
                taxonomy=taxonomy,
                samples=self.settings.samples,
                parse_retries=self.settings.parse_retries,
                backend_id=self.backend_id,
                stimulus=self.stimulus,
                demonstrations=self.demonstrations,
            )
            return await analyze_texts(ctx, texts, ids)

    def usage_report(self) -> dict[str, Any]:
        """Requests, cache hits, retries, tokens, cost and dropped items so far."""
        return self.usage.as_dict()

    def info(self) -> dict[str, Any]:
        return {**super().info(), "strategy": self.strategy.id, "model": self.settings.model, "endpoint": self.settings.base_url}
