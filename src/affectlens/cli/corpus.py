"""``affectlens corpus``: analyse a corpus into a run folder; aggregate, compare, explain, report."""

from __future__ import annotations

import typer

from affectlens.cli import backend_options, running
from affectlens.cli.console import err
from affectlens.io.terminal import safe
from affectlens.io.text import DEFAULT_MAX_CHARS

app = typer.Typer(
    help="Corpora: millions of texts into a resumable run folder; aggregates over time and groups; reports.",
    no_args_is_help=True,
)


@app.command("analyze")
def analyze_command(
    ctx: typer.Context,
    input: str = typer.Argument(
        ..., help="A file, a glob ('posts/*.jsonl') or a folder of .txt/.csv/.jsonl/.parquet files, or of images and recordings."
    ),
    output: str = typer.Option(..., "--output", "-o", help="The run folder (new, empty, or an earlier run's to continue)."),
    input_format: str = typer.Option(None, "--input-format", help="txt, csv, jsonl or parquet when suffixes do not tell."),
    text_column: str = typer.Option(None, "--text-column", help="Column or field holding the text [default: text]."),
    id_column: str = typer.Option(None, "--id-column", help="Column or field holding the id [default: id, when present]."),
    time_column: str = typer.Option(None, "--time-column", help="Column with the time (ISO 8601, a date, or epoch seconds)."),
    group_columns: list[str] = typer.Option(
        None, "--group-column", "-g", help="A column to group by in aggregates (repeat for several)."
    ),
    taxonomy: str = typer.Option(
        None, "--taxonomy", "-t", help="Label set of the answer [default: goemotions for texts, ekman for images]."
    ),
    image_column: str = typer.Option(
        None, "--image-column", help="Column holding image paths (relative to the input file): analyse faces."
    ),
    faces: str = typer.Option("detect", "--faces", help="Images: detect faces, or 'whole' when each image is one face crop."),
    max_pixels: int = typer.Option(None, "--max-pixels", min=1, help="Refuse images with more pixels (before decoding)."),
    max_seconds: float = typer.Option(None, "--max-seconds", min=1, help="Refuse longer recordings (before decoding)."),
    backend: str = typer.Option("embedded", "--backend", "-b", help="Analyzer to use (see `affectlens backends`)."),
    option: list[str] = backend_options.OPTION,
    backend_config: str = backend_options.CONFIG,
    explain: bool = typer.Option(False, "--explain", "-e", help="Add evidence spans (a nested column)."),
    max_chars: int = typer.Option(DEFAULT_MAX_CHARS, "--max-chars", help="Rows with longer texts are reported, not cut."),
    engine: str = running.ENGINE,
    ray_address: str = running.RAY_ADDRESS,
    workers: int = running.WORKERS,
    threads: int = running.THREADS,
    restart: bool = typer.Option(False, "--restart", help="Start the run folder afresh instead of continuing it."),
    chunk_rows: int = typer.Option(2000, "--chunk-rows", min=1, help="Rows per task (a task is the unit of commit and resume)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary on stderr."),
) -> None:
    """Analyse a corpus into a run folder of Parquet parts and a manifest.

    Kill it at any moment and run the same command again: it continues where it stopped,
    and ends with every input row once.
    """
    from pathlib import Path

    from affectlens.corpus.run import corpus_spec
    from affectlens.errors import BackendError, OutputError

    engine_named = running.engine_spec(engine, ray_address, workers, threads)
    spec = corpus_spec(
        input,
        output,
        input_format=input_format,
        text_column=text_column,
        id_column=id_column,
        time_column=time_column,
        group_columns=group_columns or [],
        backend=backend,
        backend_settings=backend_options.backend_settings(backend, option, backend_config),
        taxonomy=taxonomy,
        explain=explain,
        max_chars=max_chars,
        image_column=image_column,
        faces=faces,
        max_pixels=max_pixels,
        max_seconds=max_seconds,
        engine=engine_named.name,
        engine_settings=engine_named.settings,
        chunk_rows=chunk_rows,
        command=running.command_line(ctx),
    )

    def note(line: str) -> None:
        if not quiet:
            err.print(f"[dim]{safe(line)}[/]", highlight=False, soft_wrap=True)

    def started(manifest, left) -> None:  # type: ignore[no-untyped-def]
        p = manifest.progress
        if p.tasks_done:
            note(f"continuing {output}: {p.tasks_done:,} of {p.tasks:,} tasks done ({p.analysed:,} analysed, {p.bad_rows:,} bad)")

    try:
        summary = running.run(spec, label="analysing", quiet=quiet, restart=restart, on_note=note, on_start=started)
    except (KeyboardInterrupt, BackendError, OutputError):  # stopped inside the run, not refused
        if (Path(output) / "manifest.json").exists():
            running.kept_note("the parts written so far are")
        raise
    if quiet:
        return
    manifest = summary.manifest
    p = manifest.progress
    rate = p.rows_done / manifest.elapsed_s if manifest.elapsed_s else 0.0
    err.print(
        f"{p.analysed:,} rows analysed, {p.bad_rows:,} bad rows, {p.reused:,} identical texts reused "
        f"({p.rows_done:,} input rows in {manifest.elapsed_s:,.1f} s, {rate:,.0f}/s) -> {safe(output)}",
        highlight=False,
    )
    err.print(f"[dim]{safe(running.how_it_ran(manifest))}[/]", highlight=False)
    for bad in manifest.bad_examples[:10]:
        err.print(
            f"[yellow]bad row[/] {safe(Path(bad['file']).name)} line {bad['line']} {safe(bad['reason'])}",
            highlight=False,
            soft_wrap=True,
        )
    if p.bad_rows > 10:
        err.print(f"[yellow]... {p.bad_rows - 10:,} more in {safe(output)}/bad/[/]", highlight=False)
    if p.without_time:
        err.print(f"[yellow]{p.without_time:,} rows have no readable time[/] (left out of time series)", highlight=False)


