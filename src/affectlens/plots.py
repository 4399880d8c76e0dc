"""matplotlib, loaded when a plot is drawn (``pip install 'affectlens[plots]'``), and saving a figure."""

from __future__ import annotations

from pathlib import Path

from affectlens.errors import MissingDependencyError

__all__ = ["pyplot", "require_matplotlib", "save"]


def save(plt, fig, title: str, path: Path) -> Path:  # type: ignore[no-untyped-def]
    """Title, lay out and write ``fig``; returns ``path``."""
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def require_matplotlib() -> None:
    """Fail early, before a long run, when plots were asked for and cannot be drawn."""
    pyplot()


def pyplot():  # type: ignore[no-untyped-def]
    """matplotlib's pyplot on the Agg backend (no screen needed)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise MissingDependencyError("matplotlib", "plots", "plots") from exc
    return plt
