"""What the conversation model reads for one turn: the turn, then the turns it answers.

The input is one sequence ``turn [SEP] previous [SEP] the one before …`` — newest context
first, so that when the token budget runs out it is the oldest turns that are left out.
"Previous" follows the conversation's parents: in a line, the turns before; in a reply
thread, the post replied to, then the post that one replied to (never a sibling branch).
Training (:mod:`affectlens.training.conversation`) and run time build it with this function.

>>> context_input(["Hi.", "You again?", "Yes, me!"], 2, count_tokens=lambda s: len(s.split()))
'Yes, me! [SEP] You again? [SEP] Hi.'
>>> context_input(["Hi.", "You again?", "Yes, me!"], 2, count_tokens=lambda s: len(s.split()), budget=5)
'Yes, me! [SEP] You again?'
>>> context_input(["Hi.", "You again?", "Yes, me!"], 2, count_tokens=lambda s: len(s.split()), parents=[None, 0, 0])
'Yes, me! [SEP] Hi.'
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

from affectlens.conversation.tree import ancestors, linear_parents

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
    parents: Sequence[int | None] | None = None,
) -> str:
    """The model input for ``texts[index]`` with up to ``turns`` turns it answers as context
    (``parents``: see :mod:`affectlens.conversation.tree`; default, the turns before)."""
    parts = [texts[index]]
    used = count_tokens(texts[index])
    chain = ancestors(parents if parents is not None else linear_parents(len(texts)), index)
    for previous in itertools.islice(chain, turns):
        cost = count_tokens(texts[previous]) + 1  # + the separator
        if used + cost > budget:
            break
        parts.append(texts[previous])
        used += cost
    return SEPARATOR.join(parts)
