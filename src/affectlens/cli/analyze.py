"""``affectlens analyze``: texts or a file in, analyses out — the one run with a file or stream sink."""

from __future__ import annotations

import typer

from affectlens.cli import backend_options, running
from affectlens.cli.console import err, out
from affectlens.io.terminal import safe
from affectlens.io.text import DEFAULT_MAX_CHARS

_MAX_REPORTED = 20


def analyze(
    ctx: typer.Context,
    texts: list[str] = typer.Argument(None, help="Texts to analyse, or image and audio files (or use -i FILE)."),
    input: str = typer.Option(
        None,
        "--input",
        "-i",
        help="File to read: .txt (one text per line), .csv, .jsonl, .parquet; an image, a recording, or a folder of them; "
        "'-' for stdin.",
    ),
    input_format: str = typer.Option(
        None, "--input-format", help="Input format when the suffix does not tell (txt, csv, jsonl, parquet, media)."
    ),
    text_column: str = typer.Option(None, "--text-column", help="Column or field holding the text [default: text]."),
    image_column: str = typer.Option(
        None, "--image-column", help="Column or field holding image paths (relative to the input file): analyse faces."
    ),
    faces: str = typer.Option(
        "detect", "--faces", help="Images: detect the faces, or 'whole' when each image is one face crop (FER-2013 style)."
    ),
    max_seconds: int = typer.Option(
        4 * 3600, "--max-seconds", help="Refuse recordings longer than this (read from the file before decoding)."
    ),
    max_pixels: int = typer.Option(
        50_000_000, "--max-pixels", help="Refuse images with more pixels than this, before decoding them."
    ),
    id_column: str = typer.Option(None, "--id-column", help="Column or field holding the id [default: id, when present]."),
    output: str = typer.Option(None, "--output", "-o", help="Write results to FILE (format from its suffix)."),
    format: str = typer.Option(None, "--format", "-f", help="table, json, jsonl, csv or parquet [default: table, or from -o]."),
    taxonomy: str = typer.Option(
        None,
        "--taxonomy",
        "-t",
        help="Label set of the answer: goemotions, ekman, plutchik, parrott[-secondary|-tertiary], sentiment "
        "[default: goemotions for texts, ekman (the face model's own) for images].",
    ),
    backend: str = typer.Option("embedded", "--backend", "-b", help="Analyzer to use (see `affectlens backends`)."),
    option: list[str] = backend_options.OPTION,
    backend_config: str = backend_options.CONFIG,
    max_chars: int = typer.Option(
        DEFAULT_MAX_CHARS, "--max-chars", help="Refuse texts longer than this (they are never cut silently)."
    ),
    batch_size: int = typer.Option(256, "--batch-size", min=1, help="Texts per chunk written and committed to the output."),
    explain: bool = typer.Option(False, "--explain", "-e", help="Add verified evidence spans and a rationale."),
    min_confidence: float = typer.Option(
        0.0, "--min-confidence", help="Abstain (no labels, a warning) below this confidence, 0-1."
    ),
    vad_coverage: float = typer.Option(0.8, "--vad-coverage", help="Coverage of the VAD intervals, 0-1."),
    workers: int = running.WORKERS,
    threads: int = running.THREADS,
    strict: bool = typer.Option(False, "--strict", help="Stop at the first bad row instead of skipping it."),
    resume: bool = typer.Option(
        False, "--resume", help="Continue an interrupted run into the same -o file (jsonl, csv, json, parquet)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary on stderr."),
) -> None:
    """Analyse texts: emotions, valence-arousal-dominance, sentiment, confidence — or images:
    the faces in them, each with the same answer, its box and (with --explain) the facial
    regions that carry its label (needs affectlens[faces]; see docs/faces.md).

    File outputs are committed as they go: an interrupted run (Ctrl-C, a crash, kill -9)
    continues where it stopped with the same command and --resume.
    """
    from pathlib import Path

    from affectlens.analyzers.base import AnalyzeOptions
    from affectlens.errors import InputError
    from affectlens.io.readers import MEDIA_SUFFIXES
    from affectlens.io.writers import format_for
    from affectlens.runs import Columns, InputSpec, Named, RunSpec, SinkSpec
    from affectlens.runs.sources import is_media_input

    if input is not None and texts:
        raise InputError("give texts or an input file, not both")
    if input is None and not texts:
        raise InputError("nothing to analyse", hint='pass texts (affectlens analyze "I love it") or a file (-i texts.txt)')
    if image_column and text_column:
        raise InputError("give --text-column or --image-column, not both")
    if max_pixels < 1 or max_seconds < 1:
        raise InputError("--max-pixels and --max-seconds must be at least 1")
    image_files = bool(texts) and all(Path(t).suffix.lower() in MEDIA_SUFFIXES and is_media_input(t) for t in texts)
    images = bool(image_column) or image_files or is_media_input(input, input_format)
    options = AnalyzeOptions.build(
        None,
        {
            "taxonomy": taxonomy or ("ekman" if images else "goemotions"),
            "max_chars": max_chars,
            "explain": explain,
            "min_confidence": min_confidence,
            "vad_coverage": vad_coverage,
        },
    )
    fmt = format_for(output, format)
    to_file = output not in (None, "-")
    spec = RunSpec(
        input=InputSpec(
            path=input,
            texts=None if input is not None else list(texts),
            format=input_format,
            columns=Columns(text=image_column or text_column, id=id_column),
        ),
        work=Named(name="media", settings={"max_pixels": max_pixels, "faces": faces, "max_seconds": max_seconds})
        if images
        else Named(name="emotions"),
        backend=Named(name=backend, settings=backend_options.backend_settings(backend, option, backend_config)),
        options=options,
        engine=running.engine_spec("local", None, workers, threads),
        sink=SinkSpec(kind="file" if to_file else "stream", path=output if to_file else None, format=fmt),
        chunk_rows=batch_size,
        strict=strict,
        command=running.command_line(ctx),
    )
    bad: list[dict] = []

    def report(row: dict) -> None:
        bad.append(row)
        if len(bad) <= _MAX_REPORTED:
            err.print(f"[yellow]skipped row {row['line']},[/] which {safe(row['reason'])}", highlight=False, soft_wrap=True)

    def note(message: str) -> None:
        if not quiet:
            err.print(f"[dim]{safe(message)}[/]", highlight=False, soft_wrap=True)

    try:
        summary = running.run(
            spec,
            label="analysing",
            quiet=quiet,
            show_progress=bool(input) or image_files,
            resume=resume,
            console=out,
            on_bad_row=report,
            on_note=note,
        )
    except BaseException:
        folder = spec.folder_of_sink()
        if to_file and input and folder is not None and (folder / "manifest.json").exists():
            running.kept_note("the rows done so far are")
            err.print("  [dim]hint:[/] add --resume to continue", highlight=False)
        raise
    finally:
        if len(bad) > _MAX_REPORTED:
            err.print(f"[yellow]... and {len(bad) - _MAX_REPORTED} more skipped rows[/]")
    backend_options.report_usage(summary.analyzer, quiet=quiet)
    p, before = summary.progress, summary.before
    what = "files" if images else "texts"
    if (input or image_files) and p.analysed == 0:
        raise InputError(f"no {'image or recording' if images else 'text'} in the input could be analysed")
    if input and not quiet:
        analysed = p.analysed - before.analysed
        rate = analysed / summary.seconds if summary.seconds else 0.0
        where = f" -> {safe(output)}" if to_file else ""
        skipped = f", {p.bad_rows:,} rows skipped" if p.bad_rows else ""
        earlier = f" (and {before.analysed:,} before the interruption)" if summary.resumed else ""
        err.print(
            f"analysed {analysed:,} {what}{earlier} in {summary.seconds:.1f}s ({rate:,.0f}/s){skipped}{where}", highlight=False
        )
