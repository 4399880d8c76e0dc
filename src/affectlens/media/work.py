"""The ``media`` work: each row is an image or a recording; its result a :class:`~affectlens.schema.MediaAnalysis`.

Rows come from a media file, a folder or a glob of them (one :data:`~affectlens.runs.sources.MEDIA`
source, listed once into ``media.jsonl`` when the run is planned: ``id`` the path relative to
the folder, ``path``, ``folder`` the subfolder — a ready group column), or from a column of
paths in a CSV, JSONL or Parquet file (``--image-column``; relative paths are relative to that
file). A file is read by its suffix: images by the face model (:mod:`affectlens.media.analyzer`),
recordings by speech recognition, prosody and the text model (:mod:`affectlens.media.audio`),
videos by both, fused per voice segment (:mod:`affectlens.media.video`); each model is loaded
the first time a file needs it. Every file is opened when it is read (a
run's allowed folders are checked then), and one that cannot be read — not media, truncated,
empty, a decompression bomb, too long, gone since it was listed — is one bad row with its
reason; the run goes on.

Outputs: JSON/JSONL carry the whole :class:`MediaAnalysis`; CSV and Parquet one flat row per
file (its summary, ``text`` = the file's name); the table lists each face and voice segment;
a run folder holds the emotion run's columns for the summary plus ``faces``, ``segments``,
``conflicts`` (counts), the voice figures (:data:`VOICE_COLUMNS`) and ``media`` (the whole
result as JSON), so the corpus aggregates and report read them per group.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from affectlens.errors import ConfigError, InputError
from affectlens.io.files import atomic_write
from affectlens.io.readers import Record, read_records
from affectlens.io.writers import Output
from affectlens.runs.sources import MEDIA, media_paths
from affectlens.runs.works import BadRow, EmotionWork

if TYPE_CHECKING:
    from affectlens.runs.manifest import Task
    from affectlens.runs.sources import Source
    from affectlens.runs.spec import RunSpec
    from affectlens.runs.tasks import TaskResult
    from affectlens.schema import Analysis, MediaAnalysis

__all__ = ["LISTING", "VOICE_COLUMNS", "MediaWork", "voice_figures"]

LISTING = "media.jsonl"
_FORMATS = ("table", "json", "jsonl", "csv", "parquet")


class MediaWork(EmotionWork):
    """Faces and voices, one image or recording per row."""

    name = "media"
    files: ClassVar[tuple[str, ...]] = (LISTING,)

    def __init__(self, spec: RunSpec, folder: Path | None, *, threads: int | None = None) -> None:
        from affectlens.media.reader import MediaReader

        super(EmotionWork, self).__init__(spec, folder, threads=threads)
        settings = spec.work.settings
        # the default reads with the offline models alone; an LLM backend also perceives each file
        self.analyzer = None if spec.backend.name == "embedded" else self.build_analyzer()
        self.reader = MediaReader(
            threads=threads,
            faces=settings.get("faces", "detect"),
            max_pixels=settings.get("max_pixels"),
            max_seconds=settings.get("max_seconds"),
            llm=self.analyzer,
        )

    @property
    def backend_id(self) -> str | None:
        return self.reader.backend_id

    def read(self, source: Source, task: Task) -> Iterator[Record]:
        if source.path.endswith(LISTING):
            extra = tuple(dict.fromkeys(("folder", *self.columns)))
            yield from read_records(
                source.path, input_format="jsonl", text_column="path", id_column="id", extra=extra, required=self.required,
                span=task.span,
            )  # fmt: skip
            return
        base = Path(source.path).parent
        for record in super().read(source, task):
            yield self._relative_to(record, base)

    def check_record(self, record: Record) -> Record:
        if record.error is None and not (record.text or "").strip():
            from dataclasses import replace

            return replace(record, error="has no image path")
        return record

    @staticmethod
    def _relative_to(record: Record, base: Path) -> Record:
        """An image path read from a file is relative to that file's folder."""
        if record.error is not None or not record.text or Path(record.text).is_absolute():
            return record
        from dataclasses import replace

        extra = {**(record.extra or {}), "_name": record.text}
        return replace(record, text=str(base / record.text), extra=extra)

    def process(self, records: list[Record], result: TaskResult) -> list[Any]:
        from affectlens.media.images import MediaError

        out: list[Any] = []
        for record in records:
            path = record.text or ""
            name = (record.extra or {}).get("_name") or record.id or path
            options = self.spec.options
            try:
                out.append(self.reader.analyze(path, id=record.id or name, name=name, options=options))
            except MediaError as exc:
                out.append(BadRow(f"({name}) {exc.message}"))
        return out

    def key(self, record: Record) -> str | None:
        return None  # a file is read each time; two paths are two rows

    def count(self, records: list[Record], results: list[Any], result: TaskResult) -> None:
        super().count(records, results, result)
        counts = result.counts
        counts["faces"] = counts.get("faces", 0) + sum(len(r.faces) for r in results)
        counts["segments"] = counts.get("segments", 0) + sum(len(r.segments) for r in results)
        counts["without_answer"] = counts.get("without_answer", 0) + sum(r.summary.dominant is None for r in results)

    def table(self, task: Task, records: list[Record], results: list[Any]) -> Any:
        import pyarrow as pa

        table = super().table(task, records, [summary_row(r) for r in results])
        counts = {
            "faces": [len(r.faces) for r in results],
            "segments": [len(r.segments) for r in results],
            "conflicts": [sum(s.conflict is not None for s in r.segments) for r in results],
        }
        for column, values in counts.items():
            table = table.append_column(pa.field(column, pa.int32()), pa.array(values, pa.int32()))
        voices = [voice_figures(r) for r in results]
        for column in VOICE_COLUMNS:
            table = table.append_column(pa.field(column, pa.float64()), pa.array([v[column] for v in voices], pa.float64()))
        return table.append_column(pa.field("media", pa.string()), pa.array([r.model_dump_json() for r in results], pa.string()))

    # -- the driver's side ------------------------------------------------------------

    @classmethod
    def cpu_bound(cls, spec: RunSpec) -> bool:
        return True

    @classmethod
    def check(cls, spec: RunSpec) -> None:
        from affectlens.media.faces import opencv
        from affectlens.runs.rows import check_group_names
        from affectlens.taxonomy import load_taxonomy

        if spec.sink.kind not in cls.sinks:
            raise ConfigError(f"the media work writes {' or '.join(cls.sinks)}, not a {spec.sink.kind}")
        if spec.backend.name not in ("embedded", "openai"):
            raise ConfigError(
                f"media are read by the offline models or a multimodal LLM (--backend openai), "
                f"not the {spec.backend.name!r} backend",
                hint="drop --backend, or use --backend openai with a model that sees images (and hears audio)",
            )
        if spec.sink.kind != "folder" and spec.sink.format not in _FORMATS:
            raise InputError(f"unknown output format {spec.sink.format!r} for media", hint=f"use one of {', '.join(_FORMATS)}")
        if spec.sink.kind == "file" and spec.sink.format == "table":
            raise InputError("the media table goes to the terminal", hint="write .json, .jsonl, .csv or .parquet with -o")
        load_taxonomy(spec.options.taxonomy)
        check_group_names(spec.input.columns.groups)
        opencv()  # OpenCV 4.x installed, before anything starts (faces are read in images and, soon, video)

    @classmethod
    def prepare(cls, spec: RunSpec, inputs: list[Source], folder: Path, log: Callable[[str], None]) -> Any:
        """A media source becomes its listing (see the module docstring); a file of paths is read as it is."""
        from affectlens.runs.sources import fingerprint

        if not inputs or inputs[0].format != MEDIA:
            return None
        root, paths = media_paths(inputs[0])
        lines = []
        for path in paths:
            relative = path.resolve().relative_to(root.resolve()) if path.is_absolute() else path.relative_to(root)
            parent = relative.parent.as_posix()
            lines.append(json.dumps({"id": relative.as_posix(), "path": str(path), "folder": "" if parent == "." else parent}))
        if not lines:
            raise InputError(f"no image or recording in {spec.input.path!r}")
        body = ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")
        target = folder / LISTING
        atomic_write(target, lambda f: f.write(body))
        return [fingerprint(target, "jsonl")], {"files": len(lines)}

    @classmethod
    def open_output(
        cls, spec: RunSpec, fmt: str, path: str | None, *, console: Any, resume_from: dict[str, int] | None
    ) -> Output:
        from affectlens.io.writers import open_output
        from affectlens.taxonomy import load_taxonomy

        if fmt == "table":
            return _MediaTable(console)
        labels = load_taxonomy(spec.options.taxonomy).names
        inner = open_output(fmt, path, labels=labels, console=console, resume_from=resume_from)
        return inner if fmt in ("json", "jsonl") else _Summaries(inner)


