"""The service under load on loopback, beside the same analyses in process.

    python benchmarks/service_load.py [--seconds 20] [--concurrent 2] [--queue 2] [--out FILE.json]

1. In process: single-text latency of the embedded analyzer (``analyze_batch([text])``), the
   same texts the HTTP clients send.
2. ``affectlens serve`` is started in a child process with ``max_concurrent`` and ``max_queue``
   from the options (capacity = their sum), then:
   a. one client, one text per request, one request at a time: the HTTP latency to compare
      with (1);
   b. twice the capacity in clients, each sending its next request as soon as it has an
      answer, for ``--seconds``: the share answered 429 (each must carry Retry-After), 5xx
      (must be none), and p50/p99 latency of the accepted requests.
3. A second server with the default limits (``max_concurrent`` 2, ``max_queue`` 16,
   ``max_wait_s`` 20), then:
   c. 64 clients at once, each with one heavy request (64 texts of about 600 characters, with
      evidence): every answer must be 200 or 429, and come within 30 s;
   d. four heavy requests whose clients hang up after 0.2 s, then a one-word request: how long
      it waited (the abandoned ones must not run before it).

Prints one JSON object (also written to ``--out``) with the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

TEXTS = [
    "Thanks so much for fixing this, I was really worried.",
    "This is infuriating, nobody called me back.",
    "I miss her every single day.",
    "What a surprise, I did not expect that at all!",
    "The package arrived on Tuesday.",
    "I'm a bit nervous about the interview tomorrow.",
    "That joke was hilarious, I can't stop laughing.",
    "Honestly this is disgusting, who thought it was a good idea?",
]


def percentiles(ms: list[float]) -> dict[str, float]:
    if not ms:
        return {}
    return {"n": len(ms), "p50_ms": round(float(np.percentile(ms, 50)), 2), "p99_ms": round(float(np.percentile(ms, 99)), 2)}


def in_process(n: int) -> dict[str, float]:
    from affectlens.api import get_analyzer

    analyzer = get_analyzer("embedded")
    analyzer.analyze_batch(TEXTS)
    times = []
    for k in range(n):
        started = time.perf_counter()
        analyzer.analyze_batch([TEXTS[k % len(TEXTS)]])
        times.append((time.perf_counter() - started) * 1000)
    return percentiles(times)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(folder: Path, concurrent: int, queue: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "service.toml"
    config.write_text(
        f'state_dir = "{folder / "state"}"\nconversations = false\n[limits]\nmax_concurrent = {concurrent}\nmax_queue = {queue}\n'
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "affectlens", "serve", "--config", str(config), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=open(folder / "server.log", "wb"),  # noqa: SIM115
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/readyz").status_code == 200:
                return process, base
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not become ready; see " + str(folder / "server.log"))


def sequential(base: str, n: int) -> dict[str, float]:
    times = []
    with httpx.Client(base_url=base) as client:
        for k in range(20):
            client.post("/v1/analyze", json={"text": TEXTS[k % len(TEXTS)]})
        for k in range(n):
            started = time.perf_counter()
            response = client.post("/v1/analyze", json={"text": TEXTS[k % len(TEXTS)]})
            times.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
    return percentiles(times)


async def load(base: str, clients: int, seconds: float) -> dict[str, object]:
    accepted: list[float] = []
    statuses: dict[int, int] = {}
    missing_retry_after = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        stop = time.monotonic() + seconds

        async def one(k: int) -> None:
            nonlocal missing_retry_after
            n = k
            while time.monotonic() < stop:
                started = time.perf_counter()
                response = await client.post("/v1/analyze", json={"text": TEXTS[n % len(TEXTS)]})
                elapsed = (time.perf_counter() - started) * 1000
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                if response.status_code == 200:
                    accepted.append(elapsed)
                elif response.status_code == 429 and "retry-after" not in response.headers:
                    missing_retry_after += 1
                n += clients

        started = time.perf_counter()
        await asyncio.gather(*(one(k) for k in range(clients)))
        wall = time.perf_counter() - started
    total = sum(statuses.values())
    return {
        "clients": clients,
        "seconds": round(wall, 1),
        "requests": total,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "share_429": round(statuses.get(429, 0) / total, 3) if total else None,
        "count_5xx": sum(v for k, v in statuses.items() if k >= 500),
        "429_without_retry_after": missing_retry_after,
        "accepted_per_s": round(len(accepted) / wall, 1),
        "accepted_latency": percentiles(accepted),
    }


HEAVY = {
    "texts": [(TEXTS[k % len(TEXTS)] + " ") * 11 for k in range(64)],  # 64 texts of about 600 characters
    "explain": True,
}


async def heavy_burst(base: str, clients: int = 64, within_s: float = 30.0) -> dict[str, object]:
    """``clients`` heavy requests at once: each answered 200 or 429, and when."""
    answers: list[tuple[int, float, bool]] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
        started = time.perf_counter()

        async def one() -> None:
            response = await client.post("/v1/analyze", json=HEAVY)
            answers.append((response.status_code, time.perf_counter() - started, "retry-after" in response.headers))

        await asyncio.gather(*(one() for _ in range(clients)))
    statuses: dict[str, int] = {}
    for status, _, _ in answers:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    slowest = max(t for _, t, _ in answers)
    return {
        "clients": clients,
        "request": "64 texts of ~600 characters, explain",
        "statuses": statuses,
        "all_200_or_429": all(s in (200, 429) for s, _, _ in answers),
        "429_with_retry_after": all(r for s, _, r in answers if s == 429),
        "slowest_answer_s": round(slowest, 2),
        f"all_within_{within_s:g}_s": slowest <= within_s,
        "slowest_200_s": round(max((t for s, t, _ in answers if s == 200), default=0.0), 2),
        "slowest_429_s": round(max((t for s, t, _ in answers if s == 429), default=0.0), 2),
    }


async def abandoned(base: str) -> dict[str, object]:
    """Four heavy requests abandoned after 0.2 s, then one word: how long the word waits."""
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        gone = [asyncio.ensure_future(client.post("/v1/analyze", json=HEAVY)) for _ in range(4)]
        await asyncio.sleep(0.2)
        for task in gone:
            task.cancel()  # the client closes its connection
        await asyncio.gather(*gone, return_exceptions=True)
        started = time.perf_counter()
        response = await client.post("/v1/analyze", json={"text": "ok"})
        return {"after_4_abandoned_heavy_requests_s": round(time.perf_counter() - started, 2), "status": response.status_code}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrent", type=int, default=2, help="the server's max_concurrent")
    parser.add_argument("--queue", type=int, default=2, help="the server's max_queue")
    parser.add_argument("--requests", type=int, default=500, help="single-text requests for the latency comparison")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    from affectlens.benchmark import cpu_info

    capacity = args.concurrent + args.queue
    result: dict[str, object] = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": {"cpu": cpu_info(), "cores": os.cpu_count(), "python": platform.python_version()},
        "server": {"max_concurrent": args.concurrent, "max_queue": args.queue, "capacity": capacity, "workers": 1},
        "in_process_single_text": in_process(args.requests),
    }
    with tempfile.TemporaryDirectory(prefix="service-load-") as tmp:
        server, base = start_server(Path(tmp), args.concurrent, args.queue)
        try:
            result["http_single_text"] = sequential(base, args.requests)
            result["in_process_single_text_after"] = in_process(args.requests)  # the machine may drift: measure again
            result["at_twice_capacity"] = asyncio.run(load(base, 2 * capacity, args.seconds))
        finally:
            server.terminate()
            server.wait(30)
        server, base = start_server(Path(tmp) / "defaults", 2, 16)
        try:
            result["heavy_burst"] = asyncio.run(heavy_burst(base))
            result["one_word_after_abandoned"] = asyncio.run(abandoned(base))
        finally:
            server.terminate()
            server.wait(30)
    before = result["in_process_single_text"]["p50_ms"]  # type: ignore[index]
    after = result["in_process_single_text_after"]["p50_ms"]  # type: ignore[index]
    http = result["http_single_text"]["p50_ms"]  # type: ignore[index]
    result["http_minus_in_process_p50_ms"] = round(http - statistics.mean([before, after]), 2)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
