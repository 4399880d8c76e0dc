"""Turns that answer turns: a conversation is a tree, and a line is the tree where every
turn answers the one before it.

A conversation's ``parents[i]`` is the index of the turn that turn *i* answers, or None for
a turn that answers nobody (the first turn, a new thread). A parent always comes before its
child, so a conversation's turns are in an order where every reply follows what it answers.
Everything that looks "back" in a conversation — the context the model reads, a speaker's
previous turn, the turn a reply reacts to, the candidate causes of an emotion — follows
these links; with the default (linear) parents that is exactly the turns before.

:func:`link` builds the links for posts that arrive in any order with ids and parent ids
(reply threads), and names every post that cannot be placed: a duplicate id, a parent that
is not there (an orphan), a cycle.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Linked", "ancestors", "check_parents", "linear_parents", "link", "paths", "restrict"]

Parents = Sequence[int | None]


def linear_parents(n: int) -> list[int | None]:
    """Each turn answers the one before it."""
    return [None, *range(n - 1)] if n else []


def check_parents(parents: Parents) -> None:
    """ValueError unless every parent is an earlier turn (or None)."""
    for i, p in enumerate(parents):
        if p is not None and not 0 <= p < i:
            raise ValueError(f"turn {i} answers turn {p}: a turn can only answer an earlier turn")


def ancestors(parents: Parents, i: int) -> Iterator[int]:
    """The turns above ``i``, nearest first: its parent, the parent's parent, …"""
    p = parents[i]
    while p is not None:
        yield p
        p = parents[p]


def paths(parents: Parents) -> list[list[int]]:
    """Every root-to-leaf path (one path, all turns, for a linear conversation)."""
    has_child = [False] * len(parents)
    for p in parents:
        if p is not None:
            has_child[p] = True
    out = []
    for leaf in (i for i in range(len(parents)) if not has_child[i]):
        out.append([*reversed(list(ancestors(parents, leaf))), leaf])
    return out


def restrict(parents: Parents, keep: Sequence[int]) -> list[int | None]:
    """The parents of the turns ``keep`` (increasing) among themselves, as positions in
    ``keep``: a kept turn whose parent is left out answers its nearest kept ancestor."""
    position = {turn: k for k, turn in enumerate(keep)}
    return [next((position[a] for a in ancestors(parents, turn) if a in position), None) for turn in keep]


Problem = Literal["duplicate", "orphan", "cycle", "under-cycle"]


@dataclass
class Linked:
    """Links of posts given in any order (indices are positions in the input).

    ``parent[i]``: the post that post *i* answers (None: a root, or a post that cannot be
    placed); ``root[i]``: the root of its tree (None for a post that cannot be placed);
    ``problems[i]``: why post *i* is not an ordinary member of its tree —

    - ``duplicate``: an earlier post has the same id (replies to the id answer the first one);
    - ``orphan``: its parent id names no post; it heads a tree of its own (its replies are
      placed), but what it answers is unknown;
    - ``cycle``: following its parents comes back to it;
    - ``under-cycle``: it answers (through others) a post in a cycle, so it has no root.
    """

    parent: list[int | None]
    root: list[int | None]
    problems: dict[int, Problem] = field(default_factory=dict)

    def placed(self, i: int) -> bool:
        return self.root[i] is not None and self.problems.get(i) != "duplicate"


def link(ids: Sequence[str], parent_ids: Sequence[str | None]) -> Linked:
    """Link posts by id (see :class:`Linked`); an empty or None parent id marks a root."""
    first: dict[str, int] = {}
    problems: dict[int, Problem] = {}
    for i, post in enumerate(ids):
        if post in first:
            problems[i] = "duplicate"
        else:
            first[post] = i
    parent: list[int | None] = [None] * len(ids)
    for i, p in enumerate(parent_ids):
        if i in problems or p in (None, ""):
            continue
        found = first.get(str(p))
        if found is None:
            problems[i] = "orphan"
        else:
            parent[i] = found
    root: list[int | None] = [None] * len(ids)
    state = [0] * len(ids)  # 0 unvisited, 1 on the current walk, 2 done
    for start in range(len(ids)):
        if state[start] or problems.get(start) == "duplicate":
            continue
        walk, node = [], start
        while node is not None and state[node] == 0:
            state[node] = 1
            walk.append(node)
            node = parent[node]
        if node is None:  # reached a root: every post of the walk hangs from it
            top = walk[-1]
            for n in walk:
                root[n] = top
        elif state[node] == 1:  # came back to a post of this walk: a cycle
            at = walk.index(node)
            for n in walk[at:]:
                problems[n] = "cycle"
            for n in walk[:at]:
                problems[n] = "under-cycle"
        else:  # reached a post placed before (or lost before)
            top = root[node]
            for n in walk:
                root[n] = top
                if top is None:
                    problems[n] = "under-cycle"
        for n in walk:
            state[n] = 2
    return Linked(parent, root, problems)
