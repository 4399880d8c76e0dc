"""``affectlens corpus``: analyse a corpus into a run folder; aggregate, compare, explain, report."""

from __future__ import annotations

import typer

from affectlens.analyzers.base import DEFAULT_MAX_CHARS
from affectlens.cli import llm_options
from affectlens.cli.console import err, progress
from affectlens.io.terminal import safe

app = typer.Typer(
    help="Corpora: millions of texts into a resumable run folder; aggregates over time and groups; reports.",
    no_args_is_help=True,
)


@app.command("analyze")
def analyze_command(
    input: str = typer.Argument(..., help="A file, a glob ('posts/*.jsonl') or a folder of .txt/.csv/.jsonl/.parquet files."),
    output: str = typer.Option(..., "--output", "-o", help="The run folder (new, empty, or an earlier run's to continue)."),
    input_format: str = typer.Option(None, "--input-format", help="txt, csv, jsonl or parquet when suffixes do not tell."),
    text_column: str = typer.Option(None, "--text-column", help="Column or field holding the text [default: text]."),
    id_column: str = typer.Option(None, "--id-column", help="Column or field holding the id [default: id, when present]."),
    time_column: str = typer.Option(None, "--time-column", help="Column with the time (ISO 8601, a date, or epoch seconds)."),
    group_columns: list[str] = typer.Option(
        None, "--group-column", "-g", help="A column to group by in aggregates (repeat for several)."
    ),
    taxonomy: str = typer.Option("goemotions", "--taxonomy", "-t", help="Label set of the answer."),
    backend: str = typer.Option("embedded", "--backend", "-b", help="Analyzer to use (see `affectlens backends`)."),
    explain: bool = typer.Option(False, "--explain", "-e", help="Add evidence spans (a nested column)."),
    max_chars: int = typer.Option(DEFAULT_MAX_CHARS, "--max-chars", help="Rows with longer texts are reported, not cut."),
    engine: str = typer.Option("local", "--engine", help="local (this process) or ray (pip install 'affectlens[ray]')."),
    ray_address: str = typer.Option(
        None, "--ray-address", help="Ray cluster to use, e.g. ray://head:10001 [default: a local Ray]."
    ),
    restart: bool = typer.Option(False, "--restart", help="Start the run folder afresh instead of continuing it."),
    chunk_rows: int = typer.Option(2000, "--chunk-rows", min=1, help="Rows per task (a task is the unit of commit and resume)."),
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
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary on stderr."),
) -> None:
    """Analyse a corpus into a run folder of Parquet parts and a manifest.

    Kill it at any moment and run the same command again: it continues where it stopped,
    and ends with every input row once.
    """
    from affectlens.corpus import analyze

    engine_settings = {"address": ray_address} if ray_address else {}
    bar_state: dict[str, object] = {}

    def started(manifest, left: int) -> None:  # type: ignore[no-untyped-def]
        p = manifest.progress
        if not quiet and p.tasks_done:
            err.print(
                f"[dim]continuing {safe(output)}: {p.tasks_done:,} of {p.tasks:,} tasks done "
                f"({p.analysed:,} rows analysed, {p.bad_rows:,} bad)[/]",
                highlight=False,
            )
        bar = bar_state.get("bar")
        if bar is not None:
            bar.set_total(left)  # type: ignore[attr-defined]

    def finished_task(result) -> None:  # type: ignore[no-untyped-def]
        bar = bar_state.get("bar")
        if bar is not None:
            bar(result.planned)  # type: ignore[operator]

    with progress("analysing", None, enabled=not quiet and err.is_terminal) as bar:
        bar_state["bar"] = bar
        summary = analyze(
            input,
            output,
            input_format=input_format,
            text_column=text_column,
            id_column=id_column,
            time_column=time_column,
            group_columns=group_columns or [],
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
            taxonomy=taxonomy,
            explain=explain,
            max_chars=max_chars,
            engine=engine,
            engine_settings=engine_settings,
            restart=restart,
            chunk_rows=chunk_rows,
            on_start=started,
            on_task=finished_task,
        )
    if quiet:
        return
    p = summary.progress
    rate = p.rows_done / summary.manifest.elapsed_s if summary.manifest.elapsed_s else 0.0
    err.print(
        f"{p.analysed:,} rows analysed, {p.bad_rows:,} bad rows, {p.reused:,} identical texts reused "
        f"({p.rows_done:,} input rows in {summary.manifest.elapsed_s:,.1f} s, {rate:,.0f}/s) -> {safe(output)}",
        highlight=False,
    )
    for bad in summary.manifest.bad_examples[:10]:
        err.print(
            f"[yellow]bad row[/] {safe(bad['file'])} line {bad['line']} {safe(bad['reason'])}", highlight=False, soft_wrap=True
        )
    if p.bad_rows > 10:
        err.print(f"[yellow]... {p.bad_rows - 10:,} more in {safe(output)}/bad/[/]", highlight=False)
    if p.without_time:
        err.print(f"[yellow]{p.without_time:,} rows have no readable time[/] (left out of time series)", highlight=False)
