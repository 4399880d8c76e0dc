"""Voices: generated speech (Debian's espeak-ng) through speech recognition, prosody and the text model.

Run with `make test-audio` (installs espeak-ng and affectlens[audio])."""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.audio

ESPEAK = shutil.which("espeak-ng")


def speak(text: str, *, pitch: int = 50, rate: int = 175, amplitude: int = 100) -> tuple[int, np.ndarray]:
    out = subprocess.run(
        [ESPEAK, "--stdout", "-p", str(pitch), "-s", str(rate), "-a", str(amplitude), text], capture_output=True, check=True
    ).stdout
    with wave.open(io.BytesIO(out)) as w:
        return w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), np.int16)


def wav(path: Path, rate: int, *channels: np.ndarray) -> Path:
    n = max(len(c) for c in channels)
    data = np.stack([np.pad(c, (0, n - len(c))) for c in channels], axis=1)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(len(channels))
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data.astype(np.int16).tobytes())
    return path


def silence(rate: int, seconds: float) -> np.ndarray:
    return np.zeros(int(rate * seconds), np.int16)


def word_error_rate(reference: str, hypothesis: str) -> float:
    ref = "".join(c for c in reference.lower() if c.isalnum() or c.isspace()).split()
    hyp = "".join(c for c in hypothesis.lower() if c.isalnum() or c.isspace()).split()
    d = np.arange(len(hyp) + 1)
    for i, r in enumerate(ref, start=1):
        prev, d[0] = d.copy(), i
        for j, h in enumerate(hyp, start=1):
            d[j] = min(prev[j] + 1, d[j - 1] + 1, prev[j - 1] + (r != h))
    return float(d[len(hyp)]) / len(ref)


SENTENCES = [
    "I have been waiting for three weeks and nobody has called me back.",
    "Thank you so much for your help, you made my day.",
    "The package arrived this morning and everything was in order.",
    "I am really worried that the payment will not go through in time.",
    "Could you please send me the invoice for last month?",
    "This is absolutely unacceptable and I want to speak to a manager.",
]


def test_word_error_rate_on_generated_sentences(audio_analyzer, tmp_path):
    rate, _ = speak("hello")
    errors = []
    for n, sentence in enumerate(SENTENCES):
        _, samples = speak(sentence)
        result = audio_analyzer.analyze_audio(wav(tmp_path / f"{n}.wav", rate, samples))
        errors.append(word_error_rate(sentence, " ".join(s.transcript for s in result.segments)))
    assert np.mean(errors) <= 0.2, errors  # measured: docs/voices.md


def test_analyze_media_reads_a_recording_by_its_suffix(audio_analyzer, tmp_path):
    import affectlens

    rate, samples = speak("I love it, thank you so much.")
    result = affectlens.analyze_media(wav(tmp_path / "thanks.wav", rate, samples))
    assert result.kind == "audio" and result.summary.taxonomy.startswith("ekman") and result.summary.dominant == "joy"


def test_angry_words_are_anger_at_the_times_they_were_said(audio_analyzer, tmp_path):
    rate, calm = speak("Good morning, thank you for taking my call.")
    _, angry = speak("I am absolutely furious, this is the worst service I have ever had.")
    path = wav(tmp_path / "call.wav", rate, np.concatenate([calm, silence(rate, 1.5), angry]))
    result = audio_analyzer.analyze_audio(path, taxonomy="ekman", explain=True)
    assert result.kind == "audio" and result.duration_s > 5
    angry_segments = [s for s in result.segments if "anger" in s.analysis.labels]
    assert angry_segments and all(s.start_s > len(calm) / rate for s in angry_segments)
    times = [e for s in angry_segments for e in s.analysis.evidence if e.kind == "time" and e.label == "anger"]
    assert times and all(s.start_s - 0.5 <= e.start_s <= e.end_s <= s.end_s + 0.5 for s in angry_segments for e in times)
    assert any("furious" in e.text for e in times)


def test_raised_pitch_rate_and_amplitude_raise_arousal_monotonically(audio_analyzer, tmp_path):
    """The same words three times, each said higher, faster and louder: only the voice differs
    (the transcript is given, so the recogniser's variations cannot move the words' arousal)."""
    sentence = "I need to talk to someone about my order today."
    parts, cues, at, rate = [], [], 0.0, 22050
    for pitch, speed, amplitude in ((25, 140, 50), (50, 175, 100), (85, 230, 190)):
        rate, samples = speak(sentence, pitch=pitch, rate=speed, amplitude=amplitude)
        cues.append((at, at + len(samples) / rate))
        parts += [samples, silence(rate, 1.2)]
        at += len(samples) / rate + 1.2
    path = wav(tmp_path / "rising.wav", rate, np.concatenate(parts))

    def clock(t: float) -> str:
        return f"00:00:{t:06.3f}"

    vtt = tmp_path / "rising.vtt"
    vtt.write_text("WEBVTT\n\n" + "".join(f"{clock(a)} --> {clock(b)}\n{sentence}\n\n" for a, b in cues))
    result = audio_analyzer.analyze_audio(path, transcript=vtt)
    said = [(s.analysis.vad.arousal, s.prosody.arousal_shift, s.prosody.z) for s in result.segments]
    assert len(result.segments) == 3, said
    arousal = [s.analysis.vad.arousal for s in result.segments]
    assert arousal[0] < arousal[1] < arousal[2], said
    shifts = [s.prosody.arousal_shift for s in result.segments]
    assert shifts[0] < 0 < shifts[2] and all(abs(x) <= 0.3 for x in shifts), said
    # with the recogniser instead, the voice moves arousal the same way
    heard = audio_analyzer.analyze_audio(path)
    assert [s.prosody.arousal_shift for s in heard.segments] == sorted(s.prosody.arousal_shift for s in heard.segments)


