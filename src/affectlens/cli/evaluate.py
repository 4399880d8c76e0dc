"""``affectlens eval``: score a backend on a standard dataset."""

from __future__ import annotations

import json
from collections.abc import Callable

import typer

from affectlens.cli import backend_options
from affectlens.cli.console import err, out


def evaluate_command(
    dataset: str = typer.Argument(None, help="Dataset name (see --list)."),
    data_dir: str = typer.Option(
        None, "--data-dir", help="Folder with the datasets [default: $AFFECTLENS_DATA_DIR, else ../shared/data]."
    ),
    split: str = typer.Option("test", "--split", help="Split to score (thresholds and calibration always come from dev)."),
    backend: str = typer.Option(
        None, "--backend", "-b", help="Analyzer to score [default: embedded; for conversation datasets the context model]."
    ),
    limit: int = typer.Option(None, "--limit", min=1, help="Score only the first N items (dialogues for conversation datasets)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    output: str = typer.Option(None, "--output", "-o", help="Also write the JSON result to FILE."),
    explain: bool = typer.Option(False, "--explain", help="Also measure the faithfulness of the evidence (ERASER)."),
    plots: str = typer.Option(None, "--plots", help="Write reliability diagrams / VAD plots (PNG) into DIR."),
    list_: bool = typer.Option(False, "--list", help="List the datasets and exit."),
    task: str = typer.Option(None, "--task", help="emobench: EU (understanding, default) or EA (application)."),
    language: str = typer.Option(None, "--language", help="emobench: en or zh; eqbench-v2: en or de [default: en]."),
    strategies: str = typer.Option(
        "zero-shot",
        "--strategies",
        help="emobench, eqbench-v2: prompt strategies to compare on the same items, "
        "comma-separated: zero-shot, emotional-stimulus, negative-stimulus, or a stimulus name.",
    ),
    records: str = typer.Option(
        None,
        "--records",
        help="emobench, eqbench-v2: the run's folder (per-item records; resumed when run again) "
        "[default: under the cache directory, by the run's identity].",
    ),
    revise: bool = typer.Option(
        False, "--revise", help="eqbench-v2: ask for a critique and revised scores (upstream's -revise)."
    ),
    option: list[str] = backend_options.OPTION,
    backend_config: str = backend_options.CONFIG,
) -> None:
    """Score a backend on a dataset split and print its metrics."""
    from affectlens.errors import InputError
    from affectlens.evaluation.datasets import datasets

    if list_:
        from rich.table import Table

        table = Table("dataset", "kind", "taxonomy", "splits", "licence", "description", header_style="bold")
        for name in datasets.names():
            spec = datasets.get(name)
            table.add_row(spec.id, spec.kind, spec.taxonomy, ",".join(spec.splits), spec.licence, spec.description)
        from affectlens.evaluation.ei import BENCHMARKS, benchmark

        for name in BENCHMARKS:
            bench = benchmark(name)
            table.add_row(f"{name}@{bench.version}", "llm", "-", "test", "MIT", (bench.__doc__ or "").split(":")[0].strip())
        out.print(table)
        return
    if dataset is None:
        raise InputError("which dataset?", hint="affectlens eval --list")
    from affectlens.evaluation.ei import BENCHMARKS

    if dataset in BENCHMARKS:
        options = {"task": task, "language": language, "revise": revise}
        _benchmark(dataset, data_dir, backend, option, backend_config, options, strategies, records, limit, as_json, output)
        return

    from affectlens.api import get_analyzer
    from affectlens.evaluation.runner import conversation_analyzer, evaluate

    spec = datasets.get(dataset)
    given = bool(option or backend_config)
    if spec.kind == "faces":
        if backend not in (None, "faces") or given:
            raise InputError(f"{spec.name} scores the shipped face model; it takes no --backend or -O")
        from affectlens.media import ImageAnalyzer

        analyzer = ImageAnalyzer()
    elif spec.conversational and not given:
        analyzer = conversation_analyzer(spec, backend)
    elif spec.conversational:
        from affectlens.conversation.analyzer import ConversationAnalyzer

        name = backend or "embedded"
        analyzer = ConversationAnalyzer(backend=name, **backend_options.backend_settings(name, option, backend_config))
    else:
        name = backend or "embedded"
        analyzer = get_analyzer(name, config=False, **backend_options.backend_settings(name, option, backend_config))

    if as_json or not err.is_terminal:
        result = evaluate(
            dataset, data_dir=data_dir, split=split, analyzer=analyzer, limit=limit, explain=explain, plots_dir=plots
        )
    else:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        with Progress(TextColumn(f"{dataset} {split}"), BarColumn(), MofNCompleteColumn(), console=err, transient=True) as bar:
            task = bar.add_task("eval", total=None)
            result = evaluate(
                dataset,
                data_dir=data_dir,
                split=split,
                analyzer=analyzer,
                limit=limit,
                explain=explain,
                plots_dir=plots,
                on_progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    _emit(result, output, as_json, _print_result)


def _emit(result: dict, output: str | None, as_json: bool, show: Callable[[dict], None]) -> None:  # type: ignore[type-arg]
    """The result: written to ``output`` when given, then printed as JSON or for people."""
    text = json.dumps(result, indent=2, ensure_ascii=False)
    if output:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    if as_json:
        typer.echo(text)
        return
    show(result)


def _benchmark(
    name: str,
    data_dir: str | None,
    backend: str | None,
    option: list[str],
    backend_config: str | None,
    options: dict,  # type: ignore[type-arg]
    strategies: str,
    records: str | None,
    limit: int | None,
    as_json: bool,
    output: str | None,
) -> None:
    """An emotional-intelligence benchmark against an LLM endpoint (affectlens.evaluation.ei)."""
    from affectlens.api import get_analyzer
    from affectlens.errors import InputError
    from affectlens.evaluation.datasets.readers import resolve_data_dir
    from affectlens.evaluation.ei import benchmark
    from affectlens.evaluation.ei.runner import run_benchmark

    if (backend or "openai") != "openai":
        raise InputError(
            f"{name} asks a chat model, not the {backend!r} backend", hint="--backend openai -O base_url=... -O model=..."
        )
    bench = benchmark(name)(resolve_data_dir(data_dir), **{k: v for k, v in options.items() if v is not None})
    analyzer = get_analyzer("openai", config=False, **backend_options.backend_settings("openai", option, backend_config))
    chosen = [s.strip() for s in strategies.split(",") if s.strip()]
    if as_json or not err.is_terminal:
        result = run_benchmark(bench, analyzer, strategies=chosen, folder=records, limit=limit)
    else:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        columns = (TextColumn(bench.id), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=err, transient=True) as bar:
            task = bar.add_task("eval", total=None)
            result = run_benchmark(
                bench, analyzer, strategies=chosen, folder=records, limit=limit,
                on_progress=lambda done, total: bar.update(task, completed=done, total=total),
            )  # fmt: skip
    _emit(result, output, as_json, _print_benchmark)


def _print_benchmark(result: dict) -> None:  # type: ignore[type-arg]
    from rich.table import Table

    out.print(f"[bold]{result['benchmark']}[/] {result['options']} · {result['backend']} · {result['seconds']}s", highlight=False)
    table = Table("strategy", "score", "usable only", "unusable", "not answered", "n", "upstream", header_style="bold")
    for name, s in result["strategies"].items():
        ours, upstream = s["affectlens"], s["upstream"]
        shown = upstream.get("Overall", upstream.get("score"))
        table.add_row(
            name, _fmt(ours["score"]), _fmt(ours["score_usable_only"]), str(ours["unusable"]), str(s["not_answered"]),
            str(ours["n"]), _fmt(shown),
        )  # fmt: skip
    out.print(table)
    for c in result["comparisons"]:
        ci = c["ci95"] or [None, None]
        out.print(
            f"{c['strategy']} − {c['baseline']}: {_fmt(c['difference'])} [95% {_fmt(ci[0])}, {_fmt(ci[1])}] over {c['n']} items"
        )
    u = result["usage"]
    out.print(f"usage: {u['requests']:,} requests ({u['cached']:,} cached), {u['prompt_tokens']:,} + {u['completion_tokens']:,} "
              f"tokens, cost {u['cost']:.4f}; records: {result['records']}", highlight=False)  # fmt: skip


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


def _print_result(result: dict) -> None:  # type: ignore[type-arg]
    from rich.table import Table

    out.print(f"[bold]{result['dataset']}[/] {result['split']} · {result['backend']} · n={result['n']:,} · {result['seconds']}s")
    metrics = result["metrics"]
    table = Table("metric", "value", header_style="bold")
    for key, value in metrics.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            table.add_row(key, f"{value:.4f}" if isinstance(value, float) else str(value))
    out.print(table)
    if "per_category" in metrics:
        per_category = Table("category", "pass rate", header_style="bold", title="minimal pairs")
        for category, rate in metrics["per_category"].items():
            per_category.add_row(category, f"{rate:.3f}")
        out.print(per_category)
        for failure in metrics["failures"]:
            out.print(f"[dim]{failure['id']}[/]: {'; '.join(failure['failed'])}", highlight=False)
    if "usage" in result:
        u = result["usage"]
        out.print(
            f"usage: {u['requests']:,} requests ({u['cached']:,} cached), "
            f"{u['prompt_tokens']:,} + {u['completion_tokens']:,} tokens, cost {u['cost']:.4f}; "
            f"{u['parse_failures']} unparsable, {u['dropped_spans']} spans and {u['dropped_labels']} labels dropped",
            highlight=False,
        )
    for path in result.get("plots", []):
        out.print(f"wrote {path}")
    if "per_label_f1" in metrics:
        per_label = Table("label", "F1", header_style="bold", title="per-label F1")
        for label, value in sorted(metrics["per_label_f1"].items(), key=lambda kv: -kv[1]):
            per_label.add_row(label, f"{value:.3f}")
        out.print(per_label)
