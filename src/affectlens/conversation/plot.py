"""A conversation drawn: each speaker's valence and arousal over the turns (``conversation analyze --plot``)."""

from __future__ import annotations

from pathlib import Path

from affectlens.conversation.schema import ConversationAnalysis
from affectlens.plots import pyplot, save

__all__ = ["conversation_plot"]


def conversation_plot(analysis: ConversationAnalysis, path: Path) -> Path:
    """Each speaker's valence and arousal over the turns; shifts marked, cause links drawn."""
    plt = pyplot()
    fig, axes = plt.subplots(2, 1, figsize=(max(6.0, min(24.0, 0.25 * len(analysis.turns) + 4)), 6), sharex=True)
    d = analysis.dynamics
    values = {t.index: (t.analysis.vad.valence, t.analysis.vad.arousal) for t in analysis.turns}
    for ax, k, name in ((axes[0], 0, "valence"), (axes[1], 1, "arousal")):
        for trajectory in d.trajectories:
            ys = trajectory.valence if k == 0 else trajectory.arousal
            ax.plot(trajectory.turns, ys, marker="o", markersize=3, linewidth=1.2, label=trajectory.speaker)
        shifts = [s.turn for s in d.shifts]
        ax.scatter(shifts, [values[i][k] for i in shifts], s=80, facecolors="none", edgecolors="black", zorder=3, label="shift")
        for e in d.escalations:
            ax.axvspan(e.start_turn - 0.5, e.end_turn + 0.5, color="red", alpha=0.12)
        ax.axhline(0.0, color="grey", linewidth=0.6)
        ax.set_ylim(-1.05, 1.05)
        ax.set_ylabel(name)
    for c in analysis.causes:
        if c.cause_turn != c.effect_turn:
            axes[0].annotate(
                "",
                xy=(c.effect_turn, values[c.effect_turn][0]),
                xytext=(c.cause_turn, values[c.cause_turn][0]),
                arrowprops={
                    "arrowstyle": "->",
                    "color": "tab:purple",
                    "alpha": min(1.0, 0.3 + c.score),
                    "connectionstyle": "arc3,rad=0.3",
                },
            )
    axes[0].legend(loc="upper right", fontsize=7, ncol=4)
    axes[1].set_xlabel("turn (arrows: cause → effect; shaded: escalation)")
    return save(plt, fig, f"conversation {analysis.conversation_id}", path)
