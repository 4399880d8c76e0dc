"""Where a run's rows come from: one file, a glob or a folder of files, each fingerprinted.

A fingerprint is the file's size and a hash of its first and last MiB: cheap on a file of
any size, and it changes when rows are added, removed or edited at either end.

Media are rows too: an image or recording, a folder of them or a glob is one source of
format ``media`` (:data:`MEDIA`) whose fingerprint is a hash of the listing — each file's
relative path, size and modification time — so a folder of 100,000 photos is one entry in
the manifest, and adding, removing or replacing a photo is a different input. The ``media``
work lists the files once, when the run is planned (:func:`media_paths`). A run
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
from affectlens.io.readers import INPUT_FORMATS, MEDIA_SUFFIXES, detect_format

__all__ = ["MEDIA", "Source", "fingerprint", "is_media_input", "media_paths", "resolve_sources"]

MEDIA = "media"  # the format of a source that is images or recordings, not rows of text
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
    ``posts/*.jsonl``, or a folder (every file in it, recursively, whose suffix names a format).

    Media (``input_format="media"``, or a folder, glob or file with images or recordings and no
    text file) are one source of format :data:`MEDIA` (see the module docstring)."""
    text = str(input)
    if input_format is not None and input_format not in (*INPUT_FORMATS, MEDIA):
        raise InputError(f"unknown input format {input_format!r}; use one of {', '.join((*INPUT_FORMATS, MEDIA))}")
    path = Path(text)
    if path.is_dir():
        every = _visible_files(path)
        paths = [p for p in every if p.suffix.lower() in _SUFFIXES]
        if input_format == MEDIA or (not paths and _media(every) and input_format is None):
            return [_media_source(text, path, _media(every))]
        if not paths:
            raise InputError(f"the folder {text!r} holds no .txt, .csv, .jsonl, .parquet, image or audio file")
    elif path.is_file():
        if input_format == MEDIA or (input_format is None and path.suffix.lower() in MEDIA_SUFFIXES):
            return [_media_source(text, path.parent, [path])]
        paths = [path]
    elif glob.has_magic(text):
        paths = _glob_files(text)
        if not paths:
            raise InputError(f"no file matches {text!r}")
        if input_format == MEDIA or (input_format is None and len(_media(paths)) == len(paths)):
            return [_media_source(text, _common_folder(paths), _media(paths))]
    else:
        raise InputError(f"input {text!r} not found", hint="give a file, a folder or a glob such as 'posts/*.jsonl'")
    return [fingerprint(p, detect_format(str(p), input_format)) for p in paths]


def is_media_input(input: str | Path | None, input_format: str | None = None) -> bool:
    """Whether :func:`resolve_sources` would read ``input`` as media (checked without hashing;
    a string that cannot be a path, such as a long text, is not media)."""
    if input is None or str(input) == "-":
        return False
    if input_format is not None:
        return input_format == MEDIA
    text = str(input)
    if len(text) > 4096 or "\n" in text or "\0" in text:
        return False
    path = Path(text)
    try:
        if path.suffix.lower() in MEDIA_SUFFIXES and path.is_file():
            return True
        if path.is_dir():
            every = _visible_files(path)
            return bool(_media(every)) and not any(p.suffix.lower() in _SUFFIXES for p in every)
        matches = _glob_files(text) if glob.has_magic(text) else []
    except OSError:
        return False
    return bool(matches) and len(_media(matches)) == len(matches)


def _visible_files(folder: Path) -> list[Path]:
    """The files under ``folder``, recursively, sorted; none under a hidden name (``.cache/``, ``.DS_Store``)."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and not any(x.startswith(".") for x in p.relative_to(folder).parts))


def _glob_files(pattern: str) -> list[Path]:
    return sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())


def _media(paths: list[Path]) -> list[Path]:
    return [p for p in paths if p.suffix.lower() in MEDIA_SUFFIXES]


def _common_folder(paths: list[Path]) -> Path:
    return Path(os.path.commonpath([p.resolve().parent for p in paths]))


def _media_source(given: str, root: Path, paths: list[Path]) -> Source:
    if not paths:
        raise InputError(f"no image or recording in {given!r}", hint=f"media files are {', '.join(sorted(MEDIA_SUFFIXES))}")
    digest = hashlib.sha256()
    total = 0
    base = root.resolve()
    for p in paths:
        try:
            st = p.stat()
        except OSError:
            continue  # vanished while listed: the run reports it as a bad row when it looks for it
        total += st.st_size
        digest.update(f"{p.resolve().relative_to(base)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
    return Source(
        path=given if glob.has_magic(given) else str(Path(given).resolve()),
        format=MEDIA,
        bytes=total,
        ends_sha256=digest.hexdigest(),
        rows=len(paths),
    )


def media_paths(source: Source) -> tuple[Path, list[Path]]:
    """The folder a :data:`MEDIA` source is relative to, and its media files (sorted)."""
    path = Path(source.path)
    if path.is_dir():
        return path, _media(_visible_files(path))
    if path.is_file():
        return path.parent, [path]
    paths = [p.resolve() for p in _media(_glob_files(source.path))]
    if not paths:
        raise InputError(f"no image or recording matches {source.path!r}")
    return _common_folder(paths), paths