_TABLE_FORMATS = ("table", "csv", "json", "parquet")
RUN_DIR = typer.Argument(..., help="The run folder written by `affectlens corpus analyze`.")
OUTPUT = typer.Option(None, "--output", "-o", help="Write the table to FILE (.csv, .json or .parquet).")
FORMAT = typer.Option(None, "--format", "-f", help="table, csv, json or parquet [default: table, or from -o].")


def _emit(frame, output: str | None, fmt: str | None, *, title: str, shown: int = 40, view=None) -> None:  # type: ignore[no-untyped-def]
    """A polars table to a file (atomically), to stdout as CSV/JSON, or as a table for people
    (only the ``view`` columns, when given: the files keep them all)."""
    from pathlib import Path

    from affectlens.errors import InputError

    fmt = fmt or (Path(output).suffix.lstrip(".").lower() if output else "table")
    if fmt not in _TABLE_FORMATS:
        raise InputError(f"unknown table format {fmt!r}", hint=f"use one of {', '.join(_TABLE_FORMATS)}")
    if output:
        from affectlens.io.files import atomic_path

        if fmt == "table":
            raise InputError("a table is for the terminal", hint="write .csv, .json or .parquet with -o")
        with atomic_path(output) as tmp:
            {"csv": frame.write_csv, "json": frame.write_json, "parquet": frame.write_parquet}[fmt](tmp)
        err.print(f"{frame.height:,} rows -> {safe(output)}", highlight=False)
        return
    if fmt == "csv":
        typer.echo(frame.write_csv(), nl=False)
    elif fmt == "json":
        typer.echo(frame.write_json())
    elif fmt == "parquet":
        raise InputError("Parquet needs a file", hint="pass -o FILE.parquet")
    else:
        _print_frame(frame.select(view) if view else frame, title=title, shown=shown)


def _print_frame(frame, *, title: str, shown: int) -> None:  # type: ignore[no-untyped-def]
    from rich.table import Table

    from affectlens.cli.console import out
    from affectlens.io.terminal import plain

    table = Table(title=title, header_style="bold")
    for column in frame.columns:
        table.add_column(column, overflow="fold")
    for row in frame.head(shown).iter_rows():
        table.add_row(*(plain(_cell(v)) for v in row))
    out.print(table)
    if frame.height > shown:
        out.print(f"[dim]... {frame.height - shown:,} more rows: write them all with -o FILE.csv[/]", highlight=False)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d")  # type: ignore[union-attr]
    return str(value)


