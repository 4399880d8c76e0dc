"""``affectlens conversation``: analyse conversations; build the locally trained models."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import typer

from affectlens.cli import backend_options, running
from affectlens.cli.console import err, out
from affectlens.io.terminal import safe
from affectlens.io.text import DEFAULT_MAX_CHARS

app = typer.Typer(
    help="Conversations: per-turn emotions in context, shifts, contagion, escalation, causes.", no_args_is_help=True
)


@app.command("analyze")
def analyze_command(
    ctx: typer.Context,
    input: str = typer.Argument(..., help="JSONL, CSV or Parquet file of turns ('-' for JSONL on stdin)."),
    input_format: str = typer.Option(None, "--input-format", help="csv, jsonl or parquet when the suffix does not tell."),
    conversation_column: str = typer.Option("conversation_id", "--conversation-column", help="Column with the conversation id."),
    speaker_column: str = typer.Option("speaker", "--speaker-column", help="Column with the speaker."),
    text_column: str = typer.Option("text", "--text-column", help="Column with the turn's text."),
    index_column: str = typer.Option("index", "--index-column", help="Optional column with the turn's position."),
    timestamp_column: str = typer.Option("timestamp", "--timestamp-column", help="Optional column with the turn's time."),
    turn_id_column: str = typer.Option("id", "--turn-id-column", help="Optional column with the turn's own id."),
    parent_column: str = typer.Option(
        "parent_id",
        "--parent-column",
        help="Optional column with the id of the turn answered (reply threads); default: the turn before.",
    ),
    output: str = typer.Option(None, "--output", "-o", help="Write results to FILE (.json or .jsonl)."),
    format: str = typer.Option(None, "--format", "-f", help="table, json (one array) or jsonl (one object per conversation)."),
    backend: str = typer.Option(
        "context", "--backend", "-b", help="context (the conversation model, default) or any backend, turn by turn."
    ),
    option: list[str] = backend_options.OPTION,
    backend_config: str = backend_options.CONFIG,
    shift_threshold: float = typer.Option(0.5, "--shift-threshold", min=0.0, help="VAD jump that counts as a shift."),
    escalation_turns: int = typer.Option(
        4, "--escalation-turns", min=2, help="One speaker's turns of rising arousal and negative valence that make an escalation."
    ),
    plot: str = typer.Option(None, "--plot", help="Write a PNG per conversation (FILE, or FILE-<id>.png for several)."),
    max_chars: int = typer.Option(
        DEFAULT_MAX_CHARS, "--max-chars", help="Turns longer than this keep their place but are not analysed (reported)."
    ),
    local_dir: str = typer.Option(None, "--local-models", help="Folder of locally built models [default: the user data folder]."),
    workers: int = running.WORKERS,
    threads: int = running.THREADS,
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted run into the same -o file."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress or summary on stderr."),
) -> None:
    """Analyse every conversation of a file of turns.

    A file output is committed conversation by conversation; an interrupted run continues
    with the same command and --resume.
    """
    from affectlens.analyzers.base import AnalyzeOptions
    from affectlens.conversation.analyzer import CONTEXT_BACKEND
    from affectlens.conversation.io import Columns
    from affectlens.errors import InputError
    from affectlens.runs import InputSpec, Named, RunSpec, SinkSpec

    fmt = format or (Path(output).suffix.lstrip(".") if output else "table")
    if backend == CONTEXT_BACKEND and (option or backend_config):
        raise InputError(
            "-O and --backend-config apply to a backend that scores turns, not the conversation model",
            hint="add --backend openai (or embedded, transformers) to score turns with it",
        )
    settings = {} if backend == CONTEXT_BACKEND else backend_options.backend_settings(backend, option, backend_config)
    columns = Columns(
        conversation_column, speaker_column, text_column, index_column, timestamp_column, turn_id_column, parent_column
    )
    to_file = output not in (None, "-")
    spec = RunSpec(
        input=InputSpec(path=input, format=input_format),
        work=Named(
            name="conversations",
            settings={
                "columns": asdict(columns),
                "shift_threshold": shift_threshold,
                "escalation_turns": escalation_turns,
                "local_dir": local_dir,
                "plot": plot,
            },
        ),
        backend=Named(name=backend, settings=settings),
        options=AnalyzeOptions(max_chars=max_chars),
        engine=running.engine_spec("local", None, workers, threads),
        sink=SinkSpec(kind="file" if to_file else "stream", path=output if to_file else None, format=fmt),
        chunk_rows=16,
        command=running.command_line(ctx),
    )

    def note(line: str) -> None:
        if not quiet:
            err.print(f"[yellow]{safe(line)}[/]", highlight=False, soft_wrap=True)

    try:
        summary = running.run(spec, label="conversations", quiet=quiet, resume=resume, console=out, on_note=note)
    except BaseException:
        folder = spec.folder_of_sink()
        if to_file and folder is not None and (folder / "manifest.json").exists():
            running.kept_note("the conversations done so far are")
            err.print("  [dim]hint:[/] add --resume to continue", highlight=False)
        raise
    if not quiet:
        d = summary.manifest.details
        err.print(
            f"{d.get('conversations', 0):,} conversations, {d.get('turns', 0):,} turns analysed; "
            f"{d.get('problem_count', 0)} problems" + (f"; plots: {plot}" if plot else ""),
            highlight=False,
        )


@app.command("build")
def build_command(
    data_dir: str = typer.Option(
        None, "--data-dir", help="Folder with reccon/ and dailydialog/ [default: $AFFECTLENS_DATA_DIR]."
    ),
    out_dir: str = typer.Option(
        None, "--out", help="Where to write the models [default: $AFFECTLENS_MODEL_DIR or the user data folder]."
    ),
    no_dailydialog: bool = typer.Option(False, "--no-dailydialog", help="Only the cause model (skips encoding 90k turns)."),
) -> None:
    """Train the models whose data may not be shipped: the RECCON cause model and the DailyDialog head.

    RECCON and DailyDialog are licensed for non-commercial use, so these models are built on
    your machine from your copy of the data (a few minutes on 2 cores) and stay there.
    """
    from affectlens.conversation.causes import local_model_dir
    from affectlens.evaluation.conversation_models import build_local_models
    from affectlens.evaluation.datasets.readers import resolve_data_dir

    target = Path(out_dir) if out_dir else local_model_dir()
    report = build_local_models(
        resolve_data_dir(data_dir), target, dailydialog=not no_dailydialog, log=lambda line: err.print(line, highlight=False)
    )
    typer.echo(json.dumps(report, indent=2))
