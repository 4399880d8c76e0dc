"""The consoles the CLI prints to (results on stdout, everything else on stderr), and progress."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console

out = Console()
err = Console(stderr=True)


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
