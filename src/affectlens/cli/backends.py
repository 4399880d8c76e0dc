"""``affectlens backends [NAME]``: what analyzers are registered, and the settings one takes."""

from __future__ import annotations

import typer

from affectlens.cli.console import out


def backends_command(
    name: str = typer.Argument(None, help="A backend: list the settings it takes (-O KEY=VALUE)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List the registered backends (built-in and from installed plugins), or one backend's settings."""
    import json

    from affectlens.api import backends

    if name is not None:
        from affectlens.settings import describe_settings

        rows = describe_settings(backends.get(name).settings_model)
        if as_json:
            typer.echo(json.dumps(rows, indent=2, default=str))
            return
        from rich.table import Table

        table = Table("setting", "type", "default", "description", header_style="bold", title=f"{name}: -O KEY=VALUE")
        for row in rows:
            default = "(required)" if row["required"] else "" if row["default"] is None else str(row["default"])
            table.add_row(row["name"], row["type"], default, row["description"])
        out.print(table)
        return
    rows = []
    for backend, target in backends.targets().items():
        cls = backends.get(backend)
        rows.append({"name": backend, "target": target, "description": getattr(cls, "description", "")})
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.table import Table

    table = Table("backend", "description", "from", header_style="bold")
    for row in rows:
        table.add_row(row["name"], row["description"], row["target"])
    out.print(table)
