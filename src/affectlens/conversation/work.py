"""The conversation work: files of turns → one :class:`ConversationAnalysis` per conversation.

Turns are grouped into conversations when the run is prepared (:func:`read_conversations`:
order, speakers, parents, turns too long to analyse, and every problem met), written one
conversation per line into the run's folder; the tasks read those lines. So a conversation
run resumes, reports, and runs on worker processes like every other run.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from affectlens.errors import ConfigError, InputError
from affectlens.io.files import atomic_write
from affectlens.io.readers import Record, read_records
from affectlens.io.writers import Output
from affectlens.runs.works import Work

if TYPE_CHECKING:
    from affectlens.runs.manifest import Task
    from affectlens.runs.sources import Source
    from affectlens.runs.spec import RunSpec
    from affectlens.runs.tasks import TaskResult

__all__ = ["FORMATS", "ConversationWork"]

FORMATS = ("table", "json", "jsonl")
PREPARED = "conversations.jsonl"
_MAX_PROBLEMS = 1000


class ConversationWork(Work):
    """Per-turn emotions in context, dynamics and causes, one conversation per row."""

    name = "conversations"
    sinks: ClassVar[tuple[str, ...]] = ("file", "stream")
    prepares = True
    files: ClassVar[tuple[str, ...]] = (PREPARED,)

    def __init__(self, spec: RunSpec, folder: Path | None, *, threads: int | None = None) -> None:
        from affectlens.conversation.analyzer import ConversationAnalyzer

        super().__init__(spec, folder, threads=threads)
        settings = spec.work.settings
        extra = dict(spec.backend.settings)
        if threads and spec.backend.name != "context":
            from affectlens.api import backends

            if "threads" in backends.get(spec.backend.name).settings_model.model_fields:
                extra["threads"] = threads
        self.analyzer_ = ConversationAnalyzer(
            backend=spec.backend.name,
            shift_threshold=settings["shift_threshold"],
            escalation_turns=settings["escalation_turns"],
            local_dir=settings.get("local_dir"),
            threads=threads,
            **extra,
        )
        self.analyzer = getattr(self.analyzer_, "turn_backend", None) if self.analyzer_.context is None else None
        self.plot = settings.get("plot")

    @property
    def backend_id(self) -> str | None:
        return self.analyzer_.backend_id

    def read(self, source: Source, task: Task) -> Iterator[Record]:
        return read_records(
            source.path,
            input_format="jsonl",
            text_column="id",
            extra=("conversation", "numbered"),
            max_chars=sys.maxsize >> 8,
            span=task.span,
        )

    def check_record(self, record: Record) -> Record:
        return record  # long turns are held in their place by the preparation, not refused

    def process(self, records: list[Record], result: TaskResult) -> list[Any]:
        from affectlens.conversation.analyzer import Conversation

        out = []
        for record in records:
            extra = record.extra or {}
            raw = extra["conversation"]
            held = {int(k): v for k, v in raw["held"].items()}
            conversation = Conversation(**{**raw, "held": held})
            analysis = self.analyzer_.analyze(conversation)
            if self.plot:
                from affectlens.conversation.plot import conversation_plot

                conversation_plot(analysis, _plot_path(Path(self.plot), conversation.id, bool(extra["numbered"])))
            out.append(analysis)
        return out

    def count(self, records: list[Record], results: list[Any], result: TaskResult) -> None:
        result.counts["turns"] = result.counts.get("turns", 0) + sum(len(r.turns) for r in results)

    @classmethod
    def cpu_bound(cls, spec: RunSpec) -> bool:
        return spec.backend.name == "context" or super().cpu_bound(spec)

    @classmethod
    def identity(cls, settings: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in settings.items() if k != "plot"}  # where plots go does not change the rows

    @classmethod
    def check(cls, spec: RunSpec) -> None:
        super().check(spec)
        if spec.sink.format not in FORMATS:
            raise InputError(
                f"unknown output format {spec.sink.format!r} for conversations", hint=f"use one of {', '.join(FORMATS)}"
            )
        if spec.sink.format == "table" and spec.sink.kind == "file":
            raise InputError("a table goes to the terminal", hint="write .json or .jsonl with -o")
        if spec.backend.name == "context" and spec.backend.settings:
            raise ConfigError(
                f"{', '.join(spec.backend.settings)} apply to a backend that scores turns, not the conversation model",
                hint="add --backend openai (or embedded, transformers) to score turns with it",
            )
        if spec.work.settings.get("plot"):
            from affectlens.plots import require_matplotlib

            require_matplotlib()

    @classmethod
    def prepare(
        cls, spec: RunSpec, inputs: list[Source], folder: Path, log: Callable[[str], None]
    ) -> tuple[list[Source], dict[str, Any]]:
        from affectlens.conversation.io import Columns, read_conversations
        from affectlens.runs.sources import MEDIA, fingerprint

        path = spec.input.path or "-"
        fmt = spec.input.format or ("jsonl" if path == "-" else None)
        if inputs and inputs[0].format == MEDIA:
            from affectlens.conversation.speech import conversations_from_speech

            read = conversations_from_speech(inputs[0], log)
        else:
            read = read_conversations(
                path, columns=Columns(**spec.work.settings["columns"]), input_format=fmt, max_chars=spec.options.max_chars
            )
        for problem in read.problems[:20]:
            log(str(problem))
        if len(read.problems) > 20:
            log(f"... and {len(read.problems) - 20} more problems")
        if not read.conversations:
            raise InputError(
                f"no conversation to analyse in {path!r}", hint="each row needs a conversation id, a speaker and a text"
            )
        numbered = len(read.conversations) > 1
        lines = []
        for conversation in read.conversations:
            raw = asdict(conversation)
            raw["held"] = {str(k): v for k, v in raw["held"].items()}
            lines.append(json.dumps({"id": conversation.id, "conversation": raw, "numbered": numbered}, ensure_ascii=False))
        target = folder / PREPARED
        body = ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")
        atomic_write(target, lambda f: f.write(body))
        details = {
            "conversations": len(read.conversations),
            "turns": read.turns,
            "problems": [str(p) for p in read.problems[:_MAX_PROBLEMS]],
            "problem_count": len(read.problems),
        }
        return [fingerprint(target, "jsonl")], details

    @classmethod
    def open_output(
        cls, spec: RunSpec, fmt: str, path: str | None, *, console: Any, resume_from: dict[str, int] | None
    ) -> Output:
        from affectlens.io.writers import open_output

        if fmt == "table":
            return _TableOutput(console)
        return open_output(fmt, path, labels=[], console=console, resume_from=resume_from)


def _plot_path(path: Path, conversation_id: str, numbered: bool) -> Path:
    if not numbered:
        return path
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in conversation_id)[:80]
    return path.with_name(f"{path.stem}-{safe}{path.suffix or '.png'}")


class _TableOutput(Output):
    """Each conversation as a table for people, printed as it comes."""

    def __init__(self, console: Any) -> None:
        self.console = console

    def write(self, analyses: list[Any]) -> None:
        from affectlens.conversation.table import print_conversation

        for result in analyses:
            print_conversation(result, self.console)

    def finish(self) -> None:
        return None