#: a run folder's per-file voice columns (None for a file without speech): seconds of speech, and
#: over its voice segments the median pitch, mean words per second, loudness and prosody arousal shift
VOICE_COLUMNS = ("speech_s", "pitch_hz", "rate_wps", "loudness_db", "arousal_shift")


def voice_figures(media: MediaAnalysis) -> dict[str, float | None]:
    """How the file's voices sounded, as :data:`VOICE_COLUMNS`."""
    import numpy as np

    heard = [s for s in media.segments if s.prosody is not None]
    if not heard:
        return dict.fromkeys(VOICE_COLUMNS)
    pitches = [s.prosody.pitch_hz for s in heard if s.prosody and s.prosody.pitch_hz is not None]

    def mean(name: str) -> float:
        return round(float(np.mean([getattr(s.prosody, name) for s in heard])), 4)

    return {
        "speech_s": round(sum(s.end_s - s.start_s for s in heard), 2),
        "pitch_hz": round(float(np.median(pitches)), 1) if pitches else None,
        "rate_wps": mean("rate_wps"),
        "loudness_db": mean("energy_db"),
        "arousal_shift": mean("arousal_shift"),
    }


def summary_row(media: MediaAnalysis) -> Analysis:
    """The file's summary as a flat row: ``text`` names the file, evidence stays in ``media``."""
    return media.summary.model_copy(update={"id": media.id, "text": media.source, "evidence": []})


