"""The ``images`` work: each row is an image; its result a :class:`~affectlens.schema.MediaAnalysis`.

Rows come from an image file, a folder or a glob of images (one :data:`~affectlens.runs.sources.IMAGES`
source, listed once into ``images.jsonl`` when the run is planned: ``id`` the path relative to
the folder, ``path``, ``folder`` the subfolder — a ready group column), or from a column of
image paths in a CSV, JSONL or Parquet file (``--image-column``; relative paths are relative to
that file). Every image is opened when it is read (a run's allowed folders are checked then),
and an image that cannot be read — not an image, truncated, empty, a decompression bomb, gone
since it was listed — is one bad row with its reason; the run goes on.

Outputs: JSON/JSONL carry the whole :class:`MediaAnalysis`; CSV and Parquet one flat row per
image (its summary, ``text`` = the image's name); the table lists each face; a run folder
holds the emotion run's columns for the summary plus ``faces`` (count) and ``media`` (the
whole result as JSON), so the corpus aggregates and report read face emotions per group.
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
from affectlens.runs.sources import IMAGES, image_paths
from affectlens.runs.works import BadRow, EmotionWork

if TYPE_CHECKING:
    from affectlens.runs.manifest import Task
    from affectlens.runs.sources import Source
    from affectlens.runs.spec import RunSpec
    from affectlens.runs.tasks import TaskResult
    from affectlens.schema import Analysis, MediaAnalysis

__all__ = ["LISTING", "ImageWork"]

LISTING = "images.jsonl"
_FORMATS = ("table", "json", "jsonl", "csv", "parquet")


class ImageWork(EmotionWork):
    """Faces and their expressions, one image per row."""

    name = "images"
    files: ClassVar[tuple[str, ...]] = (LISTING,)

    def __init__(self, spec: RunSpec, folder: Path | None, *, threads: int | None = None) -> None:
        from affectlens.media.analyzer import ImageAnalyzer
        from affectlens.media.images import DEFAULT_MAX_PIXELS

        super(EmotionWork, self).__init__(spec, folder, threads=threads)
        settings = spec.work.settings
        self.images = ImageAnalyzer(
            threads=threads,
            max_pixels=int(settings.get("max_pixels", DEFAULT_MAX_PIXELS)),
            faces=settings.get("faces", "detect"),
        )
        self.analyzer = None

    @property
    def backend_id(self) -> str | None:
        return self.images.backend_id

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
        from affectlens.media.images import ImageError

        out: list[Any] = []
        for record in records:
            path = record.text or ""
            name = (record.extra or {}).get("_name") or record.id or path
            try:
                out.append(self.images.analyze_image(path, id=record.id or name, name=name, options=self.spec.options))
            except ImageError as exc:
                out.append(BadRow(f"({name}) {exc.message}"))
        return out

    def key(self, record: Record) -> str | None:
        return None  # an image is read from its file each time; two paths are two rows

    def count(self, records: list[Record], results: list[Any], result: TaskResult) -> None:
        super().count(records, results, result)
        result.counts["faces"] = result.counts.get("faces", 0) + sum(len(r.faces) for r in results)
        result.counts["without_face"] = result.counts.get("without_face", 0) + sum(not r.faces for r in results)

    def table(self, task: Task, records: list[Record], results: list[Any]) -> Any:
        import pyarrow as pa

        table = super().table(task, records, [summary_row(r) for r in results])
        table = table.append_column(pa.field("faces", pa.int32()), pa.array([len(r.faces) for r in results], pa.int32()))
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
            raise ConfigError(f"the images work writes {' or '.join(cls.sinks)}, not a {spec.sink.kind}")
        if spec.backend.name != "embedded":  # the default: the offline face model reads images (LLMs that see them: P12)
            raise ConfigError(
                f"images are read by the offline face model, not the {spec.backend.name!r} backend",
                hint="drop --backend for images",
            )
        if spec.sink.kind != "folder" and spec.sink.format not in _FORMATS:
            raise InputError(f"unknown output format {spec.sink.format!r} for images", hint=f"use one of {', '.join(_FORMATS)}")
        if spec.sink.kind == "file" and spec.sink.format == "table":
            raise InputError("the faces table goes to the terminal", hint="write .json, .jsonl, .csv or .parquet with -o")
        load_taxonomy(spec.options.taxonomy)
        check_group_names(spec.input.columns.groups)
        opencv()  # OpenCV 4.x installed, before anything starts

    @classmethod
    def prepare(cls, spec: RunSpec, inputs: list[Source], folder: Path, log: Callable[[str], None]) -> Any:
        """An images source becomes its listing (see the module docstring); a file of paths is read as it is."""
        from affectlens.runs.sources import fingerprint

        if not inputs or inputs[0].format != IMAGES:
            return None
        root, paths = image_paths(inputs[0])
        lines = []
        for path in paths:
            relative = path.resolve().relative_to(root.resolve()) if path.is_absolute() else path.relative_to(root)
            parent = relative.parent.as_posix()
            lines.append(json.dumps({"id": relative.as_posix(), "path": str(path), "folder": "" if parent == "." else parent}))
        if not lines:
            raise InputError(f"no image in {spec.input.path!r}")
        body = ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")
        target = folder / LISTING
        atomic_write(target, lambda f: f.write(body))
        return [fingerprint(target, "jsonl")], {"images": len(lines)}

    @classmethod
    def open_output(
        cls, spec: RunSpec, fmt: str, path: str | None, *, console: Any, resume_from: dict[str, int] | None
    ) -> Output:
        from affectlens.io.writers import open_output
        from affectlens.taxonomy import load_taxonomy

        if fmt == "table":
            return _FacesTable(path, console)
        labels = load_taxonomy(spec.options.taxonomy).names
        inner = open_output(fmt, path, labels=labels, console=console, resume_from=resume_from)
        return inner if fmt in ("json", "jsonl") else _Summaries(inner)


def summary_row(media: MediaAnalysis) -> Analysis:
    """The image's summary as a flat row: ``text`` names the image, evidence stays in ``media``."""
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


class _FacesTable(Output):
    """Each image and its faces, for people."""

    def __init__(self, path: str | None, console: Any) -> None:
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
        table = Table("image", "face", "box (x, y, w, h)", "labels", "scores", "confidence", header_style="bold")
        for media in self.rows:
            if not media.faces:
                table.add_row(safe(media.source), "-", "", "[dim]no face[/]", "", "")
            for n, face in enumerate(media.faces, start=1):
                a, b = face.analysis, face.box
                top = sorted(a.scores.items(), key=lambda kv: -kv[1])[:3]
                table.add_row(
                    safe(media.source) if n == 1 else "",
                    str(n),
                    f"{b.x}, {b.y}, {b.w}, {b.h}",
                    ", ".join(a.labels) or "[dim]—[/]",
                    " ".join(f"{k} {v:.2f}" for k, v in top),
                    f"{a.confidence:.2f}",
                )
        console.print(table)
        for media in self.rows:
            for warning in [*media.warnings, *(w for f in media.faces for w in f.analysis.warnings)]:
                console.print(f"[yellow]warning[/] ({safe(media.source)}): {safe(warning)}", highlight=False)
