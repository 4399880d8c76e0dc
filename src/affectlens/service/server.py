"""The HTTP server under ``affectlens serve``: uvicorn, with a deadline on request headers.

uvicorn times out idle keep-alive connections, but not a client that opens a connection and
sends its request line and headers a byte at a time (slowloris): each such client holds a
connection for ever. :class:`GuardedH11Protocol` closes a connection whose request headers
have not all arrived ``header_timeout_s`` after it opened (or after the previous response).
Bodies that stall are the app's to refuse (408, :mod:`affectlens.service.app`).
"""

from __future__ import annotations

import asyncio
import functools
import os
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from affectlens.service.config import CONFIG_ENV, ServiceConfig

__all__ = ["GuardedH11Protocol", "header_timeout"]


@functools.cache
def header_timeout() -> float:
    """The configured deadline (each uvicorn worker reads the config ``affectlens serve`` resolved)."""
    raw = os.environ.get(CONFIG_ENV)
    return (ServiceConfig.model_validate_json(raw) if raw else ServiceConfig()).limits.header_timeout_s


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, closing connections whose request headers are late."""

    _timer: asyncio.TimerHandle | None = None
    _armed_for: Any = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def handle_events(self) -> None:
        super().handle_events()
        if self._timer is not None and self.cycle is not self._armed_for:
            self._cancel()  # a request's headers are in

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.cycle is None or self.cycle.response_complete:
            self._arm()  # the next request's headers have the same deadline

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._cancel()
        self._armed_for = self.cycle
        self._timer = self.loop.call_later(header_timeout(), self._expire)

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expire(self) -> None:
        self._timer = None
        idle = self.cycle is self._armed_for and (self.cycle is None or self.cycle.response_complete)
        if idle and not self.transport.is_closing():
            self.transport.close()
