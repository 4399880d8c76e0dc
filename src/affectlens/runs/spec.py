"""The run spec: everything a run is, as data the CLI builds, the service stores and the library executes.

::

    RunSpec
      input    where the rows come from: a file, a glob, a folder, "-" (stdin), or texts;
               its format and columns (text, id, time, groups)
      work     what a row becomes, by name: emotions, conversations, polarization (+ settings)
      backend  the analyzer, by name, with its settings (validated by the backend's model)
      options  AnalyzeOptions: taxonomy, explain, max_chars, min_confidence, vad_coverage
      engine   local (worker processes) or ray, with its settings
      sink     a run folder of Parquet parts, a file (committed task by task), or a stream
      chunk_rows, strict, command

A spec is validated when it is built (``extra="forbid"`` everywhere: an unknown field is an
error, not a default). :meth:`RunSpec.identity_settings` is what changes the rows; with the
inputs' fingerprints and the versions it is the run's identity
(:class:`~affectlens.runs.manifest.Identity`), checked before a run is continued.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from affectlens.analyzers.base import AnalyzeOptions
from affectlens.errors import ConfigError

__all__ = ["DEFAULT_CHUNK_ROWS", "Columns", "InputSpec", "Named", "RunSpec", "SinkSpec"]

DEFAULT_CHUNK_ROWS = 2000


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Columns(_Spec):
    text: str | None = Field(None, description="column or field holding the text [default: text]")
    id: str | None = Field(None, description="column holding the id [default: id, when present]")
    time: str | None = Field(None, description="column holding the time (ISO 8601, a date, epoch seconds)")
    groups: list[str] = Field(default_factory=list, description="columns to group by in aggregates")


class InputSpec(_Spec):
    path: str | None = Field(None, description="a file, a glob, a folder, or '-' for standard input")
    texts: list[str] | None = Field(None, description="or the texts themselves")
    format: str | None = Field(None, description="txt, csv, jsonl or parquet when suffixes do not tell")
    columns: Columns = Field(default_factory=Columns)
    roots: list[str] | None = Field(
        None, description="the folders the run may open inputs in, checked on each opened file (the service's jobs)"
    )

    @model_validator(mode="after")
    def _one_source(self) -> InputSpec:
        if (self.path is None) == (self.texts is None):
            raise ValueError("give an input path or texts, not both and not neither")
        return self

    @property
    def streamed(self) -> bool:
        """Read once, front to back (standard input, a pipe, given texts): it cannot be planned or resumed."""
        if self.texts is not None or self.path == "-":
            return True
        from affectlens.io.files import is_special

        return is_special(self.path)  # type: ignore[arg-type]


class Named(_Spec):
    """An implementation found by name in a registry, and its settings."""

    name: str
    settings: dict[str, Any] = Field(default_factory=dict)


class SinkSpec(_Spec):
    kind: Literal["folder", "file", "stream"] = Field(
        description="folder: a run folder of Parquet parts; file: one output file, committed task by task; "
        "stream: standard output (or a special file), not resumable"
    )
    path: str | None = Field(None, description="the run folder or the output file")
    format: str | None = Field(None, description="file and stream: table, json, jsonl, csv or parquet")

    @model_validator(mode="after")
    def _path(self) -> SinkSpec:
        if self.kind != "stream" and not self.path:
            raise ValueError(f"a {self.kind} sink needs a path")
        return self


class RunSpec(_Spec):
    input: InputSpec
    work: Named = Field(default_factory=lambda: Named(name="emotions"))
    backend: Named = Field(default_factory=lambda: Named(name="embedded"))
    options: AnalyzeOptions = Field(default_factory=AnalyzeOptions)
    engine: Named = Field(default_factory=lambda: Named(name="local"))
    sink: SinkSpec
    chunk_rows: int = Field(DEFAULT_CHUNK_ROWS, ge=1, description="rows per task: the unit of commit and resume")
    strict: bool = Field(False, description="stop at the first bad row instead of reporting it and carrying on")
    command: str | None = Field(None, description="what made the run (recorded in the manifest)")

    @classmethod
    def parse(cls, raw: str | bytes) -> RunSpec:
        """A spec from its JSON form; a bad one is a :class:`ConfigError`."""
        from pydantic import ValidationError

        try:
            return cls.model_validate_json(raw)
        except ValidationError as exc:
            raise ConfigError(f"invalid run spec: {exc.errors()[0]['msg']} at {exc.errors()[0]['loc']}") from exc

    def identity_settings(self) -> dict[str, Any]:
        """Everything that changes the rows (not the engine, the chunk size or the command)."""
        from affectlens.runs.works import works
        from affectlens.settings import public_settings

        model = _settings_model(self.backend.name)
        settings: dict[str, Any] = {
            "backend": self.backend.name,
            "backend_settings": public_settings(model, _without_engine(self.backend.settings)),
            "options": self.options.model_dump(mode="json"),
            "columns": self.input.columns.model_dump(mode="json"),
            "input_format": self.input.format,
            "work": self.work.name,
            "work_settings": works.get(self.work.name).identity(self.work.settings),
        }
        if self.sink.kind != "folder":
            settings["format"] = self.sink.format
        return settings

    def public(self) -> dict[str, Any]:
        """The spec as it may be written down (secrets masked; see :mod:`affectlens.settings`)."""
        from affectlens.settings import public_settings

        data = self.model_dump(mode="json", exclude={"input": {"texts"}})
        data["backend"]["settings"] = public_settings(_settings_model(self.backend.name), self.backend.settings)
        return data

    def readable_roots(self) -> list[str] | None:
        """The folders the run may open files in: the input's allowed folders and the run's own
        folder (where a work writes what it prepared, such as an image listing); None: anywhere."""
        if self.input.roots is None:
            return None
        own = self.folder_of_sink()
        return [*self.input.roots, *([str(own)] if own is not None else [])]

    def folder_of_sink(self) -> Path | None:
        """Where the run keeps its manifest: the run folder; beside a file output, a hidden
        folder; nothing for a stream."""
        if self.sink.kind == "folder":
            return Path(self.sink.path)  # type: ignore[arg-type]
        if self.sink.kind == "file":
            target = Path(self.sink.path)  # type: ignore[arg-type]
            return target.with_name(f".{target.name}.affectlens-run")
        return None


# settings of how a backend runs, not of what it answers: the engine sets them per worker
ENGINE_SETTINGS = ("threads", "batch_size", "concurrency", "spinning")


def _settings_model(name: str) -> Any:
    """The settings model of backend ``name``; a name the registry does not know (the
    conversation model, ``context``) takes no settings."""
    from affectlens.api import backends
    from affectlens.settings import BackendSettings

    return backends.get(name).settings_model if name in backends else BackendSettings


def _without_engine(settings: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in settings.items() if k not in ENGINE_SETTINGS}
