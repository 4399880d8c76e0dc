"""``affectlens taxonomy list|show|map``."""

from __future__ import annotations

import json

import typer

from affectlens.cli.console import out
from affectlens.io.terminal import safe

app = typer.Typer(help="Label sets: list them, show one, map labels between them.", no_args_is_help=True)


@app.command("list")
def list_command(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the taxonomies."""
    from rich.table import Table

    from affectlens.taxonomy import list_taxonomies

    taxonomies = list_taxonomies()
    if as_json:
        typer.echo(json.dumps([{"id": t.id, "title": t.title, "labels": t.names} for t in taxonomies], indent=2))
        return
    table = Table("taxonomy", "labels", "title", header_style="bold")
    for t in taxonomies:
        table.add_row(t.id, str(len(t.labels)), t.title + (f" ({t.level} tier)" if t.level else ""))
    out.print(table)


@app.command("show")
def show(
    name: str = typer.Argument(..., help="Taxonomy name, e.g. ekman or parrott-secondary."),
    as_json: bool = typer.Option(False, "--json", help="Print the taxonomy as JSON."),
) -> None:
    """Show a taxonomy: its labels, their VAD anchors, forms and parents, and its sources."""
    from rich.table import Table

    from affectlens.taxonomy import load_taxonomy

    t = load_taxonomy(name)
    if as_json:
        typer.echo(t.model_dump_json(indent=2))
        return
    out.print(
        f"[bold]{t.id}[/] — {t.title}\n{t.description}\n[dim]source:[/] {t.citation}\n[dim]VAD anchors:[/] {t.vad_source}",
        highlight=False,
    )
    table = Table("label", "V", "A", "D", "parent" if t.parent_taxonomy else "", "forms / includes", header_style="bold")
    for label in t.labels:
        v, a, d = label.vad
        words = ", ".join([*label.forms, *label.includes])
        table.add_row(label.name, f"{v:+.2f}", f"{a:+.2f}", f"{d:+.2f}", label.parent or "", words)
    out.print(table)
    if t.dyads:
        out.print("[dim]dyads:[/] " + "; ".join(f"{k} = {' + '.join(v)}" for k, v in t.dyads.items()), highlight=False)


@app.command("map")
def map_command(
    words: list[str] = typer.Argument(..., help="Labels or emotion words to map."),
    to: str = typer.Option(..., "--to", help="Target taxonomy."),
    source: str = typer.Option(None, "--from", help="Taxonomy the words are labels of [default: the first that has them]."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Map labels or words onto a taxonomy, saying which rule decided."""
    from affectlens.taxonomy import list_taxonomies, load_taxonomy, map_label

    target = load_taxonomy(to)
    rows = []
    for word in words:
        src = load_taxonomy(source) if source else next((t for t in list_taxonomies() if word.lower() in t.names), None)
        m = map_label(word, target, source=src)
        rows.append(
            {
                "word": m.source,
                "from": src.id if src else None,
                "to": m.target_taxonomy,
                "labels": m.labels,
                "method": m.method,
                "detail": m.detail,
            }
        )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        labels = ", ".join(row["labels"]) or "(nothing)"
        origin = f" ({row['from']})" if row["from"] else ""
        detail = safe(f"[{row['method']}] {row['detail']}")
        out.print(f"{safe(row['word'])}{origin} -> {safe(labels)}  [dim]{detail}[/]", highlight=False)
