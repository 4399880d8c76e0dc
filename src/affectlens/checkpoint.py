"""What an interrupted run needs to resume without losing or repeating a row.

After every chunk, the output is committed (:meth:`affectlens.io.writers.Output.commit`) and
then a checkpoint beside it (``.NAME.affectlens-checkpoint.json``) is replaced atomically.
It records how many input records were consumed (analysed or reported bad) together with
the output's commit marker (its length, or its part count), so the two always agree: a
kill at any moment leaves either the previous checkpoint with its output state, or the
new one. It also records what the input was (size and a hash of its ends) and the settings
that change results; resuming with another input or other settings is refused.

Resuming by input position, not by id, is exact even when ids repeat or are missing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from affectlens.errors import InputError
from affectlens.io.files import atomic_write, remove

__all__ = ["CHECKPOINT_VERSION", "Checkpoint", "InputFingerprint", "checkpoint_path", "discard", "fingerprint"]

CHECKPOINT_VERSION = 1
_ENDS = 1 << 20  # bytes hashed at each end of the input
MAX_BAD_EXAMPLES = 1000


class InputFingerprint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str
    bytes: int
    ends_sha256: str = Field(description="sha256 of the first and last MiB")


class Checkpoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = CHECKPOINT_VERSION
    input: InputFingerprint
    settings: dict[str, Any] = Field(description="everything that changes the results")
    position: int = Field(0, description="input records consumed: analysed or reported bad")
    analysed: int = 0
    bad_rows: int = 0
    bad_examples: list[dict[str, Any]] = Field(default_factory=list, description=f"the first {MAX_BAD_EXAMPLES} bad rows")
    output: dict[str, int] = Field(default_factory=dict, description="the output's commit marker")
    started: str = Field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    updated: str | None = None

    def save(self, path: Path) -> None:
        self.updated = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        atomic_write(path, lambda stream: stream.write(self.model_dump_json(indent=2).encode("utf-8")))

    @classmethod
    def load(cls, path: Path) -> Checkpoint | None:
        """The checkpoint at ``path``, or None if there is none."""
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise InputError(f"cannot read the checkpoint {str(path)!r}: {exc.strerror}") from exc
        try:
            checkpoint = cls.model_validate(json.loads(raw))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise InputError(
                f"the checkpoint {str(path)!r} is damaged, so the interrupted run cannot be resumed safely",
                hint=f"remove it and drop --resume to start afresh ({exc.__class__.__name__})",
            ) from exc
        if checkpoint.version != CHECKPOINT_VERSION:
            raise InputError(
                f"the checkpoint {str(path)!r} was written by another version of affectlens",
                hint="drop --resume to start afresh",
            )
        return checkpoint

    def check_same_run(self, input: InputFingerprint, settings: dict[str, Any]) -> None:
        """Refuse to resume a run on another input or with other settings."""
        if (input.bytes, input.ends_sha256) != (self.input.bytes, self.input.ends_sha256):
            raise InputError(
                f"the input {input.path!r} is not the file the interrupted run read "
                f"({self.input.bytes:,} bytes then, {input.bytes:,} now)",
                hint="resume with the same input, or drop --resume to start afresh",
            )
        changed = [
            f"{key}: {json.dumps(self.settings.get(key))} then, {json.dumps(settings.get(key))} now"
            for key in sorted(set(self.settings) | set(settings))
            if self.settings.get(key) != settings.get(key)
        ]
        if changed:
            raise InputError(
                "the settings differ from the interrupted run's, so its rows would not match: " + "; ".join(changed),
                hint="resume with the same options, or drop --resume to start afresh",
            )

    def add_bad(self, line: int, reason: str) -> None:
        self.bad_rows += 1
        if len(self.bad_examples) < MAX_BAD_EXAMPLES:
            self.bad_examples.append({"line": line, "reason": reason})


def checkpoint_path(output: str | Path) -> Path:
    output = Path(output)
    return output.with_name(f".{output.name}.affectlens-checkpoint.json")


def discard(output: str | Path) -> None:
    remove(checkpoint_path(output))


def fingerprint(path: str) -> InputFingerprint:
    """Size and a hash of the first and last MiB of ``path`` (cheap, and changes when rows do)."""
    try:
        size = os.path.getsize(path)
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            digest.update(f.read(_ENDS))
            if size > _ENDS:
                f.seek(max(size - _ENDS, _ENDS))
                digest.update(f.read(_ENDS))
    except OSError as exc:
        raise InputError(f"cannot read input file {path!r}: {exc.strerror}") from exc
    return InputFingerprint(path=str(Path(path).resolve()), bytes=size, ends_sha256=digest.hexdigest())
