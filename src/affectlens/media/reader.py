"""One entry for any media file: an image, a recording or a video, read by its suffix.

:class:`MediaReader` holds the image, audio and video analyzers, each built the first time a
file needs it, and is what the run's ``media`` work and :func:`analyze_media` use::

    >>> from affectlens import analyze_media                      # doctest: +SKIP
    >>> analyze_media("interview.mp4").segments[0].conflict       # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from affectlens.analyzers.base import AnalyzeOptions
from affectlens.io.readers import AUDIO_SUFFIXES, VIDEO_SUFFIXES
from affectlens.schema import MediaAnalysis

__all__ = ["MediaReader", "analyze_media"]


class MediaReader:
    """Reads images (faces), recordings (voices; a ``.vtt``/``.srt`` beside one is its transcript)
    and videos (both, fused); ``faces``, ``max_pixels`` and ``max_seconds`` as for the command line.
    ``llm``: an OpenAI-compatible analyzer that then perceives the media itself and answers, its
    answer verified against the offline reading (:mod:`affectlens.media.llm`)."""

    def __init__(
        self,
        *,
        threads: int | None = None,
        faces: str = "detect",
        max_pixels: int | None = None,
        max_seconds: float | None = None,
        llm: Any = None,
    ) -> None:
        self.threads, self.faces, self.max_pixels, self.max_seconds = threads, faces, max_pixels, max_seconds
        self.llm: Any = None
        if llm is not None:
            from affectlens.media.llm import MediaLLM

            self.llm = MediaLLM(llm)
        self._images: Any = None
        self._audio: Any = None
        self._video: Any = None

    @property
    def images(self) -> Any:
        if self._images is None:
            from affectlens.media.analyzer import ImageAnalyzer
            from affectlens.media.images import DEFAULT_MAX_PIXELS

            pixels = self.max_pixels or DEFAULT_MAX_PIXELS
            self._images = ImageAnalyzer(threads=self.threads, max_pixels=pixels, faces=self.faces)
        return self._images

    @property
    def audio(self) -> Any:
        if self._audio is None:
            from affectlens.media.audio import DEFAULT_MAX_SECONDS, AudioAnalyzer

            self._audio = AudioAnalyzer(threads=self.threads, max_seconds=self.max_seconds or DEFAULT_MAX_SECONDS)
        return self._audio

    @property
    def video(self) -> Any:
        if self._video is None:
            from affectlens.media.video import VideoAnalyzer

            self._video = VideoAnalyzer(self.images, self.audio, max_seconds=self.audio.max_seconds)
        return self._video

    @property
    def backend_id(self) -> str | None:
        """The models used so far (None before the first file)."""
        ids = [m.backend_id for m in (self._images, self._audio) if m is not None]
        if self.llm is not None:
            return " + ".join([self.llm.backend_id, *ids])
        return " + ".join(ids) if ids else None

    def analyze(
        self, path: str | Path, *, id: str | None = None, name: str | None = None, options: AnalyzeOptions | None = None
    ) -> MediaAnalysis:
        """The file at ``path``, by its suffix; a file that cannot be read raises :class:`~affectlens.media.images.MediaError`."""
        options = options or AnalyzeOptions()
        suffix = Path(path).suffix.lower()
        result: MediaAnalysis
        if suffix in VIDEO_SUFFIXES:
            result = self.video.analyze_video(path, id=id, name=name, options=options)
        elif suffix in AUDIO_SUFFIXES:
            from affectlens.media.audio import sidecar_transcript

            transcript = sidecar_transcript(path)  # call.vtt beside call.wav: its cues instead of recognition
            result = self.audio.analyze_audio(path, id=id, name=name, options=options, transcript=transcript)
        else:
            result = self.images.analyze_image(path, id=id, name=name, options=options)
        if self.llm is not None:
            result = self.llm.analyze(path, result, options)
        return result


_shared: dict[str, MediaReader] = {}


def analyze_media(path: str | Path, *, llm: Any = None, **options: Any) -> MediaAnalysis:
    """Any media file — an image, a recording or a video — by its suffix; options as in
    :class:`affectlens.AnalyzeOptions` (``taxonomy`` defaults to ``"ekman"``). ``llm``: an
    OpenAI-compatible analyzer (``get_analyzer("openai", base_url=..., model=...)``) that
    perceives the media too; its answer, verified, becomes the summary."""
    reader = _shared.setdefault("reader", MediaReader())  # the offline models, loaded once
    built = AnalyzeOptions.build(None, {"taxonomy": "ekman", **options})
    offline = reader.analyze(path, options=built)
    if llm is None:
        return offline
    from affectlens.media.llm import MediaLLM

    return MediaLLM(llm).analyze(path, offline, built)
