"""Talking to an OpenAI-compatible chat endpoint: retries, formats, cache, accounting.

- **Concurrency** is bounded by a semaphore (``concurrency``).
- **Retries** with exponential backoff and jitter on 429, 5xx, timeouts, dropped
  connections and malformed bodies (not JSON, no choices) (``max_retries``; a
  ``Retry-After`` header is honoured), each logged as a warning on ``affectlens.llm``
  (thinned: the 1st, 2nd, 4th, 8th… retry). Other refusals become
  :class:`~affectlens.errors.BackendError` or, for a bad key or model,
  :class:`~affectlens.errors.ConfigError`. A text whose requests keep failing fails alone.
- **Stopping early** (:class:`RunState`, shared by one analyzer's clients): when the
  endpoint cannot be reached (connection refused, no answer within ``timeout``) through all
  retries of a request and no request of the run has got through yet — or a whole wave of
  ``concurrency`` requests in a row has failed that way — the run stops with
  :class:`~affectlens.errors.RunStoppedError` instead of trying every text; so does a
  run that passes its ``deadline`` (seconds from its first request).
- **Structured output**: ``json_schema`` first; a server that rejects it is asked with
  ``json_object`` carrying the schema (llama.cpp's server constrains its output with it),
  then plain ``json_object``, then with the schema in the prompt only (``text``) —
  remembered for the rest of the run. ``response_format`` pins one mode. A refusal is a
  400/422, or a 5xx whose message names ``response_format`` (llama-cpp-python's server
  reports request validation errors as 500).
- **Cache**: answers are stored by :mod:`affectlens.llm.cache`; a cached answer makes no
  request and costs nothing.
- **Accounting**: requests, cache hits, retries, tokens and cost in :class:`Usage`.
- **No redirects**: the text goes only to the endpoint the user named. A 3xx answer is not
  followed (the SDK's HTTP client would send the request, text and key, to wherever it
  points); it is one :class:`~affectlens.errors.BackendError` naming where it pointed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from affectlens.errors import BackendError, ConfigError, MissingDependencyError, RunStoppedError
from affectlens.llm.cache import ResponseCache, cache_key
from affectlens.llm.settings import LLMSettings, default_cache_dir

__all__ = ["Answer", "ChatClient", "RunState", "Usage"]

_log = logging.getLogger("affectlens.llm")

_MODES = ("json_schema", "json_object_schema", "json_object", "text")
_MAX_DELAY = 30.0


@dataclass
class Usage:
    """What a run cost; backends add up their clients' usage."""

    requests: int = 0
    cached: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    parse_failures: int = 0
    parse_retries: int = 0
    dropped_spans: int = 0
    repaired_spans: int = 0
    dropped_labels: int = 0
    mapped_labels: int = 0
    failed_texts: int = 0
    malformed: int = 0
    truncated: int = 0  # unusable answers the server had cut at max_tokens
    face_disagreements: int = 0  # media: face cues the offline face model did not confirm
    formats: dict[str, int] = field(default_factory=dict)

    def add(self, other: Usage) -> None:
        for name, value in asdict(other).items():
            if name == "formats":
                for mode, n in value.items():
                    self.formats[mode] = self.formats.get(mode, 0) + n
            else:
                setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["cost"] = round(self.cost, 6)
        return out

    def summary(self) -> str:
        return (
            f"{self.requests:,} requests ({self.cached:,} answered from the cache, {self.retries} retries), "
            f"{self.prompt_tokens:,} tokens in / {self.completion_tokens:,} out, cost {self.cost:.4f}; "
            f"{self.parse_failures} unparsable answers, {self.dropped_spans} spans and {self.dropped_labels} labels dropped"
            + (f" ({self.truncated} of them cut off at max_tokens)" if self.truncated else "")
        )


def _status(exc: Exception) -> int | None:
    return getattr(exc, "status_code", None)


@dataclass
class RunState:
    """What one run knows about its endpoint; shared by the clients of one analyzer."""

    deadline: float | None = None  # seconds from the first request
    started: float | None = None  # time.monotonic() of the first request
    reached: bool = False  # some request got an answer
    failing: int = 0  # requests in a row that could not reach the endpoint
    stopped: RunStoppedError | None = None

    def remaining(self) -> float | None:
        if self.deadline is None:
            return None
        if self.started is None:
            self.started = time.monotonic()
        return self.deadline - (time.monotonic() - self.started)


class _Malformed(Exception):
    """The server answered 200 with a body that is not a chat completion."""


