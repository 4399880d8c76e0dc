"""Admission control: analyses weighed by their work, a deadline on the wait, and a rate limit per key.

A request for analysis states its *cost* (characters, times a factor for what it asks:
evidence costs several forward passes). It takes one of ``max_concurrent`` slots, or waits
in a FIFO queue. Before it waits, the wait is estimated from the cost queued and running
ahead of it at the measured pace (seconds per unit of cost, a running mean of what
analyses took); when the wait and its own work would pass ``max_wait_s`` — or the queue
holds ``max_queue`` requests already — it is refused at once with 429 and a ``Retry-After``
of about that wait, never left to time out. A request whose client hangs up while it waits
leaves the queue at once (:class:`ClientGone`), so abandoned requests cost nothing.
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
    """At most ``concurrent`` analyses at once; waits bounded by ``max_wait_s`` and ``queue``."""

    def __init__(
        self,
        concurrent: int,
        queue: int,
        *,
        max_wait_s: float = 20.0,
        seconds_per_unit: float | None = None,
        on_reject: Callable[[], None] | None = None,
    ) -> None:
        self.concurrent = concurrent
        self.queue = queue
        self.max_wait_s = max_wait_s
        self.seconds_per_unit = seconds_per_unit  # None until measured: then only the queue length limits
        self._free = concurrent
        self._waiters: deque[tuple[asyncio.Future[None], float]] = deque()
        self._running_cost = 0.0
        self._on_reject = on_reject
        self._recent: deque[float] = deque(maxlen=64)

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    @property
    def running(self) -> int:
        return self.concurrent - self._free

    def calibrate(self, seconds_per_unit: float) -> None:
        """Set the pace (from a measured analysis at start-up)."""
        self.seconds_per_unit = max(seconds_per_unit, 1e-9)

    def estimated_wait(self) -> float:
        """Seconds until a slot is likely free for a request arriving now."""
        if not self.seconds_per_unit:
            return 0.0
        ahead = self._running_cost + sum(cost for _, cost in self._waiters)
        return ahead * self.seconds_per_unit / self.concurrent if (self._waiters or not self._free) else 0.0

    def _refuse(self, why: str, wait: float) -> Overloaded:
        if self._on_reject:
            self._on_reject()
        return Overloaded(
            f"the service is at capacity ({why})",
            retry_after=max(1, math.ceil(wait)),
            hint="retry after the number of seconds in the Retry-After header, or send less at once",
        )

    @asynccontextmanager
    async def slot(self, cost: float, gone: Callable[[], Awaitable[None]] | None = None) -> AsyncIterator[None]:
        """Hold a slot for work of ``cost``; ``gone`` completes when the client hangs up."""
        cost = max(float(cost), 1.0)
        wait = self.estimated_wait()
        own = cost * (self.seconds_per_unit or 0.0) / self.concurrent
        if not self._free and len(self._waiters) >= self.queue:
            raise self._refuse(f"{self.running} running, {self.waiting} waiting", wait)
        if wait + own > self.max_wait_s and (self._waiters or not self._free):
            raise self._refuse(f"the wait would be about {wait:.0f} s, over the limit of {self.max_wait_s:.0f} s", wait)
        if self._free and not self._waiters:
            self._free -= 1
        else:
            await self._wait_turn(cost, gone)
        self._running_cost += cost
        started = time.perf_counter()
        try:
            yield
        finally:
            self._running_cost -= cost
            elapsed = time.perf_counter() - started
            self._learn(elapsed / cost)
            self._release()

    async def _wait_turn(self, cost: float, gone: Callable[[], Awaitable[None]] | None) -> None:
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (turn, cost)
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

    def _learn(self, seconds_per_unit: float) -> None:
        self._recent.append(seconds_per_unit)
        ordered = sorted(self._recent)
        self.seconds_per_unit = ordered[len(ordered) // 2]  # the median: one slow outlier does not close the door


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
