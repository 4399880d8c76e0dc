"""``affectlens analyze``: texts or a file in, analyses out."""

from __future__ import annotations

import itertools

import typer

from affectlens.analyzers.base import DEFAULT_MAX_CHARS
from affectlens.cli import llm_options
from affectlens.cli.console import err, out, progress
from affectlens.io.terminal import safe

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
    strict: bool = typer.Option(False, "--strict", help="Stop at the first bad row instead of skipping it."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary on stderr."),
) -> None:
    """Analyse texts: emotions, valence-arousal-dominance, sentiment, confidence."""
    from affectlens.analyzers.base import AnalyzeOptions
    from affectlens.api import get_analyzer
    from affectlens.batch import BadRow, analyze_records
    from affectlens.errors import InputError
    from affectlens.io.readers import Record, count_records, read_records
    from affectlens.io.writers import format_for, open_writer
    from affectlens.taxonomy import load_taxonomy

    if texts and input:
        raise InputError("give texts as arguments or a file with -i, not both")
    if not texts and not input:
        raise InputError("nothing to analyse", hint='pass texts (affectlens analyze "I love it") or a file (-i texts.txt)')
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
    labels = load_taxonomy(options.taxonomy).names
    fmt = format_for(output, format)
    records = (
        read_records(input, input_format=input_format, text_column=text_column, id_column=id_column)
        if input
        else iter([Record(n, text) for n, text in enumerate(texts, start=1)])
    )
    first = next(records, None)  # file-level problems surface here, before any output is opened
    if first is None:
        raise InputError(f"no texts in {input!r}")
    records = itertools.chain([first], records)
    analyzer = get_analyzer(
        backend,
        **llm_options.backend_settings(
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
        ),
    )
    bad: list[BadRow] = []

    def report(row: BadRow) -> None:
        bad.append(row)
        if len(bad) <= _MAX_REPORTED:
            err.print(f"[yellow]skipped row {row.line}:[/] {safe(row.reason)}", highlight=False, soft_wrap=True)

    writer = open_writer(fmt, output, labels=labels, console=out)
    show_progress = bool(input) and not quiet and err.is_terminal
    total = count_records(input, input_format=input_format) if show_progress else None
    try:
        with progress("analysing", total, enabled=show_progress) as advance:
            summary = analyze_records(
                records,
                analyzer,
                writer,
                options=options,
                chunk_size=batch_size,
                strict=strict,
                on_bad_row=report,
                on_progress=advance,
            )
    finally:
        writer.close()
    if len(bad) > _MAX_REPORTED:
        err.print(f"[yellow]... and {len(bad) - _MAX_REPORTED} more skipped rows[/]")
    llm_options.report_usage(analyzer, quiet=quiet)
    if input and summary.analysed == 0:
        raise InputError("no text in the input could be analysed")
    if input and not quiet:
        rate = summary.analysed / summary.seconds if summary.seconds else 0.0
        where = f" -> {output}" if output else ""
        skipped = f", {len(bad)} rows skipped" if bad else ""
        err.print(
            f"analysed {summary.analysed:,} texts in {summary.seconds:.1f}s ({rate:,.0f}/s){skipped}{where}", highlight=False
        )