def test_two_channels_are_two_speakers(audio_analyzer, tmp_path):
    rate, agent = speak("Thank you for calling, how can I help you today?")
    _, customer = speak("My internet has been down since yesterday and I am very upset.")
    left = np.concatenate([agent, silence(rate, 0.5 + len(customer) / rate)])
    right = np.concatenate([silence(rate, len(agent) / rate + 0.5), customer])
    result = audio_analyzer.analyze_audio(wav(tmp_path / "stereo.wav", rate, left, right))
    assert [s.speaker for s in result.segments] == ["left", "right"]
    assert result.segments[0].end_s <= result.segments[1].start_s + 0.3


def test_silence_is_no_segment_and_a_warning(audio_analyzer, tmp_path):
    from affectlens.media.audio import NO_SPEECH_WARNING

    result = audio_analyzer.analyze_audio(wav(tmp_path / "quiet.wav", 16000, silence(16000, 3)))
    assert result.segments == [] and NO_SPEECH_WARNING in result.warnings and result.summary.labels == []


def test_bad_recordings_are_one_clear_reason(audio_analyzer, tmp_path):
    import re

    from affectlens.media.audio import AudioError, load_audio

    rate, samples = speak("This recording is fine.")
    good = wav(tmp_path / "good.wav", rate, samples).read_bytes()
    cases = [
        (b"", "empty"),
        (b"this is a text file, not a recording\n" * 20, "not a recording"),
        (good[:40], "not a recording|truncated|no audio"),
    ]
    for data, why in cases:
        with pytest.raises(AudioError) as caught:
            load_audio(data)
        assert re.search(why, caught.value.message), caught.value.message
    with pytest.raises(AudioError, match="over the limit"):
        load_audio(good, max_seconds=0.5)


def test_a_folder_of_recordings_and_photos_through_the_run(cli, tmp_path):
    from affectlens.runs.execute import rows_of
    from affectlens.runs.manifest import RunFolder
    from tests.media.conftest import ASTRONAUT

    folder = tmp_path / "media"
    folder.mkdir()
    rate, samples = speak("I love it, thank you so much.")
    wav(folder / "happy.wav", rate, samples)
    shutil.copy(ASTRONAUT, folder / "photo.jpg")
    (folder / "broken.mp3").write_bytes(b"ID3 but nothing else")
    r = cli("corpus", "analyze", str(folder), "-o", str(tmp_path / "run"))
    assert r.code == 0, r.err
    rows = {row["id"]: row for row in rows_of(tmp_path / "run").to_pylist()}
    assert set(rows) == {"happy.wav", "photo.jpg"}
    assert rows["happy.wav"]["segments"] == 1 and rows["happy.wav"]["dominant"] == "joy"
    assert rows["photo.jpg"]["faces"] == 1
    (bad,) = RunFolder(tmp_path / "run").bad_rows()
    assert "broken.mp3" in bad["reason"]


def test_a_two_channel_call_becomes_a_conversation(audio_analyzer, cli, tmp_path):
    import json

    rate, a1 = speak("Thank you for calling, how can I help you today?")
    _, c1 = speak("My internet has been down since yesterday and I am furious about it.")
    _, a2 = speak("I have issued a full refund and sent a replacement.")
    gap = silence(rate, 0.6)
    left = np.concatenate([a1, gap, silence(rate, len(c1) / rate), gap, a2])
    right = np.concatenate([silence(rate, len(a1) / rate), gap, c1])
    (tmp_path / "calls").mkdir()
    wav(tmp_path / "calls" / "call.wav", rate, left, right)
    (tmp_path / "calls" / "empty.wav").write_bytes(b"")
    r = cli("conversation", "analyze", str(tmp_path / "calls"), "-f", "json")
    assert r.code == 0, r.err
    (conversation,) = json.loads(r.out)
    turns = conversation["turns"]
    assert [t["speaker"] for t in turns] == ["left", "right", "left"]
    times = [float(t["timestamp"]) for t in turns]
    assert times == sorted(times) and times[1] >= len(a1) / rate - 0.3
    assert "anger" in turns[1]["analysis"]["labels"]
    assert "empty.wav" in r.err  # the file that could not be read is named, the call is analysed


