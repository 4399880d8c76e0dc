"""What a service is allowed to do: a TOML file (``affectlens serve --config FILE``) read into
:class:`ServiceConfig`. Every field has a default that is safe on a laptop: loopback only, no
server-side paths, CORS off, limits sized for two cores. A server without API keys may only
listen on loopback (anyone who can reach it could use it), and answers only the Host names
it is meant for (``allowed_hosts``: loopback names and its own host), so a page elsewhere
cannot reach it through DNS rebinding.

.. code-block:: toml

    host = "0.0.0.0"                           # needs api_keys
    allowed_hosts = ["affect.example.org"]     # Host headers answered (besides loopback names)
    state_dir = "/var/lib/affectlens"          # jobs, uploads, their run folders (SQLite store)
    allowed_roots = ["/data/corpora"]          # jobs may name files under these
    api_keys = ["sha256:9f86d08…"]             # hashes only: `affectlens serve --hash-key`
    admin_keys = ["sha256:2c26b46…"]           # may see and delete every key's jobs
    job_retention_hours = 168                  # finished jobs (and their files) are deleted after
    cors_origins = []

    [limits]
    max_texts = 64            # texts per request (more: 422)
    max_chars = 20000         # characters per text (more: 422)
    max_body_bytes = 1048576  # a request body (more: 413)
    max_upload_bytes = 268435456
    max_concurrent = 2        # analyses at once; beyond that requests wait in a queue …
    max_queue = 16            # … of this length; beyond it: 429 with Retry-After
    max_wait_s = 20           # a request whose wait would pass this is refused (429) at once
    rate_per_minute = 0       # per API key (or client address); 0: no rate limit
    header_timeout_s = 10     # a client that has not sent its request line and headers by then is dropped
    body_timeout_s = 30       # … or whose body stalls this long between chunks (408)

    [backends.embedded]       # loaded at start-up; a request names one of them
    [backends.openai]
    base_url = "http://127.0.0.1:8080/v1"
    model = "qwen2.5-7b-instruct"
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from affectlens.errors import ConfigError

__all__ = ["CONFIG_ENV", "Limits", "ServiceConfig", "hash_key", "load_config"]

CONFIG_ENV = "AFFECTLENS_SERVICE_CONFIG"  # the resolved config, as JSON, for uvicorn's worker processes

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def hash_key(key: str) -> str:
    """How an API key is written into the config: ``sha256:<hex>`` (the key itself never is)."""
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Limits(_Strict):
    max_texts: int = Field(64, ge=1, description="texts per /v1/analyze request")
    max_chars: int = Field(20_000, ge=1, description="characters per text")
    max_turns: int = Field(200, ge=1, description="turns per conversation")
    max_body_bytes: int = Field(1 << 20, ge=1024, description="bytes of a request body (413 beyond)")
    max_upload_bytes: int = Field(256 << 20, ge=1024, description="bytes of an uploaded job file (413 beyond)")
    max_image_bytes: int = Field(16 << 20, ge=1024, description="bytes of an image sent to /v1/analyze/image (413 beyond)")
    max_media_bytes: int = Field(64 << 20, ge=1024, description="bytes of a recording or video sent to /v1/analyze/media (413)")
    max_media_seconds: float = Field(600.0, gt=0, description="length of a recording or video, read before decoding (422)")
    max_image_pixels: int = Field(
        40_000_000, ge=1, description="pixels of an image, read from its header before decoding (422 beyond)"
    )
    max_concurrent: int = Field(2, ge=1, description="analyses running at once")
    max_queue: int = Field(16, ge=0, description="requests waiting for a slot; beyond: 429")
    max_wait_s: float = Field(20.0, gt=0, description="refuse (429) a request whose estimated wait and work pass this")
    header_timeout_s: float = Field(10.0, gt=0, description="drop a connection whose request headers are not in by then")
    body_timeout_s: float = Field(30.0, gt=0, description="answer 408 when a request body stalls this long")
    rate_per_minute: int = Field(0, ge=0, description="requests per minute per API key or client; 0: unlimited")
    max_jobs_queued: int = Field(100, ge=1, description="jobs waiting to run; beyond: 429")


class ServiceConfig(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    workers: int = Field(1, ge=1)
    state_dir: Path = Field(Path("affectlens-service"), description="the job store, uploads and run folders")
    allowed_roots: list[Path] = Field(default_factory=list, description="server-side folders jobs may read")
    api_keys: list[str] = Field(default_factory=list, description="sha256:<hex> hashes of the accepted keys")
    admin_keys: list[str] = Field(default_factory=list, description="sha256:<hex> hashes of keys that see every job")
    allowed_hosts: list[str] = Field(default_factory=list, description="Host headers answered, besides loopback and host")
    cors_origins: list[str] = Field(default_factory=list)
    job_retention_hours: float | None = Field(
        168.0, gt=0, description="finished jobs and their files are deleted this long after they end (None: kept)"
    )
    limits: Limits = Field(default_factory=Limits)
    backends: dict[str, dict[str, Any]] = Field(default_factory=lambda: {"embedded": {}})
    conversations: bool = Field(True, description="load the conversation model for /v1/conversations")
    images: bool = Field(True, description="load the face model for /v1/analyze/image (needs affectlens[faces])")
    media: bool = Field(True, description="load speech recognition for /v1/analyze/media (needs affectlens[audio])")
    job_chunk_rows: int = Field(500, ge=1, description="rows per job task (the unit of progress and resume)")
    job_stale_after_s: float = Field(
        10.0, gt=0, description="a running job whose server has been silent this long is queued again"
    )
    threads: int = Field(1, ge=1, description="onnxruntime threads per analyzer (max_concurrent analyses run at once)")

    @field_validator("api_keys", "admin_keys")
    @classmethod
    def _hashed(cls, keys: list[str]) -> list[str]:
        for key in keys:
            digest = key.removeprefix("sha256:")
            if not key.startswith("sha256:") or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                raise ValueError("api_keys holds sha256:<64 hex digits> hashes, not keys (affectlens serve --hash-key KEY)")
        return keys

    @field_validator("backends")
    @classmethod
    def _some_backend(cls, backends: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        if not backends:
            raise ValueError("at least one backend, e.g. [backends.embedded]")
        return backends

    @model_validator(mode="after")
    def _keyless_on_loopback(self) -> ServiceConfig:
        if not self.api_keys and not _loopback(self.host):
            raise ValueError(
                f"a server without api_keys listens on loopback only, not {self.host!r}: anyone who can reach it could use "
                "it (set api_keys, see `affectlens serve --hash-key`)"
            )
        if self.admin_keys and not self.api_keys:
            raise ValueError("admin_keys need api_keys (admins are keyed users)")
        return self

    def accepts(self, key: str | None) -> bool:
        return not self.api_keys or (key is not None and hash_key(key) in (*self.api_keys, *self.admin_keys))

    def is_admin(self, key: str | None) -> bool:
        return key is not None and hash_key(key) in self.admin_keys

    def hosts(self) -> list[str]:
        """The Host names answered: loopback names, the host it listens on (unless a wildcard), allowed_hosts."""
        own = [] if self.host in ("0.0.0.0", "::", "") else [self.host]
        return sorted({*_LOOPBACK_NAMES, *own, *self.allowed_hosts})


_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")


def _loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def load_config(path: str | Path | None = None, **overrides: Any) -> ServiceConfig:
    """The config in ``path`` (TOML; None: the defaults), with ``overrides`` (command-line
    options that were given) on top. A bad file is a :class:`ConfigError` naming the field."""
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read the service config {str(path)!r}: {exc.strerror or exc}") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"the service config {str(path)!r} is not valid TOML: {exc}") from exc
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return ServiceConfig(**data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'config'}: {e['msg']}" for e in exc.errors())
        raise ConfigError(
            f"invalid service config: {problems}", hint="see docs/service.md#configuration for every field"
        ) from exc
