"""Prometheus metrics of one app (its own registry, so several apps in a process do not mix)."""

from __future__ import annotations

from typing import Any

__all__ = ["Metrics"]

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


class Metrics:
    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry()
        self.requests = Counter(
            "affectlens_requests", "HTTP requests answered", ["route", "method", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "affectlens_request_seconds",
            "Time to answer a request",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.texts = Counter("affectlens_texts_analysed", "Texts analysed", ["endpoint", "backend"], registry=self.registry)
        self.queue_depth = Gauge("affectlens_queue_depth", "Requests waiting for an analysis slot", registry=self.registry)
        self.running = Gauge("affectlens_analyses_running", "Analyses running now", registry=self.registry)
        self.rejections = Counter("affectlens_rejections", "Requests refused, by reason", ["reason"], registry=self.registry)
        self.jobs = Gauge("affectlens_jobs", "Jobs in the store, by state", ["state"], registry=self.registry)

    def render(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)

    def set_jobs(self, counts: dict[str, Any]) -> None:
        for state in ("queued", "running", "succeeded", "failed", "cancelled"):
            self.jobs.labels(state).set(counts.get(state, 0))
