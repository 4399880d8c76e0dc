"""The one exception tree of affectlens, split by who has to act.

- :class:`UserError` — the input or the configuration is wrong; the caller fixes it.
  The CLI exits with code 2, the service answers 4xx.
- :class:`BackendError` — something failed while running (a model asset, a remote endpoint);
  the CLI exits with code 1, the service answers 5xx.
- :class:`OutputError` — the machine refused to store the results (disk full, permission
  denied, a closed stream); the CLI exits with code 1, the service answers 5xx.
- :class:`ProgrammingError` — the library was called in a way it does not support.

Every message says what is wrong; ``hint`` says what to do next.
Third-party exceptions are re-raised as one of these with ``raise ... from``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "AffectlensError",
    "BackendError",
    "ConfigError",
    "DatasetError",
    "InputError",
    "MissingDependencyError",
    "ModelAssetError",
    "OutputError",
    "ProgrammingError",
    "RunStoppedError",
    "UnknownNameError",
    "UserError",
]


class AffectlensError(Exception):
    """Base class of every error affectlens raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UserError(AffectlensError):
    """Bad input or configuration: the caller must change what they passed."""

    exit_code = 2


class InputError(UserError):
    """A text or an input file cannot be analysed as given."""


class ConfigError(UserError):
    """An option, name or configuration value is not valid."""


class UnknownNameError(ConfigError):
    """A registry or taxonomy name that does not exist; lists close matches and all names."""

    def __init__(self, kind: str, name: str, known: Iterable[str]) -> None:
        known = sorted(known)
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        message = f"unknown {kind} {name!r}"
        if close:
            message += f"; did you mean {' or '.join(repr(c) for c in close)}?"
        super().__init__(message, hint=f"choose one of: {', '.join(known)}")
        self.kind = kind
        self.name = name
        self.known = known


class DatasetError(UserError):
    """An evaluation dataset is missing or its files are not in the published format."""


class MissingDependencyError(UserError):
    """An optional dependency is needed for this feature and is not installed."""

    def __init__(self, package: str, extra: str, feature: str) -> None:
        super().__init__(
            f"{feature} needs the package {package!r}, which is not installed",
            hint=f"pip install 'affectlens[{extra}]'",
        )
        self.package = package
        self.extra = extra


class BackendError(AffectlensError):
    """An analyzer failed while running."""


class RunStoppedError(BackendError):
    """The run cannot go on (an endpoint that cannot be reached, a deadline that passed); rows
    already committed are kept, and ``--resume`` continues once the cause is fixed."""


class ModelAssetError(BackendError):
    """A model file shipped with affectlens is missing or does not match its manifest."""


class OutputError(AffectlensError):
    """Results could not be written: the disk is full, a folder is not writable, and the like."""

    @classmethod
    def from_os_error(cls, exc: OSError, what: str | None = None) -> OutputError:
        """One line for ``exc``: what could not be written, and why."""
        target = what or (repr(exc.filename) if exc.filename else "the output")
        reason = exc.strerror or type(exc).__name__
        hint = "free some space, or write elsewhere with -o" if exc.errno == 28 else None
        return cls(f"cannot write {target}: {reason}", hint=hint)


class ProgrammingError(AffectlensError):
    """The library was used in a way it does not support (a bug in the caller)."""
