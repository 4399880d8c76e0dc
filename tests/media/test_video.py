"""Video: faces in sampled frames, the audio track's voice, and a conflict when they disagree.

Composed videos: the repository's smiling face (tests/data/faces) over generated speech."""

from __future__ import annotations

import itertools
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from tests.media.conftest import ASTRONAUT
from tests.media.test_audio import speak

pytestmark = pytest.mark.audio


def compose(
    path: Path, speech: np.ndarray | None, rate: int, seconds: float, *, face: bool = True, size: tuple[int, int] = (480, 360)
) -> Path:
    """A video at 10 fps showing the smiling face (or a grey frame) over ``speech``: an MP4 (H.264,
    AAC), or by its suffix a WebM (VP8, Opus: what every browser plays)."""
    import av
    from PIL import Image

    picture = Image.open(ASTRONAUT).convert("RGB").resize((320, 320)) if face else Image.new("RGB", (320, 320), (90, 90, 90))
    canvas = Image.new("RGB", size, (128, 128, 128))
    canvas.paste(picture, (80, 20))
    pixels = np.asarray(canvas)
    with av.open(str(path), "w") as out:
        webm = path.suffix == ".webm"
        video = out.add_stream("libvpx" if webm else "libx264", rate=10)
        video.width, video.height, video.pix_fmt = size[0], size[1], "yuv420p"
        audio = out.add_stream("libopus" if webm else "aac", rate=48000 if webm else rate) if speech is not None else None
        for n in range(int(seconds * 10)):
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts, frame.time_base = n, Fraction(1, 10)
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        if audio is not None:
            samples = np.pad(speech, (0, max(0, int(seconds * rate) - len(speech))))[: int(seconds * rate)]
            chunk = 1024
            for start in range(0, len(samples), chunk):
                block = samples[start : start + chunk]
                frame = av.AudioFrame.from_ndarray(block.reshape(1, -1).astype(np.int16), format="s16", layout="mono")
                frame.sample_rate, frame.pts = rate, start
                for packet in audio.encode(frame):
                    out.mux(packet)
            for packet in audio.encode():
                out.mux(packet)
    return path


@pytest.fixture(scope="module")
def video_analyzer(audio_analyzer):
    pytest.importorskip("cv2", reason="faces need affectlens[faces]")
    from affectlens.media.analyzer import ImageAnalyzer
    from affectlens.media.video import VideoAnalyzer

    return VideoAnalyzer(ImageAnalyzer(threads=2), audio_analyzer)


def test_a_smile_over_angry_words_is_a_conflict(video_analyzer, tmp_path):
    rate, angry = speak("I am absolutely furious, this is the worst service I have ever had.")
    result = video_analyzer.analyze_video(compose(tmp_path / "smile-angry.mp4", angry, rate, 6), taxonomy="ekman")
    assert result.kind == "video" and result.duration_s >= 5
    assert result.faces and all(f.frame_time_s is not None for f in result.faces)
    times = sorted({f.frame_time_s for f in result.faces})
    assert len(times) >= 10 and all(0.4 <= b - a <= 0.6 for a, b in itertools.pairwise(times))  # two frames a second
    (segment,) = result.segments
    assert "anger" in segment.analysis.labels and segment.face_summary.dominant == "joy"
    assert segment.conflict is not None and segment.conflict.modalities == ["face", "words"]
    assert segment.conflict.margin >= 0.6 and "joy" in segment.conflict.note and "anger" in segment.conflict.note
    assert any("disagree" in w for w in result.warnings)


def test_a_smile_over_happy_words_is_no_conflict(video_analyzer, tmp_path):
    rate, happy = speak("I love it, thank you so much.")
    result = video_analyzer.analyze_video(compose(tmp_path / "smile-happy.mp4", happy, rate, 5))
    (segment,) = result.segments
    assert segment.faces and segment.conflict is None


def test_video_without_audio_or_without_faces(video_analyzer, tmp_path):
    silent = video_analyzer.analyze_video(compose(tmp_path / "silent.mp4", None, 16000, 3))
    assert silent.segments == [] and silent.faces and any("no audio track" in w for w in silent.warnings)
    assert silent.summary.dominant == "joy"
    rate, words = speak("Thank you so much, this is wonderful news.")
    faceless = video_analyzer.analyze_video(compose(tmp_path / "faceless.mp4", words, rate, 4, face=False))
    assert faceless.faces == [] and faceless.segments and any("no face" in w for w in faceless.warnings)
    assert faceless.segments[0].conflict is None


def test_a_folder_of_videos_in_the_report(video_analyzer, cli, tmp_path):
    pytest.importorskip("plotly", reason="reports need affectlens[corpus]")
    from affectlens.runs.execute import rows_of

    folder = tmp_path / "videos"
    folder.mkdir()
    rate, angry = speak("I am absolutely furious, this is the worst service I have ever had.")
    _, happy = speak("I love it, thank you so much.")
    compose(folder / "smile-angry.mp4", angry, rate, 6)
    compose(folder / "smile-happy.mp4", happy, rate, 5)
    assert cli("corpus", "analyze", str(folder), "-o", str(tmp_path / "run")).code == 0
    rows = {r["id"]: r for r in rows_of(tmp_path / "run").to_pylist()}
    assert rows["smile-angry.mp4"]["conflicts"] == 1 and rows["smile-happy.mp4"]["conflicts"] == 0
    for row in rows.values():  # the voice figures of each file: espeak-ng's voice, about 100 Hz
        assert row["speech_s"] > 1 and 60 < row["pitch_hz"] < 200 and row["rate_wps"] > 1 and row["loudness_db"] < 0
    r = cli("corpus", "report", str(tmp_path / "run"), "-o", str(tmp_path / "report.html"))
    assert r.code == 0, r.err
    page = (tmp_path / "report.html").read_text()
    assert "Where the face and the words disagree" in page and "1 of 2 segments" in page
    assert "How the voices sounded" in page and "from the voice [95%]" in page and "minutes of speech" in page


def test_bad_videos_are_one_clear_reason(video_analyzer, tmp_path):
    import re

    from affectlens.media.images import MediaError

    rate, words = speak("Thank you so much, this is wonderful news.")
    good = compose(tmp_path / "good.mp4", words, rate, 4).read_bytes()
    cases = {"empty.mp4": (b"", "empty|not a video|no "), "notes.mp4": (b"plain text, not a video\n" * 50, "not a")}
    cases["cut.mp4"] = (good[: len(good) // 3], "truncated|damaged|not a|cannot")
    for name, (data, why) in cases.items():
        (tmp_path / name).write_bytes(data)
        try:
            result = video_analyzer.analyze_video(tmp_path / name)
        except MediaError as exc:
            assert re.search(why, exc.message), (name, exc.message)
        else:  # a cut file may still give its first frames: then a warning says so
            assert name == "cut.mp4" and any(re.search(why, w) for w in result.warnings), result.warnings
