"""Calls as conversations: each voice segment of a recording a turn (:mod:`affectlens.media.audio`)."""

from __future__ import annotations

from typing import Any

from affectlens.conversation.analyzer import Conversation
from affectlens.conversation.io import Problem, ReadResult

__all__ = ["conversations_from_speech"]


def conversations_from_speech(source: Any, log: Any = None) -> ReadResult:
    """The recordings of a media source (:data:`~affectlens.runs.sources.MEDIA`) as conversations:
    each voice segment a turn, with its speaker (``left``/``right`` on a two-channel call, else
    one ``speaker``) and its start time in seconds as the timestamp. A file that cannot be read
    is a problem of its own; the others go on."""
    from affectlens.io.readers import AUDIO_SUFFIXES, VIDEO_SUFFIXES
    from affectlens.media.audio import AudioAnalyzer
    from affectlens.media.images import MediaError
    from affectlens.runs.sources import media_paths

    root, paths = media_paths(source)
    result = ReadResult([])
    analyzer: Any = None
    for path in paths:
        name = path.resolve().relative_to(root.resolve()).as_posix() if path.is_absolute() else path.as_posix()
        if path.suffix.lower() not in AUDIO_SUFFIXES | VIDEO_SUFFIXES:
            result.problems.append(Problem(None, name, "is not a recording: skipped"))
            continue
        analyzer = analyzer or AudioAnalyzer()
        if log:
            log(f"transcribing {name}")
        try:
            heard = analyzer.analyze_audio(path, name=name)
        except MediaError as exc:
            result.problems.append(Problem(None, name, f"{exc.message}: skipped"))
            continue
        if not heard.segments:
            result.problems.append(Problem(None, name, "has no speech: skipped"))
            continue
        result.conversations.append(
            Conversation(
                name,
                [s.speaker or "speaker" for s in heard.segments],
                [s.transcript for s in heard.segments],
                [f"{s.start_s:.2f}" for s in heard.segments],
            )
        )
        result.turns += len(heard.segments)
    return result