class _Summaries(Output):
    """CSV and Parquet: one flat row per image, its summary."""

    def __init__(self, inner: Output) -> None:
        self.inner = inner
        self.resumable = inner.resumable

    def write(self, analyses: list[Any]) -> None:
        self.inner.write([summary_row(m) for m in analyses])

    def commit(self) -> dict[str, int]:
        return self.inner.commit()

    def finish(self) -> None:
        self.inner.finish()

    def abandon(self) -> None:
        self.inner.abandon()

    def discard(self) -> None:
        self.inner.discard()


class _MediaTable(Output):
    """Each file and its faces or voice segments, for people."""

    def __init__(self, console: Any) -> None:
        self.console = console
        self.rows: list[MediaAnalysis] = []

    def write(self, analyses: list[Any]) -> None:
        self.rows.extend(analyses)

    def finish(self) -> None:
        from rich.console import Console
        from rich.table import Table

        from affectlens.io.terminal import safe

        if not self.rows:
            return
        console = self.console or Console()
        table = Table("file", "#", "where", "what", "labels", "scores", "confidence", header_style="bold")
        for media in self.rows:
            parts: list[tuple[str, str, Analysis]] = [
                (f"{f.box.x}, {f.box.y}, {f.box.w}×{f.box.h}", "face", f.analysis) for f in media.faces
            ]
            parts += [
                (f"{s.start_s:.1f}–{s.end_s:.1f} s", f"{s.speaker + ': ' if s.speaker else ''}{s.transcript}", s.analysis)
                for s in media.segments
            ]
            if not parts:
                table.add_row(safe(media.source), "-", "", "[dim]nothing to read[/]", "", "", "")
            for n, (where, what, a) in enumerate(parts, start=1):
                top = sorted(a.scores.items(), key=lambda kv: -kv[1])[:3]
                table.add_row(
                    safe(media.source) if n == 1 else "",
                    str(n),
                    where,
                    safe(what),
                    ", ".join(a.labels) or "[dim]—[/]",
                    " ".join(f"{k} {v:.2f}" for k, v in top),
                    f"{a.confidence:.2f}",
                )
        console.print(table)
        for media in self.rows:
            inner = [w for f in media.faces for w in f.analysis.warnings] + [
                w for s in media.segments for w in s.analysis.warnings
            ]
            for warning in [*media.warnings, *inner]:
                console.print(f"[yellow]warning[/] ({safe(media.source)}): {safe(warning)}", highlight=False)
