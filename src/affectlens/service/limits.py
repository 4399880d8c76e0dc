"""Admission control: a bounded queue in front of the analyses, and a rate limit per key.

A request for analysis takes one of ``max_concurrent`` slots, or waits in a queue of
``max_queue``; when both are full it is refused at once with 429 and a ``Retry-After`` drawn
from how long recent analyses took — never left to time out. That keeps the latency of the
requests that are accepted flat under any load.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from affectlens.service.errors import Overloaded, RateLimited

__all__ = ["Admission", "RateLimiter"]


class Admission:
    """At most ``concurrent`` holders at once and ``queue`` waiting; the rest are refused."""

    def __init__(self, concurrent: int, queue: int, *, on_reject: Callable[[], None] | None = None) -> None:
        self.concurrent = concurrent
        self.queue = queue
        self._slots = asyncio.Semaphore(concurrent)
        self._admitted = 0  # running + waiting
        self._recent: deque[float] = deque(maxlen=50)  # seconds per admitted request
        self._on_reject = on_reject

    @property
    def waiting(self) -> int:
        return max(0, self._admitted - self.concurrent)

    @property
    def running(self) -> int:
        return min(self._admitted, self.concurrent)

    def retry_after(self) -> int:
        """Seconds until a slot is likely free: the queue drained at the recent pace."""
        typical = sorted(self._recent)[len(self._recent) // 2] if self._recent else 1.0
        return max(1, math.ceil(typical * (self.waiting + 1) / self.concurrent))

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self._admitted >= self.concurrent + self.queue:
            if self._on_reject:
                self._on_reject()
            raise Overloaded(
                f"the service is at capacity ({self.concurrent} running, {self.waiting} waiting)",
                retry_after=self.retry_after(),
                hint="retry after the number of seconds in the Retry-After header, or send fewer requests at once",
            )
        self._admitted += 1
        started = time.perf_counter()
        try:
            async with self._slots:
                yield
        finally:
            self._admitted -= 1
            self._recent.append(time.perf_counter() - started)


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
