"""Where a run's rows come from: one file, a glob or a folder of files, each fingerprinted.

A fingerprint is the file's size and a hash of its first and last MiB: cheap on a file of
any size, and it changes when rows are added, removed or edited at either end. A run
records the fingerprints of its inputs (:class:`~affectlens.runs.manifest.Identity`) and
refuses to continue on files that are not the ones it started on.
"""

from __future__ import annotations

import glob
import hashlib
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from affectlens.errors import InputError
from affectlens.io.files import open_input
from affectlens.io.readers import INPUT_FORMATS, detect_format

__all__ = ["Source", "fingerprint", "resolve_sources"]

_SUFFIXES = {".txt", ".text", ".csv", ".jsonl", ".ndjson", ".parquet"}
_ENDS = 1 << 20  # bytes hashed at each end


class Source(BaseModel):
    """One input file of a run: its path, format, size and a hash of its ends."""

    model_config = ConfigDict(extra="forbid")

    path: str
    format: str
    bytes: int
    ends_sha256: str = Field(description="sha256 of the first and last MiB")
    rows: int | None = Field(None, description="lines (txt, jsonl), records (csv) or rows (parquet), once planned")

    def same_file(self, other: Source) -> bool:
        return (self.path, self.bytes, self.ends_sha256) == (other.path, other.bytes, other.ends_sha256)


def fingerprint(path: str | Path, fmt: str) -> Source:
    """``path``'s :class:`Source`: its resolved path, size and the hash of its ends."""
    try:
        size = os.path.getsize(path)
        digest = hashlib.sha256()
        with open_input(path) as f:
            digest.update(f.read(_ENDS))
            if size > _ENDS:
                f.seek(max(size - _ENDS, _ENDS))
                digest.update(f.read(_ENDS))
    except OSError as exc:
        raise InputError(f"cannot read input file {str(path)!r}: {exc.strerror}") from exc
    return Source(path=str(Path(path).resolve()), format=fmt, bytes=size, ends_sha256=digest.hexdigest())


def resolve_sources(input: str | Path, *, input_format: str | None = None) -> list[Source]:
    """The files of ``input`` in a stable order (sorted paths): a file, a glob such as
    ``posts/*.jsonl``, or a folder (every file in it, recursively, whose suffix names a format)."""
    text = str(input)
    if input_format is not None and input_format not in INPUT_FORMATS:
        raise InputError(f"unknown input format {input_format!r}; use one of {', '.join(INPUT_FORMATS)}")
    path = Path(text)
    if path.is_dir():
        paths = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in _SUFFIXES)
        if not paths:
            raise InputError(f"the folder {text!r} holds no .txt, .csv, .jsonl or .parquet file")
    elif path.is_file():
        paths = [path]
    elif glob.has_magic(text):
        paths = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
        if not paths:
            raise InputError(f"no file matches {text!r}")
    else:
        raise InputError(f"input {text!r} not found", hint="give a file, a folder or a glob such as 'posts/*.jsonl'")
    return [fingerprint(p, detect_format(str(p), input_format)) for p in paths]
