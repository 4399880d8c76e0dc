"""``affectlens conversation``: analyse conversations; build the locally trained models."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import typer

from affectlens.cli import llm_options
from affectlens.cli.console import err, out, progress
from affectlens.io.terminal import plain, safe, visible
from affectlens.io.text import DEFAULT_MAX_CHARS

app = typer.Typer(
    help="Conversations: per-turn emotions in context, shifts, contagion, escalation, causes.", no_args_is_help=True
)

_FORMATS = ("table", "json", "jsonl")
_MAX_REPORTED = 20


@app.command("analyze")
def analyze_command(
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
    shift_threshold: float = typer.Option(0.5, "--shift-threshold", min=0.0, help="VAD jump that counts as a shift."),
    escalation_turns: int = typer.Option(
        4, "--escalation-turns", min=2, help="One speaker's turns of rising arousal and negative valence that make an escalation."
    ),
    plot: str = typer.Option(None, "--plot", help="Write a PNG per conversation (FILE, or FILE-<id>.png for several)."),
    max_chars: int = typer.Option(
        DEFAULT_MAX_CHARS, "--max-chars", help="Turns longer than this keep their place but are not analysed (reported)."
    ),
    local_dir: str = typer.Option(None, "--local-models", help="Folder of locally built models [default: the user data folder]."),
    base_url: str = llm_options.BASE_URL,
    model: str = llm_options.MODEL,
    strategy: str = llm_options.STRATEGY,
    samples: int = llm_options.SAMPLES,
    stimulus: str = llm_options.STIMULUS,
    few_shot_pool: str = llm_options.FEW_SHOT_POOL,
    concurrency: int = llm_options.CONCURRENCY,
    no_cache: bool = llm_options.NO_CACHE,
    config: str = llm_options.CONFIG,
    model_dir: str = llm_options.MODEL_DIR,
    timeout: float = llm_options.TIMEOUT,
    deadline: float = llm_options.DEADLINE,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress or summary on stderr."),
) -> None:
    """Analyse every conversation of a file of turns.

    A file output appears when the run is complete (an interrupted run leaves the old file, or none).
    """
    from affectlens.conversation.analyzer import ConversationAnalyzer
    from affectlens.conversation.io import Columns, read_conversations
    from affectlens.errors import InputError
    from affectlens.io.files import atomic_path, same_file

    fmt = format or (Path(output).suffix.lstrip(".") if output else "table")
    if fmt not in _FORMATS:
        raise InputError(f"unknown output format {fmt!r}", hint=f"use one of {', '.join(_FORMATS)}")
    if fmt == "table" and output:
        raise InputError("a table goes to the terminal", hint="write .json or .jsonl with -o")
    if output and input != "-" and Path(output).exists() and same_file(input, output):
        raise InputError(
            f"the output {output!r} is the input file: writing it would destroy the turns being read",
            hint="choose another file with -o",
        )
    settings = llm_options.backend_settings(
        base_url=base_url,
        model=model,
        strategy=strategy,
        samples=samples,
        stimulus=stimulus,
        few_shot_pool=few_shot_pool,
        concurrency=concurrency,
        no_cache=no_cache,
        config=config,
        model_dir=model_dir,
        timeout=timeout,
        deadline=deadline,
    )
    if settings and backend == "context":
        raise InputError(
            f"{', '.join('--' + k.replace('_', '-') for k in settings)} apply to LLM backends, not the conversation model",
            hint="add --backend openai (or transformers) to score turns with an LLM",
        )
    if plot:
        from affectlens.evaluation.plots import require_matplotlib

        require_matplotlib()
    columns = Columns(
        conversation_column, speaker_column, text_column, index_column, timestamp_column, turn_id_column, parent_column
    )
    read = read_conversations(
        input, columns=columns, input_format=input_format or ("jsonl" if input == "-" else None), max_chars=max_chars
    )
    for problem in read.problems[:_MAX_REPORTED]:
        err.print(f"[yellow]{safe(str(problem))}[/]", highlight=False, soft_wrap=True)
    if len(read.problems) > _MAX_REPORTED:
        err.print(f"[yellow]... and {len(read.problems) - _MAX_REPORTED} more problems[/]")
    if not read.conversations:
        raise InputError(
            f"no conversation to analyse in {input!r}", hint="each row needs a conversation id, a speaker and a text"
        )

    analyzer = ConversationAnalyzer(
        backend=backend, shift_threshold=shift_threshold, escalation_turns=escalation_turns, local_dir=local_dir, **settings
    )
    results = []
    with contextlib.ExitStack() as stack:
        sink = None
        if output:
            sink = stack.enter_context(open(stack.enter_context(atomic_path(output)), "w", encoding="utf-8"))
        advance = stack.enter_context(progress("turns", read.turns, enabled=not quiet and err.is_terminal))
        for conversation in read.conversations:
            result = analyzer.analyze(conversation)
            if advance:
                advance(len(conversation.texts))
            if fmt == "jsonl":
                line = result.model_dump_json()
                sink.write(line + "\n") if sink else _echo(line)
            else:
                results.append(result)
            if plot:
                from affectlens.evaluation.plots import conversation_plot

                target = Path(plot) if len(read.conversations) == 1 else _numbered(Path(plot), conversation.id)
                conversation_plot(result, target)
        if fmt == "json":
            text = json.dumps([r.model_dump(mode="json") for r in results], ensure_ascii=False, indent=2)
            sink.write(text + "\n") if sink else _echo(text)
    if fmt == "table":
        for result in results:
            _print_table(result)
    if not quiet:
        err.print(
            f"{len(read.conversations):,} conversations, {read.turns:,} turns analysed; {len(read.problems)} problems"
            + (f"; plots: {plot}" if plot else ""),
            highlight=False,
        )


def _echo(text: str) -> None:
    """JSON on stdout; a terminal sees control characters as symbols (JSON escapes only C0)."""
    typer.echo(visible(text) if sys.stdout.isatty() else text)


def _numbered(path: Path, conversation_id: str) -> Path:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in conversation_id)[:80]
    return path.with_name(f"{path.stem}-{safe}{path.suffix or '.png'}")


def _print_table(result) -> None:  # type: ignore[no-untyped-def]
    from rich.table import Table

    shifts = {s.turn: s for s in result.dynamics.shifts}
    causes: dict[int, list[str]] = {}
    for c in result.causes:
        causes.setdefault(c.effect_turn, []).append(f"{c.cause_turn} ({c.score:.2f})")
    tree = any(t.parent != (t.index - 1 if t.index else None) for t in result.turns)  # a reply thread: show who answers whom
    columns = ["#", *(["answers"] if tree else []), "speaker", "text", "emotion", "V / A", "shift", "caused by"]
    table = Table(*columns, header_style="bold", title=result.conversation_id)
    for t in result.turns:
        a = t.analysis
        text = a.text if len(a.text) <= 60 else a.text[:59] + "…"
        shift = ",".join(shifts[t.index].kinds) if t.index in shifts else ""
        emotion = f"{a.dominant} {a.scores.get(a.dominant or '', 0):.2f}" if a.dominant else ""
        table.add_row(
            str(t.index),
            *([str(t.parent) if t.parent is not None else ""] if tree else []),
            plain(t.speaker) if t.speaker is not None else plain("(unknown)", "dim"),
            plain(text),
            emotion,
            f"{a.vad.valence:+.2f} / {a.vad.arousal:+.2f}",
            shift,
            ", ".join(causes.get(t.index, [])),
        )
    out.print(table)
    d = result.dynamics

    def rate(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.2f}"

    out.print(
        f"inertia {rate(d.inertia)} · contagion {rate(d.contagion)} · shifts {len(d.shifts)} · "
        f"escalation {'yes: ' + ', '.join(f'{e.start_turn}-{e.end_turn}' for e in d.escalations) if d.escalations else 'no'}"
        f" · causes by {result.cause_model}",
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
