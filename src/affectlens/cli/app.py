"""The ``affectlens`` command: sub-commands are registered here; errors end here.

Known errors become one line on stderr and an exit code: 2 for bad input or usage, 1 for
a failure inside the run. Set ``AFFECTLENS_DEBUG=1`` to see tracebacks.
"""

from __future__ import annotations

import os
import sys

import typer
from rich.markup import escape

from affectlens import __version__
from affectlens.cli import analyze, backends, bench, conversation, evaluate, taxonomy
from affectlens.cli.console import err
from affectlens.errors import AffectlensError

app = typer.Typer(
    name="affectlens",
    help="Which emotions a text carries, how strongly, where it says so, and how sure we are.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
app.command("analyze")(analyze.analyze)
app.command("eval")(evaluate.evaluate_command)
app.command("bench")(bench.bench)
app.command("backends")(backends.backends_command)
app.add_typer(taxonomy.app, name="taxonomy")
app.add_typer(conversation.app, name="conversation")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"affectlens {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """affectlens: emotions, valence-arousal-dominance and sentiment, offline by default."""


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing here may reach a model hub
    try:
        app(args=argv, prog_name="affectlens")
    except AffectlensError as exc:
        err.print(f"[bold red]affectlens: error:[/] {escape(exc.message)}", highlight=False, soft_wrap=True)
        if exc.hint:
            err.print(f"  [dim]hint:[/] {escape(exc.hint)}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("affectlens: interrupted")
        sys.exit(130)
    except BrokenPipeError:
        # the reader went away (e.g. `| head`); stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
    except Exception as exc:
        if os.environ.get("AFFECTLENS_DEBUG"):
            raise
        err.print(
            f"[bold red]affectlens: internal error:[/] {type(exc).__name__}: {escape(str(exc))}",
            highlight=False,
            soft_wrap=True,
        )
        err.print("  [dim]hint:[/] this is a bug; please report it with AFFECTLENS_DEBUG=1 output", highlight=False)
        sys.exit(1)
