"""Durable file operations: a file is either its old self or complete, never half written.

- :func:`atomic_write` writes to a temporary file in the same folder, flushes it to disk
  and renames it over the target (a rename within a folder is atomic on POSIX and Windows).
- :func:`sync` flushes a file's data to disk before anything that depends on it is written.
- :func:`same_file` tells whether two paths name one file (so an output never overwrites
  its own input).
- :func:`open_input` opens every input file; after :func:`confine`, a process opens inputs
  only inside the given folders, checked on the file it *opened* (``/proc/self/fd``), so a
  path swapped for a symlink after it was checked cannot lead outside (the service's jobs).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from affectlens.errors import OutputError

__all__ = [
    "atomic_path",
    "atomic_write",
    "confine",
    "confined",
    "is_special",
    "make_folder_for",
    "open_input",
    "remove",
    "same_file",
    "sync",
]

_ROOTS: tuple[Path, ...] | None = None  # where this process may open inputs (None: anywhere)


def confine(roots: Sequence[str | Path] | None) -> None:
    """From now on this process opens inputs (:func:`open_input`) only inside ``roots``; None lifts it."""
    global _ROOTS
    _ROOTS = None if roots is None else tuple(Path(os.path.realpath(r)) for r in roots)


@contextmanager
def confined(roots: Sequence[str | Path] | None) -> Iterator[None]:
    """:func:`confine` for a block (None: as before), then as it was."""
    previous = _ROOTS
    if roots is not None:
        confine(roots)
    try:
        yield
    finally:
        globals()["_ROOTS"] = previous


def open_input(path: str | Path) -> IO[bytes]:
    """``path`` opened for reading; inside the confinement's folders, when there is one."""
    from affectlens.errors import InputError

    stream = open(path, "rb")  # noqa: SIM115 (the caller closes it)
    if _ROOTS is None:
        return stream
    proc = Path(f"/proc/self/fd/{stream.fileno()}")
    opened = Path(os.readlink(proc)) if proc.is_symlink() else Path(os.path.realpath(path))
    if not any(opened == root or opened.is_relative_to(root) for root in _ROOTS):
        stream.close()
        raise InputError(f"{Path(path).name!r} is outside the folders this run may read", hint="upload the file instead")
    return stream


def sync(stream: IO[bytes]) -> None:
    """Flush ``stream`` and its data to the disk."""
    stream.flush()
    os.fsync(stream.fileno())


def _sync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be opened
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def make_folder_for(target: str | Path) -> None:
    """Create the folders ``target`` will live in; one clear error when that cannot be done."""
    target = Path(target)
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(f"cannot write {str(target)!r}: {str(parent)!r} is a file, not a folder")
            break
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError.from_os_error(exc, repr(str(target))) from exc


@contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """A temporary path beside ``target``; on a clean exit it replaces ``target`` atomically,
    on an exception it is removed and ``target`` is left as it was."""
    target = Path(target)
    make_folder_for(target)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
    except OSError as exc:
        raise OutputError.from_os_error(exc, repr(str(target))) from exc
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, _mode_for(target))  # mkstemp makes 0600: give what an ordinary write would
        os.replace(tmp, target)
    except BaseException:
        remove(tmp)
        raise
    _sync_dir(target.parent)


def _mode_for(target: Path) -> int:
    """The target's own permissions if it exists, else 0666 less the umask."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def atomic_write(target: str | Path, write: Callable[[IO[bytes]], None]) -> None:
    """Write ``target`` through ``write(stream)`` so that it is either the old file or the new one."""
    with atomic_path(target) as tmp:
        try:
            with open(tmp, "wb") as stream:
                write(stream)
                sync(stream)
        except OSError as exc:
            raise OutputError.from_os_error(exc, repr(str(target))) from exc


def is_special(path: str | Path) -> bool:
    """Whether ``path`` exists and is not a regular file (a device such as /dev/stdout, a FIFO,
    a socket): such a target is written straight into, never replaced or removed."""
    path = Path(path)
    return path.exists() and not path.is_file() and not path.is_dir()


def remove(path: str | Path) -> None:
    """Remove a file if it exists."""
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether ``a`` and ``b`` are one file (links and relative paths resolved)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return Path(a).resolve() == Path(b).resolve()
