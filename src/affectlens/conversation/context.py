"""What the conversation model reads for one turn: the turn, then the turns before it.

The input is one sequence ``turn [SEP] previous [SEP] the one before …`` — newest context
first, so that when the token budget runs out it is the oldest turns that are left out.
Training (:mod:`affectlens.training.conversation`) and run time build it with this function.

>>> context_input(["Hi.", "You again?", "Yes, me!"], 2, count_tokens=lambda s: len(s.split()))
'Yes, me! [SEP] You again? [SEP] Hi.'
>>> context_input(["Hi.", "You again?", "Yes, me!"], 2, count_tokens=lambda s: len(s.split()), budget=5)
'Yes, me! [SEP] You again?'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

__all__ = ["CONTEXT_TURNS", "TOKEN_BUDGET", "context_input"]

CONTEXT_TURNS = 3  # preceding turns the model sees at most
TOKEN_BUDGET = 126  # the encoder's window without [CLS] and the final [SEP]
SEPARATOR = " [SEP] "


def context_input(
    texts: Sequence[str],
    index: int,
    *,
    count_tokens: Callable[[str], int],
    turns: int = CONTEXT_TURNS,
    budget: int = TOKEN_BUDGET,
) -> str:
    """The model input for ``texts[index]`` with up to ``turns`` preceding turns as context."""
    parts = [texts[index]]
    used = count_tokens(texts[index])
    for previous in range(index - 1, max(-1, index - 1 - turns), -1):
        cost = count_tokens(texts[previous]) + 1  # + the separator
        if used + cost > budget:
            break
        parts.append(texts[previous])
        used += cost
    return SEPARATOR.join(parts)