class ChatClient:
    """One run's connection to the endpoint (create it inside the event loop that uses it)."""

    def __init__(
        self, settings: LLMSettings, *, strategy_id: str, http_client: Any = None, run: RunState | None = None
    ) -> None:
        try:
            import openai
        except ImportError as exc:
            raise MissingDependencyError("openai", "llm", "the openai backend") from exc
        self._openai = openai
        self.settings = settings
        self.strategy_id = strategy_id
        self.usage = Usage()
        self.run = run or RunState(deadline=settings.deadline)
        self.mode = "json_schema" if settings.response_format == "auto" else settings.response_format
        if http_client is None:
            http_client = openai.DefaultAsyncHttpxClient(follow_redirects=False)
        http_client.follow_redirects = False  # whoever built it: the text goes only where the user said
        self._client = openai.AsyncOpenAI(
            api_key=settings.resolved_api_key(),
            base_url=settings.base_url,
            timeout=settings.timeout,
            max_retries=0,  # retries are ours, so they are counted and backed off
            http_client=http_client,
        )
        self._semaphore = asyncio.Semaphore(settings.concurrency)
        self.cache = ResponseCache(settings.cache_dir or default_cache_dir()) if settings.cache else None

    @property
    def endpoint(self) -> str:
        return self.settings.base_url or "https://api.openai.com/v1"

    async def close(self) -> None:
        await self._client.close()
        if self.cache is not None:
            self.cache.close()

    async def complete(
        self, messages: list[dict[str, Any]], *, stage: str, schema_name: str, schema: dict[str, Any], sample: int = 0
    ) -> str:
        """The model's answer to ``messages`` (from the cache when possible)."""
        key = cache_key(
            endpoint=self.endpoint,
            model=self.settings.model,
            strategy=self.strategy_id,
            stage=stage,
            temperature=self.settings.effective_temperature,
            max_tokens=self.settings.max_tokens,
            response_format=self.settings.response_format,
            sample=sample,
            messages=messages,
        )
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                self.usage.cached += 1
                return hit[0]
        async with self._semaphore:
            content, prompt_tokens, completion_tokens = await self._request(messages, schema_name, schema)
        if self.cache is not None:
            self.cache.put(key, content, prompt_tokens, completion_tokens)
        return content

    async def _request(self, messages: list[dict[str, Any]], schema_name: str, schema: dict[str, Any]) -> tuple[str, int, int]:
        openai = self._openai
        attempt = 0
        first_try = time.monotonic()
        while True:
            timeout = self._timeout_or_stop()
            mode = self.mode  # requests in flight at once may each meet a refusal: advance once per mode
            kwargs: dict[str, Any] = {
                "model": self.settings.model,
                "messages": messages,
                "temperature": self.settings.effective_temperature,
                "max_tokens": self.settings.max_tokens,
                "timeout": timeout,
            }
            if mode == "json_schema":
                kwargs["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": schema_name, "schema": schema, "strict": True},
                }
            elif mode == "json_object_schema":
                kwargs["response_format"] = {"type": "json_object", "schema": schema}
            elif mode == "json_object":
                kwargs["response_format"] = {"type": "json_object"}
            try:
                self.usage.requests += 1
                response = await self._client.chat.completions.create(**kwargs)
                content = _content_of(response)
            except (openai.APITimeoutError, openai.APIConnectionError) as exc:
                attempt = await self._backoff(exc, attempt, unreachable=True, since=first_try)
                continue
            except (json.JSONDecodeError, _Malformed) as exc:
                self.usage.malformed += 1
                attempt = await self._backoff(exc, attempt, since=first_try)
                continue
            except openai.RateLimitError as exc:
                attempt = await self._backoff(exc, attempt, since=first_try)
                continue
            except openai.AuthenticationError as exc:
                raise ConfigError(
                    f"{self.endpoint} refused the API key ({_status(exc)})", hint="check AFFECTLENS_API_KEY"
                ) from exc
            except openai.NotFoundError as exc:
                raise ConfigError(
                    f"{self.endpoint} has no model {self.settings.model!r} ({_status(exc)})", hint="check --model"
                ) from exc
            except openai.APIStatusError as exc:
                status = _status(exc) or 0
                if 300 <= status < 400:
                    raise BackendError(
                        f"{self.endpoint} answered with a redirect ({status}) to {_location(exc)}, which affectlens does not "
                        "follow: texts go only to the endpoint you named",
                        hint="if you trust where it points, set base_url to that address",
                    ) from exc
                refused_format = status in (400, 422) or (status >= 500 and "response_format" in str(exc))
                if refused_format and self.settings.response_format == "auto" and mode != "text":
                    if self.mode == mode:  # the server does not take that format
                        self.mode = _MODES[_MODES.index(mode) + 1]
                    continue
                if status >= 500:
                    attempt = await self._backoff(exc, attempt, since=first_try)
                    continue
                raise BackendError(f"{self.endpoint} refused the request ({status}): {_short(exc)}") from exc
            except openai.OpenAIError as exc:
                raise BackendError(f"request to {self.endpoint} failed: {_short(exc)}") from exc
            self.run.reached, self.run.failing = True, 0
            self.usage.formats[mode] = self.usage.formats.get(mode, 0) + 1
            usage = response.usage
            prompt_tokens = usage.prompt_tokens if usage else 0
            completion_tokens = usage.completion_tokens if usage else 0
            self.usage.prompt_tokens += prompt_tokens
            self.usage.completion_tokens += completion_tokens
            self.usage.cost += (
                prompt_tokens * self.settings.price_input_per_million + completion_tokens * self.settings.price_output_per_million
            ) / 1e6
            return content, prompt_tokens, completion_tokens

    def _timeout_or_stop(self) -> float:
        """This request's timeout: the setting, or what is left of the deadline; stops a run that must stop."""
        if self.run.stopped is not None:
            raise self.run.stopped
        remaining = self.run.remaining()
        if remaining is not None and remaining <= 0:
            self._stop(
                RunStoppedError(
                    f"the run's deadline of {self.run.deadline:g} s has passed",
                    hint="the rows written so far are kept; run again with --resume (and a new --deadline) to continue",
                )
            )
        return self.settings.timeout if remaining is None else max(min(self.settings.timeout, remaining), 0.1)

    def _stop(self, error: RunStoppedError) -> None:
        self.run.stopped = self.run.stopped or error
        raise self.run.stopped

    async def _backoff(self, exc: Exception, attempt: int, *, since: float, unreachable: bool = False) -> int:
        what = _describe(exc, self.settings.timeout)
        if attempt >= self.settings.max_retries:
            tried = f"{attempt + 1} attempts over {time.monotonic() - since:.0f} s"
            if unreachable:
                self.run.failing += 1
                if not self.run.reached or self.run.failing >= self.settings.concurrency:
                    self._stop(
                        RunStoppedError(
                            f"cannot reach {self.endpoint}: {what} ({tried})",
                            hint="check --base-url and that the server is running; "
                            "rows written so far are kept, and --resume continues",
                        )
                    )
            raise BackendError(
                f"{self.endpoint} kept failing: {what} ({tried})",
                hint="try later, lower --concurrency, or raise max_retries",
            ) from exc
        self.usage.retries += 1
        delay = self.settings.backoff * (2**attempt) * (1 + random.random() / 4)
        response = getattr(exc, "response", None)
        retry_after = response.headers.get("retry-after") if response is not None else None
        if retry_after:
            with contextlib.suppress(ValueError):  # an HTTP date: keep our own delay
                delay = float(retry_after)
        delay = min(delay, _MAX_DELAY)
        remaining = self.run.remaining()
        if remaining is not None:
            delay = max(min(delay, remaining), 0.0)
        if self.usage.retries & (self.usage.retries - 1) == 0:  # 1st, 2nd, 4th, 8th… retry of the run
            _log.warning("%s: %s; retrying in %.0f s (retry %d of this run)", self.endpoint, what, delay, self.usage.retries)
        await asyncio.sleep(delay)
        return attempt + 1


