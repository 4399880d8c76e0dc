"""Every error the service answers, as JSON of one shape, mapped from the one exception tree.

``{"error": {"type": "invalid_input", "message": "…", "hint": "…" | null}}``

Bad input is never a 5xx: a :class:`~affectlens.errors.UserError` is a 4xx; a failing backend
or disk is 503 / 507; only a bug (an exception outside the tree) is a 500, and it is logged.
"""

from __future__ import annotations

from affectlens.errors import (
    AffectlensError,
    BackendError,
    ConfigError,
    InputError,
    MissingDependencyError,
    OutputError,
    UnknownNameError,
    UserError,
)

__all__ = [
    "Forbidden",
    "NotFound",
    "NotReady",
    "Overloaded",
    "PayloadTooLarge",
    "RateLimited",
    "Unauthorized",
    "WrongState",
    "error_body",
    "status_of",
]


class Unauthorized(UserError):
    status, type = 401, "unauthorized"


class Forbidden(UserError):
    status, type = 403, "forbidden"


class NotFound(UserError):
    status, type = 404, "not_found"


class PayloadTooLarge(UserError):
    status, type = 413, "payload_too_large"


class WrongState(UserError):
    """The job is not in a state that allows this (its result before it has one)."""

    status, type = 409, "wrong_state"


class _TooMany(UserError):
    status = 429

    def __init__(self, message: str, *, retry_after: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = max(1, retry_after)


class Overloaded(_TooMany):
    type = "overloaded"


class RateLimited(_TooMany):
    type = "rate_limited"


class NotReady(BackendError):
    status, type = 503, "not_ready"


# (class, status, type), most specific first
_MAPPING: tuple[tuple[type[AffectlensError], int, str], ...] = (
    (UnknownNameError, 422, "unknown_name"),
    (MissingDependencyError, 501, "not_installed"),
    (InputError, 422, "invalid_input"),
    (ConfigError, 422, "invalid_option"),
    (UserError, 400, "bad_request"),
    (OutputError, 507, "storage_error"),
    (BackendError, 503, "backend_error"),
)


def status_of(exc: AffectlensError) -> tuple[int, str]:
    """The HTTP status and error type of ``exc``; 500 only for what is not a user's or a backend's."""
    if hasattr(exc, "status"):
        return exc.status, exc.type  # type: ignore[attr-defined]
    for cls, status, kind in _MAPPING:
        if isinstance(exc, cls):
            return status, kind
    return 500, "internal_error"


def error_body(kind: str, message: str, hint: str | None = None) -> dict[str, dict[str, str | None]]:
    return {"error": {"type": kind, "message": message, "hint": hint}}
