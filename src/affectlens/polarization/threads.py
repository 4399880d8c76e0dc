"""Reading reply threads: rows of posts in any order → threads (conversations with parents),
and every post that cannot take part, with the reason.

A row is a post: ``id``, ``parent_id`` (empty for a root), ``author``, ``text``,
``created_at``, and optionally ``thread_id``, ``topic`` and a stance label (column names
configurable, :class:`ThreadColumns`). Posts are linked by id
(:func:`affectlens.conversation.tree.link`) across all input files, so a reply may come
before its parent or in another file. Nothing is dropped silently; each problem is a
:class:`ThreadProblem` (a line of ``problems.jsonl`` in the run folder):

- ``bad-row``: the row cannot be read (not UTF-8, broken CSV or JSON, too long) or has no id;
- ``duplicate``: an earlier row has the same id — the row is left out, replies answer the first;
- ``orphan``: the parent id names no post — the post heads a thread of its own (its replies
  are scored), but it has no interaction of its own;
- ``cycle`` / ``under-cycle``: the post's parents lead round in a circle (or into one): the
  posts have no root, and are left out;
- ``unknown-topic``: the row's topic is not one of the run's topics: left out.

Threads: the ``thread_id`` when the input has one, else the id of the root (an orphan roots
its own). A thread's posts are ordered parents before replies, siblings in input order; its
time is its root's (or earliest post's) ``created_at``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from affectlens.conversation.analyzer import Conversation
from affectlens.conversation.tree import link
from affectlens.io.readers import Record, read_records
from affectlens.io.text import length_problem
from affectlens.runs.rows import parse_time
from affectlens.runs.sources import Source

__all__ = ["POST_COLUMNS", "Post", "ThreadColumns", "ThreadProblem", "Threads", "read_threads"]


@dataclass(frozen=True)
class ThreadColumns:
    id: str = "id"
    parent: str = "parent_id"
    author: str = "author"
    text: str = "text"
    time: str = "created_at"
    thread: str = "thread_id"
    topic: str = "topic"
    stance: str | None = None  # the user's own stance labels, when given

    @property
    def extra(self) -> tuple[str, ...]:
        return tuple(c for c in (self.parent, self.author, self.time, self.thread, self.topic, self.stance) if c)


@dataclass
class Post:
    source: int
    line: int
    id: str
    parent_id: str | None
    author: str | None
    text: str
    time: str | None  # ISO-8601 UTC, or None when missing or unreadable
    thread_id: str | None
    topic: str | None
    stance: str | None


@dataclass(frozen=True)
class ThreadProblem:
    kind: str
    source: int
    file: str
    line: int
    id: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()

    def __str__(self) -> str:
        return f"{self.file}, line {self.line}: {self.message}"


@dataclass
class Threads:
    """The posts that take part, in thread order, and what was left out or flagged."""

    posts: list[Post]
    parent: list[int | None]  # index into ``posts`` of each post's parent (None: root or orphan)
    thread: list[str]
    problems: list[ThreadProblem] = field(default_factory=list)
    rows: int = 0

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in self.problems:
            out[p.kind] = out.get(p.kind, 0) + 1
        return out

    def conversations(self) -> list[Conversation]:
        """Each thread as a conversation whose parents branch (authors are the speakers)."""
        out: dict[str, Conversation] = {}
        position: dict[int, int] = {}
        for i, post in enumerate(self.posts):
            c = out.setdefault(self.thread[i], Conversation(self.thread[i], [], []))
            position[i] = len(c.texts)
            p = self.parent[i]
            c.texts.append(post.text)
            c.speakers.append(post.author)
            c.timestamps.append(post.time)
            c.ids.append(post.id)
            c.parents.append(position[p] if p is not None and self.thread[p] == self.thread[i] else None)
        return list(out.values())


#: columns of the run's ``posts.parquet`` (what the annotation tasks read)
POST_COLUMNS = (
    "post", "id", "parent_id", "thread", "author", "time", "topic", "text",
    "parent_text", "parent_author", "is_reply", "given_stance", "source", "line",
)  # fmt: skip


def read_threads(
    sources: Sequence[Source],
    columns: ThreadColumns = ThreadColumns(),
    *,
    max_chars: int,
    topics: Iterable[str] | None = None,
    default_topic: str | None = None,
) -> Threads:
    """All posts of ``sources`` linked into threads (see the module docstring). ``topics``:
    the topic names the run knows; a row's topic column must name one of them (a row
    without one takes ``default_topic``)."""
    known = set(topics) if topics is not None else None
    posts: list[Post] = []
    problems: list[ThreadProblem] = []
    rows = 0
    for n, source in enumerate(sources):
        records = read_records(
            source.path,
            input_format=source.format,
            text_column=columns.text,
            id_column=columns.id,
            extra=columns.extra,
            required={columns.id: "--id-column", columns.parent: "--parent-column"},
            max_chars=max_chars,
        )
        for record in records:
            rows += 1
            extra = record.extra or {}

            def problem(kind: str, message: str, post_id: str | None = None, where: Record = record, n: int = n) -> None:
                problems.append(ThreadProblem(kind, n, sources[n].path, where.line, post_id, message))

            if record.error:
                problem("bad-row", f"{record.error}: left out (a reply to it becomes an orphan)")
                continue
            if record.id in (None, ""):
                problem("bad-row", f"has no {columns.id!r}: it cannot be linked, left out")
                continue
            too_long = length_problem(record.text or "", max_chars)
            if too_long is not None:
                problem("bad-row", f"{too_long}: left out", record.id)
                continue
            topic = _text(extra.get(columns.topic)) or default_topic
            if known is not None and topic not in known:
                problem(
                    "unknown-topic",
                    f"has topic {topic!r}, not one of this run's ({', '.join(sorted(known))}): left out",
                    record.id,
                )
                continue
            moment = parse_time(extra.get(columns.time))
            posts.append(
                Post(
                    source=n,
                    line=record.line,
                    id=str(record.id),
                    parent_id=_text(extra.get(columns.parent)),
                    author=_text(extra.get(columns.author)),
                    text=record.text or "",
                    time=moment.isoformat() if moment else None,
                    thread_id=_text(extra.get(columns.thread)),
                    topic=topic,
                    stance=_text(extra.get(columns.stance)) if columns.stance else None,
                )
            )
    linked = link([p.id for p in posts], [p.parent_id for p in posts])
    messages = {
        "duplicate": "repeats the id {id!r} of line {first}: left out (replies to the id answer the first)",
        "orphan": "answers {parent!r}, which is not in the input: kept as the start of its own thread, with no interaction",
        "cycle": "is in a cycle of replies (its parents lead back to it): left out",
        "under-cycle": "answers a post in a cycle of replies, so its thread has no start: left out",
    }
    first_line: dict[str, int] = {}
    for i, post in enumerate(posts):
        first_line.setdefault(post.id, post.line)
        kind = linked.problems.get(i)
        if kind is not None:
            message = messages[kind].format(id=post.id, first=first_line[post.id], parent=post.parent_id)
            problems.append(ThreadProblem(kind, post.source, sources[post.source].path, post.line, post.id, message))
    return _ordered(posts, linked.parent, linked.root, [linked.placed(i) for i in range(len(posts))], problems, rows)


def _ordered(
    posts: list[Post],
    parent: list[int | None],
    root: list[int | None],
    placed: list[bool],
    problems: list[ThreadProblem],
    rows: int,
) -> Threads:
    """Placed posts grouped by thread (first appearance), parents before replies."""
    children: dict[int, list[int]] = {}
    for i, p in enumerate(parent):
        if placed[i] and p is not None:
            children.setdefault(p, []).append(i)
    thread_of = [posts[i].thread_id or (posts[root[i]].id if root[i] is not None else "") for i in range(len(posts))]
    order: dict[str, list[int]] = {}
    for i in range(len(posts)):
        if placed[i] and parent[i] is None:  # a root (or an orphan): its tree, depth first
            stack = [i]
            while stack:
                node = stack.pop()
                order.setdefault(thread_of[node], []).append(node)
                stack.extend(reversed(children.get(node, [])))
    flat = [i for members in order.values() for i in members]
    new = {old: k for k, old in enumerate(flat)}
    return Threads(
        posts=[posts[i] for i in flat],
        parent=[new[parent[i]] if parent[i] is not None else None for i in flat],
        thread=[thread_of[i] for i in flat],
        problems=sorted(problems, key=lambda p: (p.source, p.line)),
        rows=rows,
    )


def _text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)
