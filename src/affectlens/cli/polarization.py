"""``affectlens polarization``: affective polarization of reply threads — analyse, aggregate, report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from affectlens.cli import backend_options, running
from affectlens.cli.console import err, out, progress
from affectlens.io.terminal import plain, safe
from affectlens.io.text import DEFAULT_MAX_CHARS

app = typer.Typer(
    help="Affective polarization of reply threads: stance, agreement and hostility per reply, rule scores, events.",
    no_args_is_help=True,
)

RUN_DIR = typer.Argument(..., help="The run folder written by `affectlens polarization analyze`.")
RULES = typer.Option(None, "--rules", "-r", help="Rule set: asonam2025 (default), asonam2025-compat, or a rule file.")
EVENTS = typer.Option(None, "--events", help="CSV or JSONL of events: name,start,end (ISO dates or times).")
WINDOW_DAYS = typer.Option(3.0, "--window-days", min=0.01, help="Width of the before and after windows, in days.")


@app.command("analyze")
def analyze_command(
    ctx: typer.Context,
    input: str = typer.Argument(..., help="Posts: a file, a glob or a folder of .csv/.jsonl/.parquet files."),
    output: str = typer.Option(..., "--output", "-o", help="The run folder (new, empty, or an earlier run's to continue)."),
    topic: list[str] = typer.Option(
        None, "--topic", "-t", help="Topic name (climate, guns) or topic file; repeat for several [default: climate]."
    ),
    input_format: str = typer.Option(None, "--input-format", help="csv, jsonl or parquet when suffixes do not tell."),
    id_column: str = typer.Option("id", "--id-column", help="Column with the post's id."),
    parent_column: str = typer.Option("parent_id", "--parent-column", help="Column with the parent's id (empty for a root)."),
    author_column: str = typer.Option("author", "--author-column", help="Column with the author."),
    text_column: str = typer.Option("text", "--text-column", help="Column with the text."),
    time_column: str = typer.Option("created_at", "--time-column", help="Column with the time (ISO 8601 or epoch seconds)."),
    thread_column: str = typer.Option(
        "thread_id", "--thread-column", help="Optional column with the thread id [default: the root's id]."
    ),
    topic_column: str = typer.Option("topic", "--topic-column", help="Optional column naming each row's topic."),
    stance_column: str = typer.Option(None, "--stance-column", help="Column with your own stance labels (offline)."),
    stance_examples: str = typer.Option(
        None, "--stance-examples", help="Labelled posts (text, stance) to train the offline stance classifier."
    ),
    min_stance_confidence: float = typer.Option(
        0.5, "--min-stance-confidence", min=0.0, max=1.0, help="Below this, the offline classifier's stance is unknown."
    ),
    no_evidence: bool = typer.Option(False, "--no-evidence", help="Offline: skip verifying hostile phrases (faster)."),
    backend: str = typer.Option("embedded", "--backend", "-b", help="embedded (offline, default) or openai (an LLM)."),
    option: list[str] = backend_options.OPTION,
    backend_config: str = backend_options.CONFIG,
    rules: str = typer.Option("asonam2025", "--rules", "-r", help="Rule set scored at the end (any can be scored later)."),
    max_chars: int = typer.Option(DEFAULT_MAX_CHARS, "--max-chars", help="Posts with longer texts are reported and left out."),
    engine: str = running.ENGINE,
    ray_address: str = running.RAY_ADDRESS,
    workers: int = running.WORKERS,
    threads: int = running.THREADS,
    restart: bool = typer.Option(False, "--restart", help="Start the run folder afresh instead of continuing it."),
    chunk_rows: int = typer.Option(None, "--chunk-rows", min=1, help="Posts per task [default: 2000 offline, 100 with an LLM]."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary on stderr."),
) -> None:
    """Score every reply of a file of reply threads against its parent.

    Each post gets a stance on the topic, agreement with its parent and whether it shows
    hostility toward the other side; the rule set turns a reply and its parent into a score
    and a thread's score is their mean. Kill it at any moment and run the same command
    again: it continues where it stopped.
    """
    from affectlens.errors import BackendError, InputError, OutputError
    from affectlens.polarization import ThreadColumns, analyze

    if backend not in ("embedded", "openai"):  # the library takes a mode: offline (embedded) or llm (openai)
        raise InputError(f"--backend {backend!r} cannot annotate polarization", hint="use embedded (offline) or openai")

    columns = ThreadColumns(
        id=id_column,
        parent=parent_column,
        author=author_column,
        text=text_column,
        time=time_column,
        thread=thread_column,
        topic=topic_column,
        stance=stance_column,
    )
    engine_named = running.engine_spec(engine, ray_address, workers, threads)
    state: dict[str, Any] = {}

    def log(line: str) -> None:
        if not quiet:
            err.print(f"[dim]{safe(line)}[/]", highlight=False, soft_wrap=True)

    def started(manifest, left) -> None:  # type: ignore[no-untyped-def]
        p = manifest.progress
        if p.tasks_done:
            log(f"continuing {output}: {p.tasks_done:,} of {p.tasks:,} tasks annotated")
        if state.get("bar") is not None:
            state["bar"].set_total(left)

    def finished_task(result) -> None:  # type: ignore[no-untyped-def]
        if state.get("bar") is not None:
            state["bar"](result.rows)

    try:
        with progress("annotating", None, enabled=not quiet and err.is_terminal) as bar:
            state["bar"] = bar
            result = analyze(
                input,
                output,
                topics=topic or ["climate"],
                columns=columns,
                input_format=input_format,
                mode="llm" if backend == "openai" else "offline",
                backend_settings=backend_options.backend_settings(backend, option, backend_config),
                stance_examples=stance_examples,
                min_stance_confidence=min_stance_confidence,
                evidence=not no_evidence,
                rules=rules,
                max_chars=max_chars,
                engine=engine_named.name,
                engine_settings=engine_named.settings,
                chunk_rows=chunk_rows,
                restart=restart,
                command=running.command_line(ctx),
                on_start=started,
                on_task=finished_task,
                log=log,
            )
    except (KeyboardInterrupt, BackendError, OutputError):
        if (Path(output) / "manifest.json").exists():
            running.kept_note("the annotations written so far are")
        raise
    if quiet:
        return
    m = result.manifest
    d, p = m.details, m.progress
    err.print(
        f"{d.get('rows', 0):,} rows: {d.get('posts', 0):,} posts in {d.get('threads', 0):,} threads annotated by "
        f"{safe(m.backend_id or m.settings['backend'])} in {result.seconds:,.1f} s -> {safe(output)}",
        highlight=False,
    )
    err.print(f"[dim]{safe(running.how_it_ran(m))}[/]", highlight=False)
    _print_problems(result.run_dir, d.get("problems", {}))
    failed = {k: v for k, v in p.counts.items() if k.endswith("_failed")}
    unknown = {k: v for k, v in p.counts.items() if k.endswith("_unknown")}
    if failed:
        err.print(f"[yellow]failed annotations[/] (counted per thread, never guessed): {_counts(failed)}", highlight=False)
    if unknown:
        err.print(f"unknown: {_counts(unknown)}", highlight=False)
    usage = {k: v for k, v in p.counts.items() if k.startswith("llm_")}
    if usage:
        err.print(f"LLM: {_counts(usage)}", highlight=False)
    s = d["scores"]
    err.print(
        f"{s['rules']}: {s['scored']:,} of {s['interactions']:,} interactions scored "
        f"({s['unscored_unknown']:,} with an unknown fact, {s['unscored_failed']:,} with a failed one); "
        f"mean thread score {s['mean_thread_score'] if s['mean_thread_score'] is not None else 'n/a'} "
        f"over {s['threads_scored']:,} threads",
        highlight=False,
    )


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k.removeprefix('llm_').replace('_', ' ')} {v:,}" for k, v in sorted(counts.items()))


def _print_problems(run_dir: Path, counts: dict[str, int]) -> None:
    if not counts:
        return
    err.print(
        f"[yellow]rows left out or flagged[/]: {_counts(counts)} (all in {safe(str(run_dir / 'problems.jsonl'))})",
        highlight=False,
    )
    lines = (run_dir / "problems.jsonl").read_text(encoding="utf-8").splitlines()
    for line in lines[:10]:
        problem = json.loads(line)
        err.print(
            f"[yellow]{problem['kind']}[/] {safe(Path(problem['file']).name)} line {problem['line']}: {safe(problem['message'])}",
            highlight=False,
            soft_wrap=True,
        )
    if len(lines) > 10:
        err.print(f"[yellow]... {len(lines) - 10:,} more[/]", highlight=False)


@app.command("aggregate")
def aggregate_command(
    run_dir: str = RUN_DIR,
    rules: str = RULES,
    events: str = EVENTS,
    window_days: float = WINDOW_DAYS,
    every: str = typer.Option(None, "--every", help="Also the mean thread score per day, week or month."),
    resamples: int = typer.Option(1000, "--resamples", min=100, help="Bootstrap resamples of the hostility gap."),
    alpha_resamples: int = typer.Option(200, "--alpha-resamples", min=0, help="Bootstrap resamples of alpha (slower)."),
    output: str = typer.Option(None, "--output", "-o", help="Write everything to FILE.json."),
    json_out: bool = typer.Option(False, "--json", help="Print everything as JSON instead of tables."),
) -> None:
    """Thread scores with intervals, level shares, the hostility gap, alpha; before/during/after events."""
    from affectlens.errors import InputError
    from affectlens.io.files import atomic_write
    from affectlens.polarization import aggregate

    if output and not output.endswith(".json"):
        raise InputError("the aggregate is written as JSON", hint="-o FILE.json")
    result = aggregate(
        run_dir,
        rules=rules,
        events=events,
        window_days=window_days,
        every=every,
        resamples=resamples,
        alpha_resamples=alpha_resamples,
    )
    data = result.as_dict()
    if output:
        atomic_write(output, lambda f: f.write(json.dumps(data, indent=2).encode("utf-8")))
        err.print(f"aggregate -> {safe(output)}", highlight=False)
        return
    if json_out:
        typer.echo(json.dumps(data, indent=2))
        return
    _print(data)


def _print(data: dict[str, Any]) -> None:
    from rich.table import Table

    def show(title: str, rows: list[dict[str, Any]], columns: list[str]) -> None:
        if not rows:
            return
        table = Table(title=title, header_style="bold")
        for c in columns:
            table.add_column(c, overflow="fold")
        for row in rows:
            table.add_row(*(plain(_cell(row.get(c))) for c in columns))
        out.print(table)

    summary = [
        {
            "topic": r["topic"],
            "threads": f"{r['threads_scored']:,} of {r['threads']:,}",
            "interactions scored": f"{r['scored']:,} of {r['interactions']:,}",
            "unknown / failed": f"{r['unscored_unknown']:,} / {r['unscored_failed']:,}",
            "mean ± SEM": "" if r["mean"] is None else f"{r['mean']:.2f} ± {r['sem'] or 0:.2f}",
            "95% interval": "" if r["ci_low"] is None else f"{r['ci_low']:.2f} – {r['ci_high']:.2f}",
            "levels": " · ".join(
                f"{k.removeprefix('share_')} {v:.0%}"
                for k, v in r.items()
                if k.startswith("share_") and not k.endswith("_ci") and v is not None
            ),
        }
        for r in data["summary"]
    ]
    show(f"thread scores under {data['rules']}", summary, list(summary[0]) if summary else [])
    for reason in data.get("refused", []):
        out.print(f"[yellow]refused:[/yellow] {safe(reason)}", highlight=False)
    measures = [
        {"topic": m["topic"], "measure": name, **m[key]}
        for m in data["measures"]
        for name, key in (("hostility gap", "hostility_gap"), ("alpha", "alpha"))
    ]
    show(
        "beside the rule score (95% bootstrap intervals over threads)",
        measures,
        ["topic", "measure", "value", "ci_low", "ci_high", "n"],
    )
    show(
        "windows (thread means)",
        data["windows"],
        [
            "event",
            *(["group"] if any("group" in w for w in data["windows"]) else []),
            "window",
            "threads",
            "mean",
            "sem",
            "ci_low",
            "ci_high",
        ],
    )
    show(
        "differences (Welch's t-test; q: Benjamini-Hochberg)",
        data["comparisons"],
        ["event", "comparison", "difference", "ci_low", "ci_high", "cohen_d", "p", "q"],
    )
    series = [{**r, "period": r["period"][:10]} for r in data["series"]]
    show("mean thread score over time", series, ["topic", "period", "threads_scored", "mean", "ci_low", "ci_high"])


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


@app.command("report")
def report_command(
    run_dir: str = RUN_DIR,
    output: str = typer.Option(..., "--output", "-o", help="The HTML file to write (self-contained: opens offline)."),
    rules: str = RULES,
    events: str = EVENTS,
    window_days: float = WINDOW_DAYS,
    every: str = typer.Option("week", "--every", help="day, week or month: the period of the time series."),
) -> None:
    """One self-contained HTML report: thread scores, levels, the hostility gap and alpha, events with their
    windows, failures per thread, examples with evidence, and how it was made."""
    from affectlens.polarization.report import report

    path = report(run_dir, output, rules=rules, events=events, window_days=window_days, every=every)
    err.print(f"report -> {safe(str(path))} ({path.stat().st_size / 1e6:.1f} MB, opens offline)", highlight=False)


@app.command("topics")
def topics_command() -> None:
    """The shipped topics, their stances and definitions."""
    from affectlens.polarization import list_topics

    for topic in list_topics():
        out.print(f"[bold]{plain(topic.id)}[/] {plain(topic.title)}: {plain(topic.question)}", highlight=False)
        for s in topic.stances:
            out.print(f"  {plain(s.label)} ({s.position:+g}): {plain(s.definition)}", highlight=False)
        out.print(f"  {plain(topic.unknown.label)}: {plain(topic.unknown.definition)}", highlight=False)


@app.command("rules")
def rules_command(name: str = typer.Argument(None, help="A rule set to show in full [default: list them].")) -> None:
    """The shipped rule sets (or one of them, with its table and levels)."""
    from rich.table import Table

    from affectlens.polarization import list_rules, load_rules

    for r in [load_rules(name)] if name else list_rules():
        out.print(f"[bold]{plain(r.id)}[/] {plain(r.title)}", highlight=False)
        out.print(
            f"  unknowns: stance {r.unknown.stance}, affect {r.unknown.affect}, agreement {r.unknown.agreement}", highlight=False
        )
        if name:
            table = Table("stance", "affect", "agreement", "score", "meaning", header_style="bold")
            for row in r.table:
                table.add_row(row.stance, row.affect, row.agreement, f"{row.score:g}", plain(row.meaning))
            out.print(table)
            out.print("  levels: " + "; ".join(f"{lv.name} {lv.describe()}" for lv in r.levels), highlight=False)
