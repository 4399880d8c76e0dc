"""The consoles the CLI prints to (results on stdout, everything else on stderr), and progress.

Text from users goes through :mod:`affectlens.io.terminal` (``safe`` inside markup strings,
``plain`` as a Text). ``NO_COLOR`` (any value) or ``--no-color`` turns colour off.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console

from affectlens.io.terminal import plain, safe, visible

__all__ = ["Bar", "err", "out", "plain", "progress", "safe", "set_color", "visible"]

# emoji=False: ":smile:" in a text stays ":smile:"
out = Console(emoji=False)
err = Console(stderr=True, emoji=False)


def set_color(enabled: bool) -> None:
    """Colour on or off on both consoles (``--no-color``)."""
    for console in (out, err):
        console.no_color = not enabled


class Bar:
    """A running progress bar: ``bar(n)`` advances it, ``bar.set_total(n)`` sets its length."""

    def __init__(self, progress: Any, task: Any) -> None:
        self._progress, self._task = progress, task

    def __call__(self, n: int) -> None:
        self._progress.advance(self._task, n)
        speed = self._progress.tasks[0].speed
        self._progress.update(self._task, rate=f"{speed:,.0f}/s" if speed else "")

    def set_total(self, total: int | None) -> None:
        self._progress.update(self._task, total=total)


@contextmanager
def progress(label: str, total: int | None, *, enabled: bool) -> Iterator[Bar | None]:
    """A progress bar on stderr with rate and time left, or None when disabled."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err) as bar:
        yield Bar(bar, bar.add_task(label, total=total, rate=""))
