"""Admission weighs work and keeps a deadline; abandoned requests leave the queue; slow clients are dropped."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest

from affectlens.service.errors import Overloaded
from affectlens.service.limits import Admission, ClientGone


def test_a_wait_past_the_deadline_is_refused_at_once_with_how_long_it_would_be():
    async def main() -> None:
        admission = Admission(1, 100, max_wait_s=5.0, seconds_per_unit=0.001)  # 1,000 units a second
        release = asyncio.Event()

        async def hold(cost: float) -> None:
            async with admission.slot(cost):
                await release.wait()

        running = asyncio.create_task(hold(3000))  # 3 s of work
        await asyncio.sleep(0.01)
        queued = asyncio.create_task(hold(1000))  # waits 3 s, works 1 s: within 5 s
        await asyncio.sleep(0.01)
        assert admission.waiting == 1
        started = time.monotonic()
        with pytest.raises(Overloaded) as refused:  # would wait 4 s and work 2 s: past 5 s
            async with admission.slot(2000):
                pass
        assert time.monotonic() - started < 0.5 and refused.value.retry_after == 4
        release.set()
        await asyncio.gather(running, queued)
        assert admission.running == 0 and admission.waiting == 0

    asyncio.run(main())


def test_a_request_whose_client_went_away_leaves_the_queue_and_the_next_one_runs():
    async def main() -> None:
        admission = Admission(1, 10, max_wait_s=60.0)
        release = asyncio.Event()
        order: list[str] = []

        async def request(name: str, gone: asyncio.Event | None = None) -> None:
            async def went() -> None:
                await gone.wait()  # type: ignore[union-attr]

            try:
                async with admission.slot(1, went if gone else None):
                    order.append(name)
                    await release.wait()
            except ClientGone:
                order.append(f"{name} gone")

        hung_up = asyncio.Event()
        first = asyncio.create_task(request("first"))
        await asyncio.sleep(0.01)
        abandoned = asyncio.create_task(request("abandoned", hung_up))
        await asyncio.sleep(0.01)
        third = asyncio.create_task(request("third"))
        await asyncio.sleep(0.01)
        assert admission.waiting == 2
        hung_up.set()  # its client hangs up while it waits
        await asyncio.sleep(0.01)
        assert admission.waiting == 1 and order == ["first", "abandoned gone"]
        release.set()
        await asyncio.gather(first, abandoned, third)
        assert order == ["first", "abandoned gone", "third"]  # the slot went past the abandoned request
        assert admission.running == 0 and admission.waiting == 0

    asyncio.run(main())


def test_the_pace_is_learned_from_the_analyses():
    async def main() -> None:
        admission = Admission(2, 4, max_wait_s=60.0)
        for _ in range(3):
            async with admission.slot(100):
                await asyncio.sleep(0.02)
        pace = admission.seconds_per_unit
        assert pace is not None and 1.9e-4 < pace < 0.1  # 20 ms for 100 units, or slower on a busy machine

    asyncio.run(main())


# -- slow clients, against a real server ------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def server(tmp_path, monkeypatch):
    """A real uvicorn server (with the guarded protocol) on loopback, the fake backend, short timeouts."""
    uvicorn = pytest.importorskip("uvicorn")
    from affectlens.service import ServiceConfig, create_app
    from affectlens.service import server as guarded
    from affectlens.service.config import Limits

    monkeypatch.setattr(guarded, "header_timeout", lambda: 0.5)
    config = ServiceConfig(state_dir=tmp_path, conversations=False, backends={"fake": {}}, limits=Limits(body_timeout_s=0.5))
    port = _free_port()
    instance = uvicorn.Server(
        uvicorn.Config(create_app(config), host="127.0.0.1", port=port, http=guarded.GuardedH11Protocol, log_level="warning")
    )
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not instance.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    yield port
    instance.should_exit = True
    thread.join(30)


def _closed_within(sock: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """Whether the server closed the connection within ``seconds`` (and what it sent first)."""
    sock.settimeout(0.2)
    received = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return True, received
        if not chunk:
            return True, received
        received += chunk
    return False, received


def test_a_client_that_never_finishes_its_headers_is_dropped(server):
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # and nothing more
        closed, _ = _closed_within(sock, 10)
    assert closed
    with socket.create_connection(("127.0.0.1", server)) as sock:  # a client that is on time is answered
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        sock.settimeout(10)
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")


def test_a_body_that_stalls_is_answered_408(server):
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.sendall(
            b"POST /v1/analyze HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
            b'{"text": "I am'
        )
        closed, received = _closed_within(sock, 10)
    assert closed  # the connection is closed after the answer
    assert received.startswith(b"HTTP/1.1 408"), received[:200]
    assert b'"request_timeout"' in received


def test_a_request_whose_turn_comes_too_late_is_refused_not_started():
    async def main() -> None:
        admission = Admission(1, 10, max_wait_s=1.0, seconds_per_unit=0.0001)  # estimates: 10 units, 1 ms

        async def hold() -> None:
            async with admission.slot(10):
                await asyncio.sleep(1.2)  # the estimate said 1 ms: it was wrong

        running = asyncio.create_task(hold())
        await asyncio.sleep(0.01)
        started = time.monotonic()
        with pytest.raises(Overloaded):  # admitted (the estimate was short), refused when its turn came too late
            async with admission.slot(10):
                pytest.fail("started past its deadline")
        assert time.monotonic() - started >= 1.0
        await running
        async with admission.slot(10):  # the slot was passed on
            pass

    asyncio.run(main())
