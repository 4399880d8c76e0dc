"""Where a corpus comes from: one file, a glob, or a folder of files, and their fingerprints."""

from __future__ import annotations

import glob
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from affectlens.checkpoint import fingerprint
from affectlens.errors import InputError
from affectlens.io.readers import INPUT_FORMATS, detect_format

__all__ = ["Source", "resolve_sources"]

_SUFFIXES = {".txt", ".text", ".csv", ".jsonl", ".ndjson", ".parquet"}


class Source(BaseModel):
    """One input file of a run: its path, format, size and a hash of its ends."""

    model_config = ConfigDict(extra="forbid")

    path: str
    format: str
    bytes: int
    ends_sha256: str
    rows: int | None = None  # lines (txt, jsonl), records (csv) or rows (parquet), once planned


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
    sources = []
    for p in paths:
        fmt = detect_format(str(p), input_format)
        found = fingerprint(str(p))
        sources.append(Source(path=found.path, format=fmt, bytes=found.bytes, ends_sha256=found.ends_sha256))
    return sources