def _location(exc: Exception) -> str:
    """Where a redirect pointed: its scheme, host and port (never the path or query)."""
    from urllib.parse import urlsplit

    response = getattr(exc, "response", None)
    target = response.headers.get("location", "") if response is not None else ""
    parts = urlsplit(target)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "(another path)" if target else "(nowhere named)"


class Answer(str):
    """A model's answer; ``truncated`` when the server stopped it at ``max_tokens``
    (``finish_reason`` "length") — then a JSON answer is usually cut in the middle."""

    truncated: bool = False


def _content_of(response: Any) -> Answer:
    """The answer's text; :class:`_Malformed` when the body is not a chat completion."""
    if not hasattr(response, "choices"):  # the SDK hands back the body itself when it is not JSON
        raise _Malformed(f"the answer is not a chat completion but {str(response)[:60]!r}")
    if not response.choices:
        raise _Malformed("the answer has no choices")
    answer = Answer(response.choices[0].message.content or "")
    answer.truncated = getattr(response.choices[0], "finish_reason", None) == "length"
    return answer


def _describe(exc: Exception, timeout: float) -> str:
    if isinstance(exc, _Malformed):
        return f"malformed answer ({exc})"
    if isinstance(exc, json.JSONDecodeError):
        return f"malformed answer (not valid JSON: {exc.msg})"
    name = type(exc).__name__
    if name == "APITimeoutError":
        return f"no answer within {timeout:g} s"
    if name == "APIConnectionError":
        cause = exc.__cause__ or exc.__context__
        return f"connection failed ({_short(cause) if cause else 'no route to the server'})"
    return f"{name}: {_short(exc)}"


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]
