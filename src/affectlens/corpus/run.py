"""``affectlens corpus analyze`` as a Python call: a corpus into a run folder, on any engine.

It builds a :class:`~affectlens.runs.RunSpec` (a folder sink, the ``emotions`` work) and
executes it: the one run of :mod:`affectlens.runs`. Kill it at any moment and call it again
with the same arguments: it continues and ends with every input row once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from affectlens.io.text import DEFAULT_MAX_CHARS
from affectlens.runs import DEFAULT_CHUNK_ROWS, Columns, InputSpec, Named, RunManifest, RunSpec, RunSummary, SinkSpec, execute
from affectlens.runs.tasks import TaskResult

__all__ = ["analyze", "corpus_spec"]


def corpus_spec(
    input: str | Path,
    run_dir: str | Path,
    *,
    input_format: str | None = None,
    text_column: str | None = None,
    id_column: str | None = None,
    time_column: str | None = None,
    group_columns: Sequence[str] = (),
    backend: str = "embedded",
    backend_settings: dict[str, Any] | None = None,
    taxonomy: str | None = None,
    explain: bool = False,
    max_chars: int = DEFAULT_MAX_CHARS,
    image_column: str | None = None,
    faces: str = "detect",
    max_pixels: int | None = None,
    max_seconds: float | None = None,
    engine: str = "local",
    engine_settings: dict[str, Any] | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    command: str | None = None,
) -> RunSpec:
    """The run spec of a corpus run (what :func:`analyze` executes; the service stores it).

    Media (images and recordings: a folder, glob or file of them, or ``image_column`` naming a
    column of their paths) run the ``media`` work: faces (``faces``: ``detect`` or ``whole``) and
    voices (``max_seconds`` per recording), in Ekman labels unless ``taxonomy`` says otherwise."""
    from affectlens.analyzers.base import AnalyzeOptions
    from affectlens.api import backend_settings as resolve
    from affectlens.runs.sources import is_media_input

    images = bool(image_column) or is_media_input(input, input_format)
    if image_column and text_column:
        from affectlens.errors import InputError

        raise InputError("give a text column or an image column, not both")
    taxonomy = taxonomy or ("ekman" if images else "goemotions")
    work_settings: dict[str, Any] = {"faces": faces} if images else {}
    if images and max_pixels is not None:
        work_settings["max_pixels"] = max_pixels
    if images and max_seconds is not None:
        work_settings["max_seconds"] = max_seconds

    if command is None:  # what made the run, as the call that made it
        given = {
            "input_format": input_format,
            "text_column": text_column,
            "id_column": id_column,
            "time_column": time_column,
            "group_columns": list(group_columns) or None,
            "backend": None if backend == "embedded" else backend,
            "taxonomy": None if taxonomy == ("ekman" if images else "goemotions") else taxonomy,
            "image_column": image_column,
            "faces": None if faces == "detect" else faces,
            "explain": explain or None,
            "engine": None if engine == "local" else engine,
        }
        call = ", ".join([repr(str(input)), repr(str(run_dir)), *(f"{k}={v!r}" for k, v in given.items() if v is not None)])
        command = f"affectlens.corpus.analyze({call})"
    return RunSpec(
        input=InputSpec(
            path=str(input),
            format=input_format,
            columns=Columns(text=image_column or text_column, id=id_column, time=time_column, groups=list(group_columns)),
        ),
        work=Named(name="media" if images else "emotions", settings=work_settings),
        backend=Named(name=backend, settings=resolve(backend, backend_settings)),
        options=AnalyzeOptions.build(None, {"taxonomy": taxonomy, "explain": explain, "max_chars": max_chars}),
        engine=Named(name=engine, settings=dict(engine_settings or {})),
        sink=SinkSpec(kind="folder", path=str(run_dir)),
        chunk_rows=chunk_rows,
        command=command,
    )


def analyze(
    input: str | Path,
    run_dir: str | Path,
    *,
    restart: bool = False,
    on_start: Callable[[RunManifest, int | None], None] | None = None,
    on_task: Callable[[TaskResult], None] | None = None,
    **settings: Any,
) -> RunSummary:
    """Analyse the corpus ``input`` (a file, a glob, a folder) into the run folder ``run_dir``.

    ``settings`` are :func:`corpus_spec`'s (columns, backend, taxonomy, engine…). A folder
    that holds an earlier run of the same corpus and settings is continued; ``restart=True``
    starts it afresh. ``on_start(manifest, rows_left)`` is called once the plan is known,
    ``on_task(result)`` after each task.
    """
    return execute(corpus_spec(input, run_dir, **settings), restart=restart, on_start=on_start, on_task=on_task)
