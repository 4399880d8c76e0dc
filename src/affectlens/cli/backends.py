"""``affectlens backends``: what analyzers are registered."""

from __future__ import annotations

import typer

from affectlens.cli.console import out


def backends_command(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List the registered backends (built-in and from installed plugins)."""
    import json

    from affectlens.api import backends

    rows = []
    for name, target in backends.targets().items():
        cls = backends.get(name)
        rows.append({"name": name, "target": target, "description": getattr(cls, "description", "")})
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.table import Table

    table = Table("backend", "description", "from", header_style="bold")
    for row in rows:
        table.add_row(row["name"], row["description"], row["target"])
    out.print(table)
