"""The consoles the CLI prints to (results on stdout, everything else on stderr), and progress.

Text from users goes through :mod:`affectlens.io.terminal` (``safe`` inside markup strings,
``plain`` as a Text). ``NO_COLOR`` (any value) or ``--no-color`` turns colour off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console

from affectlens.io.terminal import plain, safe, visible

__all__ = ["err", "out", "plain", "progress", "safe", "set_color", "visible"]

# emoji=False: ":smile:" in a text stays ":smile:"
out = Console(emoji=False)
err = Console(stderr=True, emoji=False)

def set_color(enabled: bool) -> None:
    """Colour on or off on both consoles (``--no-color``)."""
    for console in (out, err):
        console.no_color = not enabled


@contextmanager
def progress(label: str, total: int | None, *, enabled: bool) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr; yields ``advance(n)``, or None when disabled."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)
