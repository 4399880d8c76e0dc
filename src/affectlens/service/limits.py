"""Admission control: analyses weighed by their work, a deadline on the wait, and a rate limit per key.

A request for analysis states its *cost* (characters) and kind (plain, with evidence, a
conversation: each kind has its own measured pace, seconds per character). It takes one of
``max_concurrent`` slots, or waits in a FIFO queue. Before it waits, its wait is estimated
from the work queued and running ahead of it; when the wait and its own work would pass
``max_wait_s`` — or the queue holds ``max_queue`` requests already — it is refused at once
with 429 and a ``Retry-After`` of about that wait, never left to time out. Estimates can be
wrong (texts differ in how long they take), so a request whose turn comes too late — its wait
so far and its own work would pass ``max_wait_s`` — is refused then, not started late. A
request whose client hangs up while it waits leaves the queue at once (:class:`ClientGone`), so abandoned requests cost nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from affectlens.service.errors import Overloaded, RateLimited

__all__ = ["Admission", "ClientGone", "RateLimiter"]


class ClientGone(Exception):
    """The client hung up while its request waited or ran: there is nobody to answer."""


class Admission:
    """At most ``concurrent`` analyses at once; waits bounded by ``max_wait_s`` and ``queue``.

    Work is counted in the caller's units (characters) per *kind* (plain analyses, analyses
    with evidence, conversations), each kind with its own pace — seconds per unit, the median
    of its recent analyses, or what :meth:`calibrate` measured before any; a kind not measured
    yet borrows the plain pace times ``fallback_factors``."""

    def __init__(
        self,
        concurrent: int,
        queue: int,
        *,
        max_wait_s: float = 20.0,
        seconds_per_unit: float | None = None,
        fallback_factors: dict[str, float] | None = None,
        on_reject: Callable[[], None] | None = None,
    ) -> None:
        self.concurrent = concurrent
        self.queue = queue
        self.max_wait_s = max_wait_s
        self._pace: dict[str, float] = {} if seconds_per_unit is None else {"plain": seconds_per_unit}
        self._fallback = fallback_factors or {}
        self._free = concurrent
        self._waiters: deque[tuple[asyncio.Future[None], float]] = deque()  # (turn, estimated seconds)
        self._running_s = 0.0
        self._on_reject = on_reject
        self._recent: dict[str, deque[float]] = {}

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    @property
    def running(self) -> int:
        return self.concurrent - self._free

    @property
    def seconds_per_unit(self) -> float | None:
        """The plain pace (None until measured)."""
        return self._pace.get("plain")

    def calibrate(self, seconds_per_unit: float, kind: str = "plain") -> None:
        """Set a kind's pace (measured at start-up, before any request)."""
        self._pace[kind] = max(seconds_per_unit, 1e-9)

    def estimate(self, cost: float, kind: str = "plain") -> float:
        """Seconds an analysis of ``cost`` units of ``kind`` is expected to take (0: no pace yet)."""
        pace = self._pace.get(kind)
        if pace is None and "plain" in self._pace:
            pace = self._pace["plain"] * self._fallback.get(kind, 1.0)
        return cost * (pace or 0.0)

    def estimated_wait(self) -> float:
        """Seconds until a slot is likely free for a request arriving now."""
        if self._free and not self._waiters:
            return 0.0
        return (self._running_s + sum(seconds for _, seconds in self._waiters)) / self.concurrent

    def _refuse(self, why: str, wait: float) -> Overloaded:
        if self._on_reject:
            self._on_reject()
        return Overloaded(
            f"the service is at capacity ({why})",
            retry_after=max(1, math.ceil(wait)),
            hint="retry after the number of seconds in the Retry-After header, or send less at once",
        )

    @asynccontextmanager
    async def slot(
        self, cost: float, gone: Callable[[], Awaitable[None]] | None = None, *, kind: str = "plain"
    ) -> AsyncIterator[None]:
        """Hold a slot for work of ``cost`` units of ``kind``; ``gone`` completes when the client hangs up."""
        cost = max(float(cost), 1.0)
        seconds = self.estimate(cost, kind)
        wait = self.estimated_wait()
        if not self._free and len(self._waiters) >= self.queue:
            raise self._refuse(f"{self.running} running, {self.waiting} waiting", wait)
        if wait + seconds > self.max_wait_s and (self._waiters or not self._free):
            raise self._refuse(f"the wait would be about {wait:.0f} s, over the limit of {self.max_wait_s:.0f} s", wait)
        if self._free and not self._waiters:
            self._free -= 1
        else:
            arrived = time.perf_counter()
            await self._wait_turn(seconds, gone)
            waited = time.perf_counter() - arrived
            if waited + self.estimate(cost, kind) > self.max_wait_s:  # the estimate ahead was wrong: do not start late
                self._release()
                why = f"it waited {waited:.0f} s, and its work would pass {self.max_wait_s:.0f} s"
                raise self._refuse(why, self.estimated_wait())
        self._running_s += seconds
        started = time.perf_counter()
        try:
            yield
        finally:
            self._running_s -= seconds
            self._learn(kind, (time.perf_counter() - started) / cost)
            self._release()

    async def _wait_turn(self, seconds: float, gone: Callable[[], Awaitable[None]] | None) -> None:
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (turn, seconds)
        self._waiters.append(entry)
        watcher = asyncio.ensure_future(gone()) if gone is not None else None
        try:
            if watcher is None:
                await turn
            else:
                done, _ = await asyncio.wait({turn, watcher}, return_when=asyncio.FIRST_COMPLETED)
                if turn not in done:
                    raise ClientGone()
        except BaseException:
            if entry in self._waiters:
                self._waiters.remove(entry)
            elif turn.done() and not turn.cancelled():
                self._release()  # the slot was handed over as we left: pass it on
            raise
        finally:
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(BaseException):
                    await watcher

    def _release(self) -> None:
        while self._waiters:
            turn, _ = self._waiters.popleft()
            if not turn.done():
                turn.set_result(None)  # the slot passes straight to the next in line
                return
        self._free += 1

    def _learn(self, kind: str, seconds_per_unit: float) -> None:
        recent = self._recent.setdefault(kind, deque(maxlen=64))
        recent.append(seconds_per_unit)
        ordered = sorted(recent)
        self._pace[kind] = ordered[len(ordered) // 2]  # the median: one slow outlier does not close the door


class RateLimiter:
    """A token bucket per key: ``per_minute`` requests a minute, bursts up to the same number."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last time)
        self._max_keys = max_keys

    def check(self, key: str) -> None:
        if self.per_minute <= 0:
            return
        now = self._clock()
        rate = self.per_minute / 60.0
        tokens, last = self._buckets.get(key, (float(self.per_minute), now))
        tokens = min(float(self.per_minute), tokens + (now - last) * rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            raise RateLimited(
                f"more than {self.per_minute} requests a minute from this key",
                retry_after=math.ceil((1.0 - tokens) / rate),
                hint="slow down, or ask for a higher rate_per_minute",
            )
        if len(self._buckets) >= self._max_keys and key not in self._buckets:  # bounded memory: forget the full ones
            self._buckets = {k: v for k, v in self._buckets.items() if v[0] < self.per_minute - 1}
        self._buckets[key] = (tokens - 1.0, now)
