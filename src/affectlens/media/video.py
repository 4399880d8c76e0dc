"""Video: the faces in sampled frames, the voice of the audio track, and where they disagree.

:class:`VideoAnalyzer` decodes a video with PyAV (its wheels bundle FFmpeg: H.264, VP8/9,
MPEG-4, AAC, Opus… nothing else to install), keeps :data:`DEFAULT_FPS` frames a second (the
frames between are never kept in memory), reads each kept frame's faces with the image
analyzer, and the audio track with the audio analyzer (:mod:`affectlens.media.audio`).

**Fusion, without a silent average.** Each voice segment gets the faces seen while it was
spoken and their summary; its own ``analysis`` stays what the words (and the voice) say. When
the faces' valence and the words' valence have opposite signs and are at least
:data:`CONFLICT_MARGIN` apart, the segment carries a ``conflict`` — the modalities, the margin
and a sentence saying who shows what ("the face shows joy (0.98) while the words say anger
(0.81)"); the summary warns how many segments conflict.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from affectlens.analyzers.base import AnalyzeOptions
from affectlens.media.audio import DEFAULT_MAX_SECONDS, AudioError
from affectlens.media.images import LoadedImage, MediaError, open_media
from affectlens.schema import Analysis, Conflict, Face, MediaAnalysis, Segment

__all__ = ["CONFLICT_MARGIN", "DEFAULT_FPS", "NO_FACE_IN_VIDEO", "VideoAnalyzer", "VideoError"]

DEFAULT_FPS = 2.0
CONFLICT_MARGIN = 0.6  # valence apart (of 2) before face and words are said to disagree
NO_FACE_IN_VIDEO = "no face in the sampled frames"
_MAX_SIDE = 1280  # frames are searched at most this long (as images are)


class VideoError(MediaError):
    """An input that is not a video affectlens can read."""


class VideoAnalyzer:
    """Faces over time and the voice of a video (thread-safe, as its parts are)."""

    def __init__(self, images: Any, audio: Any, *, fps: float = DEFAULT_FPS, max_seconds: float = DEFAULT_MAX_SECONDS) -> None:
        self.images = images
        self.audio = audio
        self.fps = fps
        self.max_seconds = max_seconds

    @property
    def backend_id(self) -> str:
        return f"{self.images.backend_id}+{self.audio.backend_id}"

    def analyze_video(
        self,
        source: str | Path,
        *,
        id: str | None = None,
        name: str | None = None,
        options: AnalyzeOptions | None = None,
        **overrides: Any,
    ) -> MediaAnalysis:
        from affectlens.media.analyzer import summarize

        options = AnalyzeOptions.build(options, overrides)
        label = name if name is not None else str(source)
        faces, width, height, duration, damaged = self._faces(source, options)
        warnings: list[str] = [damaged] if damaged else []
        try:
            heard = self.audio.analyze_audio(source, options=options)
            segments = heard.segments
            warnings += heard.warnings
        except AudioError as exc:
            if "no audio track" not in exc.message:
                raise
            segments = []
            warnings.append("no audio track: the faces alone are read")
        if not faces:
            warnings.append(NO_FACE_IN_VIDEO)
        fused = [self._fuse(segment, faces, options) for segment in segments]
        conflicts = sum(s.conflict is not None for s in fused)
        if conflicts:
            warnings.append(
                f"{conflicts} of {len(fused)} segments: the face and the words disagree (see each segment's conflict)"
            )
        if fused:
            parts, weights, what = [s.analysis for s in fused], [s.end_s - s.start_s for s in fused], "segments"
        else:
            parts, weights, what = [f.analysis for f in faces], None, "faces in frames"
        summary = summarize(parts, options, self.backend_id, warnings, what=what, weights=weights)
        return MediaAnalysis(
            id=id, source=label, kind="video", width=width, height=height, duration_s=round(duration, 2),
            faces=faces, segments=fused, summary=summary, backend=self.backend_id, warnings=warnings,
        )  # fmt: skip

    def _faces(self, source: str | Path, options: AnalyzeOptions) -> tuple[list[Face], int | None, int | None, float, str | None]:
        """Faces in frames sampled every 1/fps seconds, each with its frame's time."""
        from affectlens.media.audio import pyav

        av = pyav()
        stream = open_media(source, VideoError)
        faces: list[Face] = []
        width = height = None
        last = 0.0
        damaged: str | None = None
        try:
            try:
                container = av.open(stream)
            except (av.FFmpegError, ValueError, OSError):
                # FFmpeg's own words name the file: the reason is said without them
                raise VideoError("is not a video affectlens reads (MP4, MOV, MKV, WebM, AVI), or it is truncated") from None
            with container:
                tracks = [s for s in container.streams if s.type == "video"]
                if not tracks:
                    raise VideoError("has no video track")
                track = tracks[0]
                if container.duration is not None and container.duration / 1e6 > self.max_seconds:
                    raise VideoError(f"is longer than the limit of {self.max_seconds:.0f} s", hint="raise --max-seconds")
                track.thread_type = "AUTO"
                due = 0.0
                try:
                    for frame in container.decode(track):
                        at = float(frame.time) if frame.time is not None else due
                        last = max(last, at)
                        if at + 1e-6 < due:
                            continue
                        due = at + 1.0 / self.fps
                        if at > self.max_seconds:
                            raise VideoError(f"is longer than the limit of {self.max_seconds:.0f} s", hint="raise --max-seconds")
                        grey = _grey(frame)
                        height, width = grey.shape
                        seen = self.images.analyze_image(LoadedImage(grey, width, height, "frame"), name="frame", options=options)
                        faces += [f.model_copy(update={"frame_time_s": round(at, 3)}) for f in seen.faces]
                except av.FFmpegError:
                    if width is None:
                        raise VideoError("cannot be decoded: the file is truncated or damaged") from None
                    damaged = f"the video stops decoding at {last:.1f} s (truncated or damaged): the frames before are read"
        finally:
            stream.close()
        return faces, width, height, last, damaged

    def _fuse(self, segment: Segment, faces: list[Face], options: AnalyzeOptions) -> Segment:
        from affectlens.media.analyzer import summarize

        seen = [f for f in faces if f.frame_time_s is not None and segment.start_s <= f.frame_time_s <= segment.end_s]
        if not seen:
            return segment
        face = summarize([f.analysis for f in seen], options, self.images.backend_id, [], what="faces in frames")
        return segment.model_copy(update={"faces": seen, "face_summary": face, "conflict": conflict(face, segment.analysis)})


def conflict(face: Analysis, words: Analysis) -> Conflict | None:
    """A :class:`Conflict` when the face's and the words' valences have opposite signs and are
    at least :data:`CONFLICT_MARGIN` apart; None otherwise."""
    a, b = face.vad.valence, words.vad.valence
    margin = round(abs(a - b), 3)
    if a * b >= 0 or margin < CONFLICT_MARGIN:
        return None

    def says(analysis: Analysis) -> str:
        top = analysis.dominant
        return f"{top} ({analysis.scores.get(top, 0.0):.2f})" if top else "nothing"

    return Conflict(
        modalities=["face", "words"],
        margin=margin,
        note=f"the face shows {says(face)} while the words say {says(words)} (valence {a:+.2f} against {b:+.2f})",
    )


def _grey(frame: Any) -> np.ndarray:
    """A frame as grey pixels, at most :data:`_MAX_SIDE` long."""
    width, height = frame.width, frame.height
    scale = min(1.0, _MAX_SIDE / max(width, height))
    if scale < 1.0:
        frame = frame.reformat(width=max(1, round(width * scale)), height=max(1, round(height * scale)))
    return np.ascontiguousarray(frame.to_ndarray(format="gray"))
