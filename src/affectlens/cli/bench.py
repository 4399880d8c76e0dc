"""``affectlens bench``: throughput and latency on this machine."""

from __future__ import annotations

import json

import typer

from affectlens.cli import backend_options
from affectlens.cli.console import err, out
from affectlens.io.terminal import safe


def bench(
    backend: str = typer.Option("embedded", "--backend", "-b", help="Analyzer to measure."),
    n_batch: int = typer.Option(2000, "--texts", min=1, help="Texts in the batch measurement."),
    n_single: int = typer.Option(200, "--single", min=1, help="Single-text calls in the latency measurement."),
    input: str = typer.Option(
        None, "--input", "-i", help="Use the texts of this .txt file (one per line) instead of the bundled ones."
    ),
    taxonomy: str = typer.Option("goemotions", "--taxonomy", "-t", help="Label set to answer in."),
    explain: bool = typer.Option(False, "--explain", help="Include evidence spans and rationales."),
    option: list[str] = backend_options.OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Measure batch throughput (texts/s) and single-text latency (p50, p95), in one process
    (-O threads=N sets its onnxruntime threads; corpus runs use one per worker process)."""
    from affectlens.benchmark import benchmark
    from affectlens.io.readers import read_records

    texts = [r.text for r in read_records(input, input_format="txt") if r.text] if input else None
    settings = backend_options.backend_settings(backend, option, None)
    if not as_json:
        err.print(f"measuring {backend}: {n_batch:,} texts in one batch, then {n_single} single calls…")
    result = benchmark(
        backend, texts=texts, n_batch=n_batch, n_single=n_single, taxonomy=taxonomy, explain=explain, settings=settings
    )
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    how = " with explanations" if explain else ""
    out.print(
        f"[bold]{result['backend']}[/]{how} on {result['cores']} cores of {safe(result['cpu']['model'])} "
        f"({result['cpu']['int8_class']}), "
        f"texts of {result['mean_words']} words:\n"
        f"  batch:  {result['batch_texts_per_s']:,.0f} texts/s\n"
        f"  single: p50 {result['single_p50_ms']:.1f} ms, p95 {result['single_p95_ms']:.1f} ms\n"
        f"  model load: {result['model_load_s']:.2f} s\n"
        f"  one process, {result['threads']} onnxruntime thread(s), spinning {'on' if result['spinning'] else 'off'} "
        f"(a corpus run uses one thread in each of its worker processes)",
        highlight=False,
    )
