"""The HTTP service: ``create_app(config)`` builds a FastAPI app that owns its analyzers.

The analyzers named in the config are loaded once, in a thread started at start-up: the app
answers ``/healthz`` at once and ``/readyz`` (and the analyses) when they are loaded. Nothing
is built per request, so memory does not grow with the settings clients send. Analyses run
in worker threads behind :class:`~affectlens.service.limits.Admission`; jobs are the one run
(:mod:`affectlens.runs`) in a child process (:mod:`affectlens.service.jobs`).

**Safe to share.** Every answer carries a content security policy, ``X-Frame-Options: DENY``,
``nosniff`` and ``Referrer-Policy: no-referrer``; only the configured Host names are answered
(DNS rebinding); a state-changing request from another site's page (its ``Origin`` or
``Sec-Fetch-Site`` says so) is refused with 403; jobs belong to the key (keyless: the client)
that made them; no answer shows an absolute server path.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from affectlens.analyzers.base import AnalyzeOptions, Analyzer
from affectlens.conversation.schema import ConversationAnalysis
from affectlens.errors import AffectlensError, ConfigError, InputError, MissingDependencyError
from affectlens.io.text import check_text
from affectlens.media.images import ImageError, MediaError
from affectlens.schema import MediaAnalysis
from affectlens.service.config import CONFIG_ENV, ServiceConfig, hash_key
from affectlens.service.errors import (
    Forbidden,
    NotReady,
    Overloaded,
    PayloadTooLarge,
    RateLimited,
    Unauthorized,
    WrongState,
    error_body,
    status_of,
)
from affectlens.service.jobs import Job, JobRunner, JobSpec, JobStore, Viewer, redact_paths
from affectlens.service.limits import Admission, ClientGone, RateLimiter
from affectlens.service.links import LINK_SECONDS, LinkSigner
from affectlens.service.metrics import Metrics
from affectlens.service.models import (
    AnalyzeRequest,
    AnalyzeResponse,
    BackendInfo,
    ConversationRequest,
    ErrorBody,
    ImageRequest,
    JobLinks,
    JobList,
    ResultFormat,
    TaxonomyInfo,
)

try:
    from fastapi import APIRouter, Depends, FastAPI, File, Form, Query, Request, UploadFile
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
    from fastapi.staticfiles import StaticFiles
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException as StarletteHTTPException
except ImportError as exc:  # pragma: no cover - the extra is missing
    raise MissingDependencyError("fastapi", "serve", "affectlens serve") from exc

__all__ = ["app_from_env", "create_app"]

log = logging.getLogger("affectlens.service")
STATIC = Path(__file__).parent / "static"
INPUT_SUFFIXES = (".csv", ".jsonl", ".parquet", ".txt")
ERROR_CODES = {
    400: "the body cannot be parsed",
    401: "no valid API key",
    403: "the path is not under an allowed root, or a request from another site's page",
    404: "no such job",
    409: "the job is not in a state that allows this",
    413: "the body is larger than the limit",
    422: "the input or an option is not valid",
    429: "over capacity or over the rate limit: retry after Retry-After seconds",
    503: "the models are not loaded yet, or a backend failed",
    507: "the server could not store the job",
}


def _responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorBody, "description": ERROR_CODES[code]} for code in codes}


ERRORS = _responses(400, 401, 413, 422, 429, 503)
_SHORTER = "send shorter texts, or split a long one"
# cost of a request, in characters of work: each text's characters plus a fixed cost per text
# (a 75-character text took as long as 125 characters of a long one). Plain analyses, analyses
# with evidence (3.0-5.6 times as long, texts of 75-2,400 characters) and conversations each
# have their own pace; a kind not measured yet borrows the plain pace times its factor.
_PER_TEXT = 50
_FACTORS = {"explain": 5.6, "conversation": 3.0}
_CHUNK = 16  # texts analysed between checks that the client is still there
_IMAGE_COST = 8  # an image costs about as much as this many short texts (admission's first estimate)
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src blob:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)
# reports inline plotly.js: their scripts run sandboxed, in an origin of their own, reaching nothing
_REPORT_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; font-src data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'; sandbox allow-scripts allow-downloads"
)


class Service:
    """What one app owns: its config, analyzers, limits, metrics and jobs."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        self.metrics = Metrics()
        self.admission = Admission(
            config.limits.max_concurrent,
            config.limits.max_queue,
            max_wait_s=config.limits.max_wait_s,
            fallback_factors=_FACTORS,
            on_reject=lambda: self.metrics.rejections.labels("overloaded").inc(),
        )
        self.rate = RateLimiter(config.limits.rate_per_minute)
        self.analyzers: dict[str, Analyzer] = {}
        self.conversation: Any = None
        self.images: Any = None  # the face model (/v1/analyze/image), when affectlens[faces] is installed
        self.images_error: AffectlensError | None = None
        self.media: Any = None  # recordings and videos (/v1/analyze/media), when affectlens[audio] is installed
        self.media_error: AffectlensError | None = None
        self.ready = threading.Event()
        self.load_error: AffectlensError | None = None
        self.store = JobStore(config.state_dir)
        self.links = LinkSigner(config.state_dir)
        self.runner = JobRunner(
            self.store,
            self.job_spec,
            on_change=self.count_jobs,
            stale_after_s=config.job_stale_after_s,
            retention_s=config.job_retention_hours * 3600 if config.job_retention_hours else None,
        )

    def load(self) -> None:
        """Build every configured analyzer (once, at start-up)."""
        from affectlens.api import get_analyzer

        try:
            threads = {"threads": self.config.threads}
            for name, settings in self.config.backends.items():
                extra = threads if name == "embedded" else {}
                # built once, at start-up; the conversation model below shares this embedded one
                self.analyzers[name] = get_analyzer(name, config=False, **{**extra, **settings})
            if self.config.conversations:
                from affectlens.conversation.analyzer import ConversationAnalyzer

                self.conversation = ConversationAnalyzer(**threads)
            if self.config.images:
                self._load_images()
            if self.config.media:
                self._load_media()
            for analyzer in self.analyzers.values():  # the first analysis pays for lazy set-up, not a client
                analyzer.analyze_batch(["warming up"])
            self._calibrate()
        except AffectlensError as exc:
            self.load_error = exc
            log.error("affectlens service: cannot load the models: %s", exc)
            return
        except Exception as exc:  # an unexpected failure must still show on /readyz
            self.load_error = AffectlensError(f"loading the models failed: {type(exc).__name__}: {exc}")
            log.exception("affectlens service: cannot load the models")
            return
        self.ready.set()

    def _load_images(self) -> None:
        """The face model; without affectlens[faces] the rest of the service still runs and
        /v1/analyze/image answers why it cannot."""
        from affectlens.errors import MissingDependencyError

        try:
            from affectlens.media.analyzer import ImageAnalyzer

            self.images = ImageAnalyzer(threads=self.config.threads, max_pixels=self.config.limits.max_image_pixels)
        except MissingDependencyError as exc:
            self.images_error = exc
            log.warning("affectlens service: no images: %s", exc)

    def _load_media(self) -> None:
        """Speech recognition (sharing the embedded text model) and, with the face model, video."""
        from affectlens.errors import MissingDependencyError

        try:
            from affectlens.media.audio import AudioAnalyzer

            text = self.analyzers.get("embedded")
            audio = AudioAnalyzer(threads=self.config.threads, text=text, max_seconds=self.config.limits.max_media_seconds)
        except MissingDependencyError as exc:
            self.media_error = exc
            log.warning("affectlens service: no recordings: %s", exc)
            return
        from affectlens.media.video import VideoAnalyzer

        video = VideoAnalyzer(self.images, audio, max_seconds=self.config.limits.max_media_seconds) if self.images else None
        self.media = (audio, video)

    def _calibrate(self) -> None:
        """Measure the paces of the first backend, plain and with evidence, so admission can
        estimate waits from the first request."""
        from affectlens.benchmark import benchmark_texts

        analyzer = next(iter(self.analyzers.values()))
        pool = benchmark_texts()
        # eight different texts (identical ones would be answered from one pass) of 100 to 800 characters
        texts = [" ".join(pool[k : k + 1 + 5 * (k % 2) + 2 * (k // 4)]) for k in range(8)]
        for kind, explain in (("plain", False), ("explain", True)):
            started = time.perf_counter()
            analyzer.analyze_batch(texts, explain=explain)
            self.admission.calibrate((time.perf_counter() - started) / cost_of(texts), kind)

    def job_spec(self, job_id: str, run_dir: Path) -> Any:
        """The run spec of job ``job_id`` (what its runner executes)."""
        return self.job_spec_of(self.store.get(job_id, None).spec, self.store.input_of(job_id), run_dir, job_id)

    def job_spec_of(self, spec: JobSpec, source: Path, run_dir: Path | None = None, job_id: str = "new") -> Any:
        """A job's run spec: its request, this server's backend settings and limits, and the
        folders the run may open (the upload's, or the allowed roots) — checked on every open."""
        from affectlens.corpus.run import corpus_spec

        if spec.backend not in self.config.backends:
            raise ConfigError(f"this server does not offer the backend {spec.backend!r}")
        folder = self.store.folder(job_id)
        run = corpus_spec(
            source,
            run_dir or folder / "run",
            input_format=spec.input_format,
            text_column=spec.text_column,
            id_column=spec.id_column,
            time_column=spec.time_column,
            group_columns=spec.group_columns,
            backend=spec.backend,
            backend_settings=self.config.backends[spec.backend],
            taxonomy=spec.taxonomy,
            explain=spec.explain,
            max_chars=self.config.limits.max_chars,
            max_pixels=self.config.limits.max_image_pixels,  # a job over a folder of images (an allowed root)
            chunk_rows=self.config.job_chunk_rows,
            command=f"service job {job_id}",
        )
        uploaded = source.is_relative_to(self.store.root / "jobs")
        roots = [str(source.parent)] if uploaded else [str(r) for r in self.config.allowed_roots]
        return run.model_copy(update={"input": run.input.model_copy(update={"roots": roots})})

    def analyzer(self, name: str) -> Analyzer:
        self.require_ready()
        if name not in self.analyzers:
            from affectlens.errors import UnknownNameError

            raise UnknownNameError("backend", name, self.analyzers)
        return self.analyzers[name]

    def media_llm(self, name: str) -> Any:
        """None for the offline models (``embedded``); for an ``openai`` backend, the multimodal
        reader over it (:mod:`affectlens.media.llm`); any other backend is refused."""
        if name == "embedded":
            return None
        from affectlens.analyzers.openai_backend import OpenAIAnalyzer
        from affectlens.media.llm import MediaLLM

        analyzer = self.analyzer(name)
        if not isinstance(analyzer, OpenAIAnalyzer):
            raise InputError(f"the backend {name!r} reads text, not media", hint="use embedded, or an openai backend")
        return MediaLLM(analyzer)

    def require_ready(self) -> None:
        if not self.ready.is_set():
            why = f": {self.load_error.message}" if self.load_error else ""
            raise NotReady(f"the models are not loaded{why}", hint="GET /readyz says when they are")

    def count_jobs(self) -> None:
        self.metrics.set_jobs(self.store.counts())


def create_app(config: ServiceConfig | None = None, *, start_jobs: bool = True) -> FastAPI:
    """The app for ``config`` (default: :class:`ServiceConfig` defaults). ``start_jobs=False``
    leaves the job runner off (a worker that should only answer requests)."""
    service = Service(config or ServiceConfig())

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loader = threading.Thread(target=service.load, name="affectlens-load", daemon=True)
        loader.start()
        if start_jobs:
            service.runner.start()
        service.count_jobs()
        try:
            yield
        finally:
            service.runner.stop()

    app = FastAPI(
        title="affectlens",
        summary="Which emotions a text carries, how strongly, where it says so, and how sure it is.",
        version=_version(),
        lifespan=lifespan,
        docs_url=None,  # /docs is our own page (below): FastAPI's Swagger UI loads from a CDN
        redoc_url=None,
        responses={500: {"model": ErrorBody, "description": "a bug (reported, never for bad input)"}},
    )
    app.state.service = service
    _errors(app, service)
    _middleware(app, service)
    app.include_router(_api(service), prefix="/v1", responses=ERRORS)
    app.include_router(_probes(service))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    async def page() -> HTMLResponse:
        return HTMLResponse((STATIC / "index.html").read_text(encoding="utf-8"))

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse((STATIC / "docs.html").read_text(encoding="utf-8"))

    return app


def app_from_env() -> FastAPI:
    """The app of ``affectlens serve`` (uvicorn builds one per worker process): the config the
    command resolved, passed in the environment. Each worker runs a job runner; the store hands
    each job to one of them."""
    raw = os.environ.get(CONFIG_ENV)
    return create_app(ServiceConfig.model_validate_json(raw) if raw else ServiceConfig())


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("affectlens")
    except PackageNotFoundError:  # pragma: no cover - a source tree without install
        return "0"


def cost_of(texts: list[str]) -> float:
    """The work of analysing ``texts``, in characters (see :mod:`affectlens.service.limits`)."""
    return float(sum(len(t) + _PER_TEXT for t in texts))


def _errors(app: FastAPI, service: Service) -> None:
    def answer(status: int, kind: str, message: str, hint: str | None, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse(
            error_body(kind, redact_paths(message) or "", redact_paths(hint)), status_code=status, headers=headers
        )

    @app.exception_handler(AffectlensError)
    async def affectlens_error(request: Request, exc: AffectlensError) -> JSONResponse:
        status, kind = status_of(exc)
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Overloaded | RateLimited) else None
        if isinstance(exc, RateLimited):
            service.metrics.rejections.labels("rate_limited").inc()
        if status >= 500 and not isinstance(exc, NotReady):
            log.warning("%s %s: %s", request.method, request.url.path, exc)
        return answer(status, kind, exc.message, exc.hint, headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for e in exc.errors()[:10]:
            where = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
            problems.append(f"{where}: {e.get('msg', 'invalid')}")
        service.metrics.rejections.labels("invalid").inc()
        return answer(422, "invalid_request", "; ".join(problems), "see /docs for the request's schema")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kinds = {400: "invalid_request", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
        kind = kinds.get(exc.status_code, "http_error")
        hint = "see /docs for the endpoints" if exc.status_code in (404, 405) else None
        message = str(exc.detail) if exc.detail else kind
        return answer(exc.status_code, kind, f"{request.method} {request.url.path[:200]}: {message}", hint, exc.headers)

    @app.exception_handler(ClientGone)
    async def client_gone(request: Request, exc: ClientGone) -> Response:
        service.metrics.rejections.labels("client_gone").inc()
        return Response(status_code=499)  # nobody reads it: the client has gone

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return answer(500, "internal_error", f"{type(exc).__name__}: {exc}", "this is a bug in affectlens; please report it")


def _middleware(app: FastAPI, service: Service) -> None:
    """From the outside in: allowed Hosts, security headers and the cross-site refusal, body
    limits and timeouts (413 / 408 before the endpoint has the body), metrics, CORS when configured."""
    limits = service.config.limits
    hosts = {h.strip("[]").lower() for h in service.config.hosts()}

    class BodyLimit(_HTTPMiddleware):
        async def http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
            limit = _body_limit(scope["path"].rstrip("/"), limits)
            started = time.perf_counter()
            state: dict[str, Any] = {"status": 500, "refusal": None, "answered": False, "seen": 0}

            async def sending(message: dict[str, Any]) -> None:
                if state["refusal"]:  # the body ran over or stalled while the app read it: that is the answer
                    if not state["answered"]:
                        state["answered"] = True
                        state["status"] = await _refuse_body(send, state["refusal"], limit, service)
                    return
                if message["type"] == "http.response.start":
                    state["status"] = message["status"]
                await send(message)

            async def counting() -> dict[str, Any]:
                if state["refusal"]:
                    return {"type": "http.disconnect"}
                try:
                    message = await asyncio.wait_for(receive(), timeout=limits.body_timeout_s)
                except asyncio.TimeoutError:
                    if scope["method"] in _SAFE_METHODS or state.get("body_done"):
                        return await receive()  # not reading a body: waiting for the client to go is fine
                    state["refusal"] = "stalled"
                    return {"type": "http.disconnect"}
                if message["type"] == "http.request":
                    state["seen"] += len(message.get("body", b""))
                    state["body_done"] = not message.get("more_body", False)
                    if state["seen"] > limit:
                        state["refusal"] = "too_large"
                        return {"type": "http.disconnect"}  # the app stops reading; `sending` answers
                return message

            declared = dict(scope.get("headers") or []).get(b"content-length")
            try:
                if declared is not None and declared.isdigit() and int(declared) > limit:
                    state["status"] = await _refuse_body(send, "too_large", limit, service)
                    return
                try:
                    await self.inner(scope, counting, sending)
                except ClientGone:
                    state["status"] = 499
                if state["refusal"] and not state["answered"]:
                    state["status"] = await _refuse_body(send, state["refusal"], limit, service)
            finally:
                service.metrics.observe(_route_label(scope), scope["method"], state["status"], time.perf_counter() - started)

    class Guard(_HTTPMiddleware):
        """Security headers on every answer; state-changing requests from another site's page refused."""

        async def http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
            report = scope["path"].endswith("/report")

            async def sending(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    ours = [(b"content-security-policy", (_REPORT_CSP if report else _PAGE_CSP).encode()), *_SECURITY_HEADERS]
                    names = {name for name, _ in ours}  # ours replace whatever the route set: never doubled
                    headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names] + ours
                    message = {**message, "headers": headers}
                await send(message)

            host = _host_of(scope)
            if host not in hosts:
                service.metrics.rejections.labels("bad_host").inc()
                error = error_body(
                    "bad_host", f"this server does not answer for the host {host[:100]!r}", "add it to allowed_hosts"
                )
                await _send_json(sending, 400, error)
                return
            why = _cross_site(scope, service.config.cors_origins)
            if why is not None:
                service.metrics.rejections.labels("cross_site").inc()
                hint = "call the API from a script or tool, or from this server's own page"
                await _send_json(sending, 403, error_body("cross_site", why, hint))
                return
            await self.inner(scope, receive, sending)

    app.add_middleware(BodyLimit)  # type: ignore[arg-type]
    if service.config.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=service.config.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"],
        )
    app.add_middleware(Guard)  # type: ignore[arg-type]


class _HTTPMiddleware:
    """A pure ASGI middleware for HTTP requests (``http``); anything else (lifespan) passes through."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await self.http(scope, receive, send)
        else:
            await self.inner(scope, receive, send)

    async def http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        raise NotImplementedError


_SECURITY_HEADERS = [  # on every answer, with the content security policy for the page or a report
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def _cross_site(scope: dict[str, Any], cors_origins: list[str]) -> str | None:
    """Why a state-changing request comes from another site's page (its browser says so), or None.

    A form or script on another site cannot hide where it comes from: browsers send ``Origin``
    on cross-origin POSTs and ``Sec-Fetch-Site``; tools (curl, Python) send neither."""
    if scope["method"] in _SAFE_METHODS:
        return None
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or []}
    origin = headers.get("origin", "")
    host = headers.get("host", "")
    if origin and origin != "null":
        if origin in cors_origins:
            return None
        from urllib.parse import urlsplit

        if urlsplit(origin).netloc.lower() == host.lower():
            return None
        return f"a request from another site's page ({origin[:100]}) may not change anything here"
    if origin == "null" or headers.get("sec-fetch-site") in ("cross-site", "same-site"):
        return "a request from another site's page may not change anything here"
    return None


def _body_limit(path: str, limits: Any) -> int:
    """Bytes a request body may have: a job's file, an image (as base64 in JSON, a third larger,
    or a multipart file, with room for the form), or anything else."""
    if path == "/v1/jobs":
        return int(limits.max_upload_bytes)
    if path == "/v1/analyze/image":
        return int(limits.max_image_bytes * 4 // 3 + (64 << 10))
    if path == "/v1/analyze/media":
        return int(limits.max_media_bytes + (64 << 10))
    return int(limits.max_body_bytes)


def _host_of(scope: dict[str, Any]) -> str:
    """The Host header's name, without its port (DNS rebinding sends the attacker's name here)."""
    raw = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1").strip().lower()
    if raw.startswith("["):  # [::1]:8000
        return raw[1 : raw.find("]")] if "]" in raw else raw
    return raw.rsplit(":", 1)[0] if raw.count(":") == 1 else raw


async def _send_json(send: Any, status: int, body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status, "headers": _json_headers(raw)})
    await send({"type": "http.response.body", "body": raw})


def _json_headers(body: bytes) -> list[tuple[bytes, bytes]]:
    return [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), (b"connection", b"close")]


def _route_label(scope: dict[str, Any]) -> str:
    """The route a request matched, its parameters named (``/v1/jobs/{job_id}``): a bounded label set."""
    if scope.get("route") is None:
        return "/static" if scope["path"].startswith("/static/") else "unmatched"
    path = scope["path"]
    for name, value in (scope.get("path_params") or {}).items():
        path = path.replace(f"/{value}", f"/{{{name}}}", 1)
    return path


async def _refuse_body(send: Any, why: str, limit: int, service: Service) -> int:
    """Answer 413 (a body over the limit) or 408 (a body that stalled); returns the status."""
    service.metrics.rejections.labels("too_large" if why == "too_large" else "slow_client").inc()
    if why == "too_large":
        status, body = (
            413,
            error_body("payload_too_large", f"the request body is over the limit of {limit:,} bytes", "send less per request"),
        )
    else:
        limits = service.config.limits
        status, body = (
            408,
            error_body(
                "request_timeout", f"the request body stalled for {limits.body_timeout_s:g} s", "send the body without pauses"
            ),
        )
    await _send_json(send, status, body)
    return status


async def _gone(request: Request) -> None:
    """Completes when the client hangs up (after the request body was read)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


def _api(service: Service) -> APIRouter:
    config, limits = service.config, service.config.limits

    def authorize(request: Request) -> None:
        key = request.headers.get("x-api-key")
        bearer = request.headers.get("authorization", "")
        if bearer.lower().startswith("bearer "):
            key = bearer[7:].strip()
        token = request.query_params.get("token")
        if key is None and token is not None and request.method == "GET":
            request.state.viewer = service.links.check(token, request.url.path)  # a signed download link
            return
        if not config.accepts(key):
            service.metrics.rejections.labels("unauthorized").inc()
            raise Unauthorized(
                "a valid API key is needed" if key else "this service needs an API key",
                hint="send it as 'Authorization: Bearer KEY' or 'X-API-Key: KEY'",
            )
        client = request.client.host if request.client else "unknown"
        service.rate.check(f"key:{key}" if key else f"ip:{client}")
        if config.api_keys:
            request.state.viewer = Viewer(f"key:{hash_key(key or '')[7:31]}", admin=config.is_admin(key))
        else:
            request.state.viewer = Viewer(f"client:{client}")

    router = APIRouter(dependencies=[Depends(authorize)])

    @router.post("/analyze", response_model=AnalyzeResponse, summary="Analyse one text or a list")
    async def analyze(body: AnalyzeRequest, request: Request) -> Response:
        texts = body.all_texts
        if len(texts) > limits.max_texts:
            raise InputError(
                f"{len(texts)} texts in one request, more than the limit of {limits.max_texts}",
                hint="send them in several requests, or as a file to POST /v1/jobs",
            )
        for n, text in enumerate(texts):  # refused before the request takes a slot
            check_text(text, max_chars=limits.max_chars, where=f"text {n}", hint=_SHORTER)
        analyzer = service.analyzer(body.backend)
        options = AnalyzeOptions.build(
            None,
            {
                "taxonomy": body.taxonomy,
                "explain": body.explain,
                "min_confidence": body.min_confidence,
                "vad_coverage": body.vad_coverage,
                "max_chars": limits.max_chars,
            },
        )
        from affectlens.taxonomy import load_taxonomy

        load_taxonomy(options.taxonomy)  # an unknown name is a 422 before the request takes a slot
        ids = body.ids or [None] * len(texts)
        analyses: list[Any] = []
        kind = "explain" if body.explain else "plain"
        async with service.admission.slot(cost_of(texts), lambda: _gone(request), kind=kind):
            _gauges(service)
            for start in range(0, len(texts), _CHUNK):
                if start and await request.is_disconnected():
                    raise ClientGone()
                chunk = slice(start, start + _CHUNK)
                analyses += await run_in_threadpool(analyzer.analyze_batch, texts[chunk], ids=ids[chunk], options=options)
        _gauges(service)
        service.metrics.texts.labels("analyze", body.backend).inc(len(texts))
        return Response(AnalyzeResponse(analyses=analyses).model_dump_json(), media_type="application/json")

    @router.post(
        "/analyze/image",
        response_model=MediaAnalysis,
        summary="Faces and their expressions in one image",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": ImageRequest.model_json_schema()},
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["image"],
                            "properties": {
                                "image": {"type": "string", "format": "binary"},
                                **{k: v for k, v in ImageRequest.model_json_schema()["properties"].items() if k != "image"},
                            },
                        }
                    },
                },
            }
        },
    )
    async def analyze_image(request: Request) -> Response:
        """JPEG, PNG, WebP, BMP or GIF (first frame), as a multipart ``image`` file or base64 in JSON.
        Over ``max_image_bytes``: 413; over ``max_image_pixels`` (read from the header, before
        decoding), not an image, or damaged: 422."""
        service.require_ready()
        if service.images is None:
            raise _unavailable("images", service.images_error, "images = true")
        body, data = await _image_request(request, limits.max_image_bytes)
        options = AnalyzeOptions.build(
            None, {"taxonomy": body.taxonomy, "explain": body.explain, "min_confidence": body.min_confidence}
        )
        from affectlens.taxonomy import load_taxonomy

        load_taxonomy(options.taxonomy)
        name = body.name or "image"
        kind = "image_explain" if body.explain else "image"
        llm = service.media_llm(body.backend)
        async with service.admission.slot(cost_of([""] * _IMAGE_COST), lambda: _gone(request), kind=kind):
            _gauges(service)
            try:
                media = await run_in_threadpool(service.images.analyze_image, data, name=name, options=options, faces=body.faces)
                if llm is not None:
                    media = await run_in_threadpool(llm.analyze, data, media, options)
            except ImageError as exc:
                raise ImageError(f"the image {exc.message}", hint=exc.hint) from None
        _gauges(service)
        service.metrics.texts.labels("analyze_image", "faces").inc()
        return Response(media.model_dump_json(), media_type="application/json")

    @router.post(
        "/analyze/media", response_model=MediaAnalysis, summary="Voices, faces and their conflicts in a recording or video"
    )
    async def analyze_media(
        request: Request,
        file: Annotated[UploadFile, File(description="WAV, FLAC, MP3, OGG, M4A; MP4, MOV, MKV, WebM, AVI")],
        taxonomy: Annotated[str, Form()] = "ekman",
        explain: Annotated[bool, Form()] = False,
        min_confidence: Annotated[float, Form(ge=0.0, le=1.0)] = 0.0,
        backend: Annotated[str, Form(description="embedded, or an openai backend of GET /v1/backends")] = "embedded",
    ) -> Response:
        """A multipart ``file``; over ``max_media_bytes``: 413; longer than ``max_media_seconds``
        (read from the file before decoding), not a recording or video, or damaged: 422."""
        from affectlens.io.readers import AUDIO_SUFFIXES, VIDEO_SUFFIXES

        service.require_ready()
        if service.media is None:
            raise _unavailable("recordings", service.media_error, "media = true")
        audio, video = service.media
        name = Path(file.filename or "recording").name[:200]
        suffix = Path(name).suffix.lower()
        if suffix not in AUDIO_SUFFIXES | VIDEO_SUFFIXES:
            raise InputError(
                f"{name!r} is not named as a recording or video",
                hint=f"send one of {', '.join(sorted(AUDIO_SUFFIXES | VIDEO_SUFFIXES))}",
            )
        if suffix in VIDEO_SUFFIXES and video is None:
            raise _unavailable("videos (it reads no faces)", service.images_error, "images = true")
        options = AnalyzeOptions.build(None, {"taxonomy": taxonomy, "explain": explain, "min_confidence": min_confidence})
        from affectlens.taxonomy import load_taxonomy

        load_taxonomy(options.taxonomy)
        llm = service.media_llm(backend)
        folder = service.config.state_dir / "media-uploads"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{os.urandom(12).hex()}{suffix}"
        try:
            written = 0
            with open(target, "wb") as out:
                while chunk := await file.read(1 << 20):
                    written += len(chunk)
                    if written > limits.max_media_bytes:
                        raise PayloadTooLarge(
                            f"the file is over the limit of {limits.max_media_bytes / 2**20:.0f} MiB",
                            hint="send a shorter recording",
                        )
                    out.write(chunk)
            analyze = video.analyze_video if suffix in VIDEO_SUFFIXES else audio.analyze_audio
            async with service.admission.slot(cost_of([""] * _IMAGE_COST * 8), lambda: _gone(request), kind="media"):
                _gauges(service)
                try:
                    media = await run_in_threadpool(analyze, target, name=name, options=options)
                    if llm is not None:
                        media = await run_in_threadpool(llm.analyze, target, media, options)
                except MediaError as exc:
                    raise MediaError(f"the file {exc.message}", hint=exc.hint) from None
        finally:
            target.unlink(missing_ok=True)
        _gauges(service)
        service.metrics.texts.labels("analyze_media", "media").inc()
        return Response(media.model_dump_json(), media_type="application/json")

    @router.post("/conversations", response_model=ConversationAnalysis, summary="Analyse a conversation")
    async def conversations(body: ConversationRequest, request: Request) -> Response:
        from affectlens.conversation.analyzer import Conversation

        service.require_ready()
        if service.conversation is None:
            raise ConfigError("this service was started without the conversation model", hint="set conversations = true")
        if len(body.turns) > limits.max_turns:
            raise InputError(f"{len(body.turns)} turns, more than the limit of {limits.max_turns}")
        index: dict[str, int] = {}
        parents: list[int | None] = []
        for n, turn in enumerate(body.turns):
            check_text(turn.text, max_chars=limits.max_chars, where=f"turn {n}", hint=_SHORTER)
            if turn.parent is not None and turn.parent not in index:
                raise InputError(f"turn {n} answers {turn.parent[:100]!r}, which is not the id of an earlier turn")
            parents.append(index[turn.parent] if turn.parent is not None else (n - 1 if n else None))
            if turn.id is not None:
                index.setdefault(turn.id, n)
        conversation = Conversation(
            body.id,
            speakers=[t.speaker for t in body.turns],
            texts=[t.text for t in body.turns],
            timestamps=[t.timestamp for t in body.turns],
            parents=parents,
            ids=[t.id for t in body.turns],
        )
        cost = cost_of([t.text for t in body.turns])
        async with service.admission.slot(cost, lambda: _gone(request), kind="conversation"):
            _gauges(service)
            result = await run_in_threadpool(service.conversation.analyze, conversation)
        _gauges(service)
        service.metrics.texts.labels("conversations", "context").inc(len(body.turns))
        return Response(result.model_dump_json(), media_type="application/json")

    @router.post(
        "/jobs",
        response_model=Job,
        status_code=202,
        summary="Analyse a file as a job (the one run, in a child process)",
        responses=_responses(403, 507),
    )
    async def submit(
        viewer: ViewerOf,
        file: Annotated[UploadFile | None, File(description="a CSV, JSONL, Parquet or text file")] = None,
        path: Annotated[str | None, Form(description="or: a file on the server, under an allowed root")] = None,
        input_format: Annotated[str | None, Form(description="csv, jsonl, parquet or txt when the suffix does not say")] = None,
        text_column: Annotated[str | None, Form()] = None,
        id_column: Annotated[str | None, Form()] = None,
        time_column: Annotated[str | None, Form(description="needed for the report (emotions over time)")] = None,
        group_column: Annotated[list[str] | None, Form(description="columns to group by in the report")] = None,
        taxonomy: Annotated[str, Form()] = "goemotions",
        explain: Annotated[bool, Form()] = False,
        backend: Annotated[str, Form(description="one of GET /v1/backends")] = "embedded",
    ) -> JSONResponse:
        from affectlens.taxonomy import load_taxonomy

        if (file is None) == (path is None or path == ""):
            raise InputError("give either `file` (an upload) or `path` (a file on the server), not both and not neither")
        load_taxonomy(taxonomy)
        if backend not in config.backends:
            from affectlens.errors import UnknownNameError

            raise UnknownNameError("backend", backend, config.backends)
        if service.store.counts().get("queued", 0) >= limits.max_jobs_queued:
            service.metrics.rejections.labels("jobs_full").inc()
            raise Overloaded(f"{limits.max_jobs_queued} jobs are waiting already", retry_after=60)
        job_id = service.store.new_id()
        if file is not None:
            source, name = await _save_upload(file, service.store.folder(job_id) / "input", input_format)
        else:
            assert path is not None
            source, name = _allowed(path, config.allowed_roots), Path(path).name
        spec = JobSpec(
            name=name,
            input_format=input_format or None,
            text_column=text_column or None,
            id_column=id_column or None,
            time_column=time_column or None,
            group_columns=[g for g in group_column or [] if g],
            taxonomy=taxonomy,
            explain=explain,
            backend=backend,
        )
        try:
            await run_in_threadpool(_check_job, service, spec, source)
        except BaseException:  # a refused file leaves nothing behind
            shutil.rmtree(service.store.folder(job_id), ignore_errors=True)
            raise
        job = service.store.create(job_id, spec, source, viewer)
        service.runner.wake()
        service.count_jobs()
        return JSONResponse(job.model_dump(mode="json"), status_code=202, headers={"Location": f"/v1/jobs/{job_id}"})

    @router.get("/jobs", response_model=JobList, summary="Your latest jobs (an admin key: everyone's)")
    async def jobs(viewer: ViewerOf, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> JobList:
        return JobList(jobs=await run_in_threadpool(service.store.list, viewer, limit))

    @router.get(
        "/jobs/{job_id}", response_model=Job, summary="A job's state, progress, counts and bad rows", responses=_responses(404)
    )
    async def job(job_id: str, viewer: ViewerOf) -> Job:
        return await run_in_threadpool(service.store.get, job_id, viewer)

    @router.get(
        "/jobs/{job_id}/result",
        summary="A finished job's rows, in input order",
        responses={
            200: {"content": {"application/x-ndjson": {}, "application/vnd.apache.parquet": {}}},
            **_responses(404, 409),
        },
    )
    async def result(job_id: str, viewer: ViewerOf, format: ResultFormat = "jsonl") -> FileResponse:
        target = await run_in_threadpool(service.store.result, job_id, viewer, format)
        media = "application/x-ndjson" if format == "jsonl" else "application/vnd.apache.parquet"
        return FileResponse(target, media_type=media, filename=f"{job_id}.{format}")

    @router.get(
        "/jobs/{job_id}/report",
        summary="The corpus report of a finished job (needs its time column)",
        responses={200: {"content": {"text/html": {}}}, **_responses(404, 409)},
    )
    async def report(job_id: str, viewer: ViewerOf) -> FileResponse:
        target = await run_in_threadpool(service.store.report, job_id, viewer)
        return FileResponse(target, media_type="text/html")

    @router.delete(
        "/jobs/{job_id}",
        response_model=Job,
        summary="Cancel a queued or running job; delete a finished one (204) with its files",
        responses={204: {"description": "the finished job and its files are gone"}, **_responses(404, 409)},
    )
    async def cancel(job_id: str, viewer: ViewerOf) -> Response:
        current = await run_in_threadpool(service.store.get, job_id, viewer)
        if current.state in ("succeeded", "failed", "cancelled"):
            await run_in_threadpool(service.store.delete, job_id, viewer)
            service.count_jobs()
            return Response(status_code=204)
        job = await run_in_threadpool(service.store.cancel, job_id, viewer)
        service.count_jobs()
        return Response(job.model_dump_json(), media_type="application/json")

    @router.post(
        "/jobs/{job_id}/links",
        response_model=JobLinks,
        summary="Links to a finished job's result and report that work without a key for a few minutes",
        responses=_responses(404, 409),
    )
    async def links(job_id: str, viewer: ViewerOf) -> JobLinks:
        job = await run_in_threadpool(service.store.get, job_id, viewer)
        if job.state != "succeeded":
            raise WrongState(f"job {job_id} is {job.state}: it has a result once it has succeeded")
        base = f"/v1/jobs/{job_id}"
        return JobLinks(
            result_jsonl=service.links.sign(f"{base}/result", viewer) + "&format=jsonl",
            result_parquet=service.links.sign(f"{base}/result", viewer) + "&format=parquet",
            report=service.links.sign(f"{base}/report", viewer) if job.spec.time_column else None,
            expires_in=LINK_SECONDS,
        )

    @router.get("/taxonomies", response_model=list[TaxonomyInfo], summary="The label sets")
    async def taxonomies() -> list[TaxonomyInfo]:
        from affectlens.taxonomy import list_taxonomies

        return [TaxonomyInfo(id=t.id, title=t.title, labels=t.names, level=t.level) for t in list_taxonomies()]

    @router.get("/backends", response_model=list[BackendInfo], summary="The analyzers this service has loaded")
    async def backends() -> list[BackendInfo]:
        service.require_ready()
        return [
            BackendInfo(name=name, backend_id=a.backend_id, description=getattr(a, "description", ""))
            for name, a in service.analyzers.items()
        ]

    return router


def _unavailable(what: str, why: AffectlensError | None, setting: str) -> InputError:
    """A 422 for media this server was not set up to read (a missing extra or a setting): the
    request cannot be served here, which is no server failure."""
    if why is not None:
        return InputError(f"this service does not read {what}: {why.message}", hint=why.hint)
    return InputError(f"this service does not read {what}", hint=f"set {setting} in its config")


async def _image_request(request: Request, max_bytes: int) -> tuple[ImageRequest, bytes]:
    """The options and the image's bytes, from a multipart form or a JSON body."""
    import base64
    import binascii

    from pydantic import ValidationError

    too_large = PayloadTooLarge(
        f"the image is over the limit of {max_bytes / 2**20:.0f} MiB", hint="send a smaller image (resize or recompress it)"
    )
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if content_type == "multipart/form-data":
            form = await request.form(max_files=1, max_fields=10)
            upload = form.get("image")
            if upload is None or isinstance(upload, str):
                raise InputError("the form has no file field 'image'", hint="send the image as the multipart field 'image'")
            data = await upload.read(max_bytes + 1)
            fields = {k: v for k, v in form.items() if k != "image" and isinstance(v, str)}
            if "explain" in fields:
                fields["explain"] = fields["explain"].strip().lower() in ("1", "true", "yes", "on")
            body = ImageRequest.model_validate({**fields, "image": "", "name": fields.get("name") or upload.filename})
        elif content_type == "application/json":
            body = ImageRequest.model_validate_json(await request.body())
            encoded = body.image.split(",", 1)[1] if body.image.startswith("data:") else body.image
            if len(encoded) > max_bytes * 4 // 3 + 4:
                raise too_large
            try:
                data = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise InputError("`image` is not valid base64", hint="send the file's bytes base64-encoded") from None
        else:
            raise InputError(
                f"send the image as multipart/form-data or application/json, not {content_type or 'no content type'}",
                hint="curl -F image=@photo.jpg …/v1/analyze/image",
            )
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"]) or "body"
        raise InputError(f"{where}: {problem['msg']}", hint="see /docs for the request's schema") from None
    if len(data) > max_bytes:
        raise too_large
    return body, data


def _viewer(request: Request) -> Viewer:
    """Who asks (set by the router's authorization, which runs first)."""
    return request.state.viewer  # type: ignore[no-any-return]


ViewerOf = Annotated[Viewer, Depends(_viewer)]


def _check_job(service: Service, spec: JobSpec, source: Path) -> None:
    """What the run would refuse before it starts (columns, format), checked at submission."""
    from affectlens.runs import validate

    validate(service.job_spec_of(spec, source))


def _probes(service: Service) -> APIRouter:
    router = APIRouter(tags=["probes"])

    @router.get("/healthz", summary="Live: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Ready: the models are loaded", responses={503: {"model": ErrorBody}})
    async def readyz() -> dict[str, Any]:
        service.require_ready()
        return {"status": "ready", "backends": sorted(service.analyzers), "conversations": service.conversation is not None}

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        _gauges(service)
        body, media = service.metrics.render()
        return Response(body, media_type=media)

    return router


def _gauges(service: Service) -> None:
    service.metrics.queue_depth.set(service.admission.waiting)
    service.metrics.running.set(service.admission.running)


async def _save_upload(file: UploadFile, folder: Path, input_format: str | None) -> tuple[Path, str]:
    """The upload, copied into the job's folder under a safe name."""
    name = Path(file.filename or "upload").name or "upload"
    suffix = Path(name).suffix.lower()
    if suffix not in INPUT_SUFFIXES and not input_format:
        raise InputError(
            f"cannot tell the format of {name[:100]!r} from its suffix",
            hint=f"name it {', '.join(INPUT_SUFFIXES)}, or pass input_format",
        )
    safe = re.sub(r"[^\w.-]", "_", name)[-100:].lstrip(".") or "upload"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / safe
    with open(target, "wb") as out:
        while chunk := await file.read(1 << 20):
            out.write(chunk)
    return target, name[:200]


def _allowed(path: str, roots: list[Path]) -> Path:
    """``path`` if it names a file or a folder (of images, or of text files) under an allowed
    root (each file is checked again when the run opens it)."""
    if not roots:
        raise Forbidden("this service reads no files of its own", hint="upload the file, or configure allowed_roots")
    try:
        resolved = Path(os.path.realpath(path))
        if not any(resolved.is_relative_to(Path(os.path.realpath(root))) for root in roots):
            raise Forbidden(f"{Path(path).name[:100]!r} is not under an allowed root", hint="upload the file instead")
        if not (resolved.is_file() or resolved.is_dir()):
            raise InputError(f"{Path(path).name[:100]!r} is not a file or folder on the server")
    except (OSError, ValueError) as exc:  # a NUL in the path, a name too long, a loop of links
        raise InputError(f"{Path(path).name[:100]!r} is not a path the server can read") from exc
    return resolved