@app.command("aggregate")
def aggregate_command(
    run_dir: str = RUN_DIR,
    every: str = typer.Option("week", "--every", help="day, week, month, quarter, year, or all (no time buckets)."),
    by: list[str] = typer.Option(None, "--by", help="A group column of the run (repeat for several)."),
    min_n: int = typer.Option(30, "--min-n", min=1, help="Cells with fewer texts are flagged low_n (never hidden)."),
    measure: str = typer.Option(None, "--measure", help="Only this measure (share, mean_score, valence, sentiment…)."),
    output: str = OUTPUT,
    format: str = FORMAT,
) -> None:
    """A tidy table per time bucket and group: label shares, mean scores, VAD, sentiment, with 95% intervals."""
    from affectlens.corpus.aggregate import aggregate

    frame = aggregate(run_dir, every=None if every == "all" else every, by=by or [], min_n=min_n)
    if measure:
        frame = frame.filter(frame["measure"] == measure)
    view = [c for c in frame.columns if c not in ("measure",) or not measure]
    _emit(frame, output, format, title=f"{run_dir}: every {every}", view=view)


@app.command("compare")
def compare_command(
    run_dir: str = RUN_DIR,
    a: str = typer.Option(..., "--a", help="First selection: START..END and/or COLUMN=VALUE, comma-separated."),
    b: str = typer.Option(..., "--b", help="Second selection, compared with the first."),
    output: str = OUTPUT,
    format: str = FORMAT,
) -> None:
    """Two windows or two groups, measure by measure: difference, interval, effect size, q-value."""
    from affectlens.corpus.aggregate import compare

    frame = compare(run_dir, a, b).sort("q", nulls_last=True)
    view = ["measure", "label", "a", "b", "difference", "ci_low", "ci_high", "effect", "q", "significant"]
    _emit(frame, output, format, title=f"{a}  vs  {b}  (sorted by q)", view=view)


@app.command("drivers")
def drivers_command(
    run_dir: str = RUN_DIR,
    label: str = typer.Option(..., "--label", "-l", help="The emotion whose change to explain."),
    a: str = typer.Option(..., "--a", help="Before: START..END and/or COLUMN=VALUE."),
    b: str = typer.Option(..., "--b", help="After: START..END and/or COLUMN=VALUE."),
    top: int = typer.Option(20, "--top", min=1, help="Words in each direction."),
    function_words: bool = typer.Option(
        False, "--function-words", help="Also rank function words (the, about, I'm…), left out by default."
    ),
    output: str = OUTPUT,
    format: str = FORMAT,
) -> None:
    """The words whose use for an emotion changed most between two selections (log-odds, informative prior)."""
    from affectlens.corpus.drivers import drivers

    frame = drivers(run_dir, label, a, b, top=top, function_words=function_words)
    _emit(frame, output, format, title=f"{label}: {a} -> {b}")


@app.command("changes")
def changes_command(
    run_dir: str = RUN_DIR,
    every: str = typer.Option("week", "--every", help="day, week, month, quarter or year."),
    by: list[str] = typer.Option(None, "--by", help="A group column of the run (repeat for several)."),
    label: list[str] = typer.Option(None, "--label", "-l", help="Only these labels (repeat) [default: all]."),
    output: str = OUTPUT,
    format: str = FORMAT,
) -> None:
    """Change points in each label's share over time, with their dates."""
    from affectlens.corpus.changepoints import change_points

    frame = change_points(run_dir, every=every, by=by or [], labels=label or None)
    _emit(frame, output, format, title=f"change points, every {every}")


@app.command("report")
def report_command(
    run_dir: str = RUN_DIR,
    output: str = typer.Option(..., "--output", "-o", help="The HTML file to write (self-contained: opens offline)."),
    every: str = typer.Option("week", "--every", help="day, week, month, quarter or year."),
    by: list[str] = typer.Option(None, "--by", help="A group column of the run (repeat for several)."),
    label: list[str] = typer.Option(None, "--label", "-l", help="Emotions to show (repeat) [default: the most frequent]."),
    top: int = typer.Option(5, "--top", min=1, help="How many of the most frequent emotions to show."),
) -> None:
    """One self-contained HTML report: emotions and VAD over time with intervals, change points and
    their drivers, examples with evidence, data quality, and how it was made."""
    from affectlens.corpus.report import report

    path = report(run_dir, output, every=every, by=by or [], labels=label or None, top_labels=top)
    err.print(f"report -> {safe(str(path))} ({path.stat().st_size / 1e6:.1f} MB, opens offline)", highlight=False)
