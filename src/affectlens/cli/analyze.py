"""``affectlens analyze``: texts or a file in, analyses out."""

from __future__ import annotations

import typer

from affectlens.cli import llm_options
from affectlens.cli.console import err, out, progress
from affectlens.io.terminal import safe
from affectlens.io.text import DEFAULT_MAX_CHARS

_MAX_REPORTED = 20


def analyze(
    texts: list[str] = typer.Argument(None, help="Texts to analyse (or use -i FILE)."),
    input: str = typer.Option(
        None, "--input", "-i", help="File to read: .txt (one text per line), .csv, .jsonl, .parquet; '-' for stdin."
    ),
    input_format: str = typer.Option(
        None, "--input-format", help="Input format when the suffix does not tell (txt, csv, jsonl, parquet)."
    ),
    text_column: str = typer.Option(None, "--text-column", help="Column or field holding the text [default: text]."),
    id_column: str = typer.Option(None, "--id-column", help="Column or field holding the id [default: id, when present]."),
    output: str = typer.Option(None, "--output", "-o", help="Write results to FILE (format from its suffix)."),
    format: str = typer.Option(None, "--format", "-f", help="table, json, jsonl, csv or parquet [default: table, or from -o]."),
    taxonomy: str = typer.Option(
        "goemotions",
        "--taxonomy",
        "-t",
        help="Label set of the answer: goemotions, ekman, plutchik, parrott[-secondary|-tertiary], sentiment.",
    ),
    backend: str = typer.Option("embedded", "--backend", "-b", help="Analyzer to use (see `affectlens backends`)."),
    max_chars: int = typer.Option(
        DEFAULT_MAX_CHARS, "--max-chars", help="Refuse texts longer than this (they are never cut silently)."
    ),
    batch_size: int = typer.Option(256, "--batch-size", min=1, help="Texts per chunk written to the output."),
    explain: bool = typer.Option(False, "--explain", "-e", help="Add verified evidence spans and a rationale."),
    min_confidence: float = typer.Option(
        0.0, "--min-confidence", help="Abstain (no labels, a warning) below this confidence, 0-1."
    ),
    vad_coverage: float = typer.Option(0.8, "--vad-coverage", help="Coverage of the VAD intervals, 0-1."),
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
    strict: bool = typer.Option(False, "--strict", help="Stop at the first bad row instead of skipping it."),
    resume: bool = typer.Option(
        False, "--resume", help="Continue an interrupted run into the same -o file (jsonl, csv, json, parquet)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary on stderr."),
) -> None:
    """Analyse texts: emotions, valence-arousal-dominance, sentiment, confidence.

    File outputs are committed as they go: an interrupted run (Ctrl-C, a crash, kill -9)
    continues where it stopped with the same command and --resume.
    """
    from affectlens.analyzers.base import AnalyzeOptions
    from affectlens.batch import BadRow, BatchJob, run_batch
    from affectlens.checkpoint import checkpoint_path
    from affectlens.errors import InputError

    options = AnalyzeOptions.build(
        None,
        {
            "taxonomy": taxonomy,
            "max_chars": max_chars,
            "explain": explain,
            "min_confidence": min_confidence,
            "vad_coverage": vad_coverage,
        },
    )
    job = BatchJob(
        input=input,
        texts=texts or None,
        input_format=input_format,
        text_column=text_column,
        id_column=id_column,
        output=output,
        format=format,
        options=options,
        backend=backend,
        backend_settings=llm_options.backend_settings(
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
        ),
        batch_size=batch_size,
        strict=strict,
        resume=resume,
    )
    bad: list[BadRow] = []

    def report(row: BadRow) -> None:
        bad.append(row)
        if len(bad) <= _MAX_REPORTED:
            err.print(f"[yellow]skipped row {row.line},[/] which {safe(row.reason)}", highlight=False, soft_wrap=True)

    def note(message: str) -> None:
        if not quiet:
            err.print(f"[dim]{safe(message)}[/]", highlight=False, soft_wrap=True)

    show_progress = bool(input) and not quiet and err.is_terminal
    try:
        with progress("analysing", None, enabled=show_progress) as bar:
            summary = run_batch(
                job,
                console=out,
                on_bad_row=report,
                on_progress=bar,
                on_total=bar.set_total if bar else None,
                on_note=note,
            )
    except BaseException:
        if output and input and checkpoint_path(output).exists():
            err.print(
                "[yellow]the rows done so far are kept:[/] run the same command with --resume to continue",
                highlight=False,
            )
        raise
    finally:
        if len(bad) > _MAX_REPORTED:
            err.print(f"[yellow]... and {len(bad) - _MAX_REPORTED} more skipped rows[/]")
    llm_options.report_usage(summary.analyzer, quiet=quiet)
    if input and summary.total_analysed == 0:
        raise InputError("no text in the input could be analysed")
    if input and not quiet:
        rate = summary.analysed / summary.seconds if summary.seconds else 0.0
        where = f" -> {safe(output)}" if output else ""
        skipped = f", {summary.total_bad:,} rows skipped" if summary.total_bad else ""
        before = f" (and {summary.analysed_before:,} before the interruption)" if summary.resumed_at is not None else ""
        err.print(
            f"analysed {summary.analysed:,} texts{before} in {summary.seconds:.1f}s ({rate:,.0f}/s){skipped}{where}",
            highlight=False,
        )
