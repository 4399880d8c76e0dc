"""The ``affectlens`` command: sub-commands are registered here; errors end here.

Known errors become one line on stderr and an exit code: 2 for bad input or usage, 1 for
a failure inside the run. Set ``AFFECTLENS_DEBUG=1`` to see tracebacks.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import signal
import sys
from collections.abc import Iterator

import typer

from affectlens import __version__
from affectlens.cli import analyze, backends, bench, conversation, corpus, evaluate, interp, polarization, serve, taxonomy
from affectlens.cli.console import err, safe, set_color
from affectlens.errors import AffectlensError, OutputError

try:  # recent typer carries its own copy of click
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover
    from click.exceptions import ClickException

app = typer.Typer(
    name="affectlens",
    help="Which emotions a text carries, how strongly, where it says so, and how sure we are.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts are plain: "[llm]" or "[default: text]" must not be read as markup
)
app.command("analyze")(analyze.analyze)
app.command("eval")(evaluate.evaluate_command)
app.command("bench")(bench.bench)
app.command("backends")(backends.backends_command)
app.command("serve")(serve.serve_command)
app.command("probe")(interp.probe_command)
app.command("steer")(interp.steer_command)
app.add_typer(taxonomy.app, name="taxonomy")
app.add_typer(conversation.app, name="conversation")
app.add_typer(corpus.app, name="corpus")
app.add_typer(polarization.app, name="polarization")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"affectlens {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
    no_color: bool = typer.Option(False, "--no-color", help="No colours in what is printed (also: the NO_COLOR variable)."),
) -> None:
    """affectlens: emotions, valence-arousal-dominance and sentiment, offline by default."""
    set_color(not no_color)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: runs a command and turns every way it can end into an exit
    code — 0 ok, 1 a failure inside the run (a backend, the disk), 2 bad usage or input, 130
    interrupted — with one line on stderr that says what to do."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing here may reach a model hub
    _open_closed_streams()
    with _sigterm_unwinds(), _warnings_to_stderr():
        _run(argv)


def console_main() -> None:
    """The ``affectlens`` console script: :func:`main`, then the process ends without tearing the
    interpreter down module by module (as mypy does): every output is committed and closed by
    then, and the teardown of numpy, onnxruntime and their thread pools cost 0.06–0.2 s of
    every short command's wall time."""
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    import logging

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: what could be written was
            code = code or 0
    os._exit(code)


def _run(argv: list[str] | None) -> None:
    command = typer.main.get_command(app)
    try:
        try:
            args = list(sys.argv[1:] if argv is None else argv)
            with command.make_context("affectlens", args, obj={"argv": ["affectlens", *args]}) as ctx:
                command.invoke(ctx)
        except OSError as exc:
            _os_error(exc)
        except EOFError as exc:
            raise typer.Abort() from exc
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("affectlens: aborted", highlight=False)
        sys.exit(1)
    except AffectlensError as exc:
        _error(exc)
    except KeyboardInterrupt as exc:
        err.print("affectlens: interrupted", highlight=False)
        sys.exit(143 if isinstance(exc, Terminated) else 130)
    except Exception as exc:
        if os.environ.get("AFFECTLENS_DEBUG"):
            raise
        err.print(f"[bold red]affectlens: internal error:[/] {type(exc).__name__}: {safe(exc)}", highlight=False, soft_wrap=True)
        err.print("  [dim]hint:[/] this is a bug; please report it with AFFECTLENS_DEBUG=1 output", highlight=False)
        sys.exit(1)


def _error(exc: AffectlensError) -> None:
    err.print(f"[bold red]affectlens: error:[/] {safe(exc.message)}", highlight=False, soft_wrap=True)
    if exc.hint:
        err.print(f"  [dim]hint:[/] {safe(exc.hint)}", highlight=False, soft_wrap=True)
    sys.exit(exc.exit_code)


def _os_error(exc: OSError) -> None:
    """A closed pipe (``| head``) ends the run quietly; any other OS error is one line, exit 1."""
    if isinstance(exc, BrokenPipeError) or exc.errno == errno.EPIPE:
        # the reader went away: stop writing, and keep the interpreter's final flush quiet
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
    if os.environ.get("AFFECTLENS_DEBUG"):
        raise exc
    _error(OutputError.from_os_error(exc) if exc.errno in _WRITE_ERRNOS else _system_error(exc))


_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}


def _system_error(exc: OSError) -> AffectlensError:
    where = f" ({exc.filename})" if exc.filename else ""
    return AffectlensError(f"{exc.strerror or type(exc).__name__}{where}")


class _StderrHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        err.print(f"[yellow]affectlens: warning:[/] {safe(record.getMessage())}", highlight=False, soft_wrap=True)


@contextlib.contextmanager
def _warnings_to_stderr() -> Iterator[None]:
    """What the library logs at WARNING (an LLM endpoint being retried…) is shown on stderr."""
    logger = logging.getLogger("affectlens")
    handler = _StderrHandler(logging.WARNING)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: unwind like Ctrl-C, so outputs are committed or cleaned up on the way out."""


@contextlib.contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    def handler(signum: int, frame: object) -> None:
        raise Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not in the main thread (an embedding application): leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _open_closed_streams() -> None:
    """Started with stdout or stderr closed (``>&-``): write there into the void, as to a closed pipe."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 (lives as long as the process)