def _flac(path: Path, minutes: int) -> Path:
    """Faint noise (no speech) as 16 kHz FLAC: a long recording that is small on disk."""
    import av

    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("flac", rate=16000)
        stream.layout = "mono"
        for k in range(minutes * 60):
            frame = av.AudioFrame.from_ndarray(rng.normal(0, 30, (1, 16000)).astype(np.int16), format="s16", layout="mono")
            frame.sample_rate, frame.pts = 16000, k * 16000
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def test_memory_stays_bounded_on_an_hour(audio_analyzer, tmp_path):
    """An hour costs about what ten minutes cost: the recording is decoded and analysed in blocks."""
    import json
    import sys

    script = (
        "import json, resource, sys\n"
        "from affectlens.media.audio import AudioAnalyzer\n"
        "r = AudioAnalyzer(threads=2).analyze_audio(sys.argv[1])\n"
        "print(json.dumps([r.duration_s, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss]))\n"
    )
    peaks = {}
    for minutes in (10, 60):
        out = subprocess.run([sys.executable, "-c", script, str(_flac(tmp_path / f"{minutes}.flac", minutes))],
                             capture_output=True, text=True, check=True)  # fmt: skip
        duration, peaks[minutes] = json.loads(out.stdout.strip().splitlines()[-1])
        assert duration == pytest.approx(minutes * 60, abs=1)
    # decoded whole, the extra 50 minutes would be 190 MB of samples alone
    assert peaks[60] - peaks[10] < 150_000, peaks  # KiB


def test_blocks_cut_in_the_pauses_and_keep_the_segments(audio_analyzer, tmp_path, monkeypatch):
    import affectlens.media.audio as audio

    rate, parts = 22050, []
    for sentence in SENTENCES[:4]:
        rate, samples = speak(sentence)
        parts += [samples, silence(rate, 1.0)]
    path = wav(tmp_path / "four.wav", rate, np.concatenate(parts))
    whole = audio_analyzer.analyze_audio(path)
    monkeypatch.setattr(audio, "BLOCK_S", 6.0)
    monkeypatch.setattr(audio, "CUT_WINDOW_S", 4.0)
    blocks = list(audio.audio_blocks(path, block_s=6.0))
    assert len(blocks) >= 2 and blocks[1].offset_s == pytest.approx(blocks[0].duration_s)
    pieces = audio_analyzer.analyze_audio(path)
    assert len(pieces.segments) == len(whole.segments)
    for a, b in zip(pieces.segments, whole.segments):
        assert a.start_s == pytest.approx(b.start_s, abs=0.3) and a.end_s == pytest.approx(b.end_s, abs=0.3)
    # the recogniser hears a block without the audio around it: words may differ a little, never the segments
    apart = [word_error_rate(b.transcript, a.transcript) for a, b in zip(pieces.segments, whole.segments)]
    assert np.mean(apart) <= 0.2, apart


def test_a_transcript_beside_the_recording_replaces_recognition(audio_analyzer, cli, tmp_path):
    import json

    from affectlens.media.audio import read_transcript

    rate, first = speak("Good morning, thank you for taking my call.")
    _, second = speak("I am absolutely furious, this is the worst service I have ever had.")
    (tmp_path / "calls").mkdir()
    wav(tmp_path / "calls" / "call.wav", rate, np.concatenate([first, silence(rate, 1.0), second]))
    cut = len(first) / rate + 0.5
    (tmp_path / "calls" / "call.vtt").write_text(
        "WEBVTT\n\n"
        f"00:00:00.000 --> 00:00:{cut:06.3f}\n<v Agent>Good morning, thank you for taking my call.\n\n"
        f"00:00:{cut:06.3f} --> 00:00:{cut + len(second) / rate:06.3f}\nCustomer: I am absolutely furious with you.\n"
    )
    cues = read_transcript(tmp_path / "calls" / "call.vtt")
    assert [speaker for speaker, _ in cues] == ["Agent", "Customer"]
    r = cli("analyze", "-i", str(tmp_path / "calls"), "-f", "json")
    assert r.code == 0, r.err
    (media,) = json.loads(r.out)
    segments = media["segments"]
    assert [s["speaker"] for s in segments] == ["Agent", "Customer"]
    assert segments[1]["transcript"] == "I am absolutely furious with you."  # the given words, not the recogniser's
    assert "anger" in segments[1]["analysis"]["labels"] and segments[1]["prosody"]["pitch_hz"]
    (tmp_path / "bad.srt").write_text("no cues here")
    from affectlens.media.audio import AudioError

    with pytest.raises(AudioError, match="has no cue"):
        read_transcript(tmp_path / "bad.srt")
