"""Issue #21 (4): any multimodal LLM on images, recordings and videos — the request shapes a
scripted endpoint receives, and perceive → verify → reason → verify against the offline models."""

from __future__ import annotations

import base64
import io
import json
import wave
from typing import Any

import pytest

from tests.llm.conftest import ScriptedServer, emotions
from tests.media.conftest import ASTRONAUT, encode, no_face_image

pytest.importorskip("cv2", reason="faces need affectlens[faces]")
pytest.importorskip("openai", reason="the openai backend needs affectlens[llm]")


def cue(id: int, modality: str, emotion: str, *, quote: str = "", face: int = 0, start: float = -1, end: float = -1) -> dict:
    return {"id": id, "modality": modality, "emotion": emotion, "quote": quote, "face": face, "start_s": start, "end_s": end}


def analyzer(server: ScriptedServer, tmp_path, **settings: Any):
    from affectlens.analyzers.openai_backend import OpenAIAnalyzer

    defaults = {"base_url": "http://scripted/v1", "model": "scripted", "backoff": 0.0, "cache": False}
    return OpenAIAnalyzer(http_client=server.client(), cache_dir=tmp_path / "cache", **{**defaults, **settings})


def read(path, server: ScriptedServer, tmp_path, **settings: Any):
    from affectlens import analyze_media

    return analyze_media(path, llm=analyzer(server, tmp_path, **settings))


def requests(server: ScriptedServer, stage: str) -> list[dict]:
    return [r for r in server.requests if server.stage_of(r) == stage]


def parts_of(request: dict) -> list[dict]:
    content = request["messages"][1]["content"]
    assert isinstance(content, list), "the perceive request carries content parts"
    return content


def data_url_bytes(url: str, mime: str) -> bytes:
    prefix = f"data:{mime};base64,"
    assert url.startswith(prefix), url[:40]
    return base64.b64decode(url[len(prefix) :])


# -- images (default run) ------------------------------------------------------------------


def test_an_image_goes_as_a_data_url_with_the_faces_described(tmp_path):
    from PIL import Image

    server = ScriptedServer()
    server.answers["media_perceive"] = {"cues": [cue(1, "face", "happiness", face=1)]}
    server.answers["media_reason"] = emotions(("joy", 0.9, [1]), valence=0.7, rationale="The face smiles.")
    big = tmp_path / "big.png"
    Image.open(ASTRONAUT).convert("RGB").resize((1024, 1024)).save(big)
    result = read(big, server, tmp_path, max_image_side=300)

    (perceive,) = requests(server, "media_perceive")
    text, image = parts_of(perceive)
    assert text["type"] == "text" and image["type"] == "image_url"
    sent = Image.open(io.BytesIO(data_url_bytes(image["image_url"]["url"], "image/jpeg")))
    assert sent.format == "JPEG" and max(sent.size) == 300  # at most max_image_side long
    described = json.loads(text["text"])
    assert described["media"] == "image" and (described["width"], described["height"]) == sent.size
    (face,) = result.faces
    box = described["faces"][0]["box"]
    assert described["faces"][0]["face"] == 1
    assert box == {k: round(getattr(face.box, k) * 300 / 1024) for k in ("x", "y", "w", "h")}  # in the sent pixels

    (reason,) = requests(server, "media_reason")
    assert isinstance(reason["messages"][1]["content"], str)  # the reasoning step gets no media
    shown = json.loads(reason["messages"][1]["content"])["cues"]
    assert shown[0]["check"].startswith("agrees") and "attached" not in json.loads(reason["messages"][1]["content"])

    summary = result.summary
    assert summary.labels == ["joy"] and summary.backend == "openai/scripted+media@1"
    assert [(e.kind, e.box) for e in summary.evidence] == [("box", face.box)]
    assert summary.confidence == 0.8 and summary.warnings == []
    assert result.offline_summary is not None and result.offline_summary.dominant == "joy"
    assert result.backend.startswith("openai/scripted+media@1 (perceiving with faces/")


def test_a_face_claim_the_face_model_does_not_confirm_lowers_confidence(tmp_path):
    def run(emotion: str, face: int = 1, image=ASTRONAUT):
        server = ScriptedServer()
        server.answers["media_perceive"] = {"cues": [cue(1, "face", emotion, face=face)]}
        server.answers["media_reason"] = emotions(("anger", 0.9, [1]), valence=-0.6, rationale="")
        model = analyzer(server, tmp_path)
        from affectlens import analyze_media

        result = analyze_media(image, llm=model)
        check = json.loads(requests(server, "media_reason")[0]["messages"][1]["content"])["cues"][0]["check"]
        return result.summary, check, model.usage

    agreeing, check, _ = run("joy")  # the astronaut smiles: the face model agrees
    assert check.startswith("agrees") and agreeing.confidence == 0.8
    disagreeing, check, usage = run("anger")
    assert check.startswith("disagrees: the face model gives anger 0.0") and "it reads joy" in check
    assert any("offline face model gives anger" in w and "confidence lowered" in w for w in disagreeing.warnings)
    assert disagreeing.confidence == pytest.approx(agreeing.confidence * 0.5) and usage.face_disagreements == 1
    # still shown where it was claimed: the face's box is the evidence
    assert [e.kind for e in disagreeing.evidence] == ["box"]
    missing, check, _ = run("anger", face=3)  # no third face
    assert check.startswith("unchecked") and missing.confidence == pytest.approx(agreeing.confidence * 0.5)
    assert missing.evidence == []
    plain = tmp_path / "plain.png"
    plain.write_bytes(encode(no_face_image(), "PNG"))
    _, check, _ = run("anger", face=0, image=plain)
    assert check == "unchecked: the face model found no such face"


def test_a_quote_on_an_image_and_an_unknown_modality_are_dropped(tmp_path):
    server = ScriptedServer()
    server.answers["media_perceive"] = {
        "cues": [cue(1, "words", "anger", quote="I hate this"), cue(2, "smell", "disgust"), cue(3, "face", "joy", face=1)]
    }
    server.answers["media_reason"] = emotions(("joy", 0.9, [1, 2, 3]), rationale="It says 'I hate this'.")
    result = read(ASTRONAUT, server, tmp_path)
    shown = json.loads(requests(server, "media_reason")[0]["messages"][1]["content"])["cues"]
    assert [c["id"] for c in shown] == [3]  # only the verified cue reaches the reasoning
    warnings = result.summary.warnings
    assert any("'I hate this'" in w and "image has none" in w for w in warnings)
    assert any("unknown modality 'smell'" in w for w in warnings)
    assert any("rationale quoted 'I hate this'" in w for w in warnings)  # and the rationale that quotes it is replaced
    assert [e.kind for e in result.summary.evidence] == ["box"]


def test_media_over_the_size_limit_are_refused_and_answers_are_cached(tmp_path):
    from affectlens.media.images import MediaError

    server = ScriptedServer()
    with pytest.raises(MediaError, match="over max_media_mb"):
        read(ASTRONAUT, server, tmp_path, max_media_mb=0.001)
    assert server.requests == []  # nothing was sent

    server.answers["media_reason"] = emotions(("joy", 0.9, []))
    first = read(ASTRONAUT, server, tmp_path, cache=True)
    sent = len(server.requests)
    model = analyzer(server, tmp_path, cache=True)
    from affectlens import analyze_media

    again = analyze_media(ASTRONAUT, llm=model)
    assert len(server.requests) == sent and model.usage.cached == 2  # perceive and reason, from the cache
    assert again.summary == first.summary


def test_send_images_false_sends_only_the_description(tmp_path):
    server = ScriptedServer()
    read(ASTRONAUT, server, tmp_path, send_images=False)
    (only,) = parts_of(requests(server, "media_perceive")[0])
    assert only["type"] == "text" and json.loads(only["text"])["attached"].startswith("nothing")


def test_the_cli_runs_media_through_an_endpoint_on_loopback(cli, tmp_path):
    pytest.importorskip("pyarrow", reason="run folders need affectlens[corpus]")
    from tests.llm.loopback import serve

    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "astronaut.jpg").write_bytes(ASTRONAUT.read_bytes())
    (folder / "broken.jpg").write_bytes(b"not an image")
    script = ScriptedServer()
    script.answers["media_perceive"] = {"cues": [cue(1, "face", "joy", face=1)]}
    script.answers["media_reason"] = emotions(("joy", 0.9, [1]), valence=0.7)
    with serve(script) as url:
        common = ("--backend", "openai", "-O", f"base_url={url}", "-O", "model=vision", "-O", "cache=false")
        r = cli("analyze", str(ASTRONAUT), *common, "-o", str(tmp_path / "one.json"))
        assert r.code == 0, r.err
        (one,) = json.loads((tmp_path / "one.json").read_text())
        assert one["summary"]["backend"] == "openai/vision+media@1" and one["summary"]["labels"] == ["joy"]
        assert one["offline_summary"]["backend"].startswith("faces/")
        assert "requests" in r.err  # the usage line
        r = cli("corpus", "analyze", str(folder), *common, "-o", str(tmp_path / "run"))
        assert r.code == 0, r.err
    from affectlens.runs.execute import rows_of

    rows = {row["id"]: row for row in rows_of(tmp_path / "run").to_pylist()}
    assert set(rows) == {"astronaut.jpg"} and rows["astronaut.jpg"]["dominant"] == "joy"
    assert "broken.jpg" in r.err  # a bad row, reported


# -- recordings and videos (make test-audio) -----------------------------------------------


@pytest.mark.audio
def test_a_recording_goes_as_input_audio_and_quotes_get_the_words_times(audio_analyzer, tmp_path, monkeypatch):
    from affectlens.media import reader
    from tests.media.test_audio import silence, speak, wav

    monkeypatch.setitem(reader._shared, "reader", reader.MediaReader())
    reader._shared["reader"]._audio = audio_analyzer
    rate, calm = speak("Hello, I am calling about my order.")
    _, angry = speak("I am absolutely furious about this.")
    path = wav(tmp_path / "call.wav", rate, __import__("numpy").concatenate([calm, silence(rate, 1.5), angry]))
    server = ScriptedServer()
    server.answers["media_perceive"] = {
        "cues": [
            cue(1, "words", "anger", quote="absolutely furious", start=0.0, end=0.5),  # placed wrong: corrected
            cue(2, "words", "anger", quote="I want a refund"),  # never said
            cue(3, "voice", "anger", start=4.0, end=5.0),
            cue(4, "voice", "anger", start=50.0, end=51.0),  # after the end
        ]
    }
    server.answers["media_reason"] = emotions(("anger", 0.9, [1, 3]), valence=-0.7, rationale="They say 'absolutely furious'.")
    result = read(path, server, tmp_path)

    perceive = requests(server, "media_perceive")[0]
    text, audio = parts_of(perceive)
    assert audio == {"type": "input_audio", "input_audio": {"data": audio["input_audio"]["data"], "format": "wav"}}
    with wave.open(io.BytesIO(base64.b64decode(audio["input_audio"]["data"]))) as sound:
        assert (sound.getnchannels(), sound.getframerate(), sound.getsampwidth()) == (1, 16000, 2)
        assert abs(sound.getnframes() / 16000 - result.duration_s) < 0.1
    described = json.loads(text["text"])
    assert described["media"] == "recording" and described["attached"] == "the sound"
    assert [s["transcript"] for s in described["segments"]] == [s.transcript for s in result.segments]
    assert "voice" in described["segments"][0]

    summary = result.summary
    words = [e for e in summary.evidence if e.text]
    assert [e.text.lower() for e in words] == ["absolutely furious"]
    furious = next(w for s in result.segments for w in s.words if w.text.strip(" ,.").lower() == "furious")
    assert words[0].start_s <= furious.start_s and words[0].end_s >= furious.end_s  # the words' own times
    assert any("it is said at" in w for w in summary.warnings)  # the model had placed it at 0 s
    assert any("'I want a refund'" in w and "not in the transcript" in w for w in summary.warnings)
    assert any("voice cue 4" in w and "outside" in w for w in summary.warnings)
    assert [e.kind for e in summary.evidence].count("time") == 2 and summary.labels == ["anger"]

    server = ScriptedServer()  # an endpoint without audio (Ollama): the transcript and voice figures only
    read(path, server, tmp_path, send_audio=False)
    (only,) = parts_of(requests(server, "media_perceive")[0])
    assert json.loads(only["text"])["attached"].startswith("nothing")
    server = ScriptedServer()
    too_long = read(path, server, tmp_path, max_audio_seconds=2)
    assert len(parts_of(requests(server, "media_perceive")[0])) == 1
    assert any("sound was not sent" in w for w in too_long.summary.warnings)


@pytest.mark.audio
def test_a_video_goes_as_frames_with_their_times_and_its_sound(audio_analyzer, tmp_path, monkeypatch):
    from affectlens.media import reader
    from tests.media.test_audio import speak
    from tests.media.test_video import compose

    monkeypatch.setitem(reader._shared, "reader", reader.MediaReader())
    reader._shared["reader"]._audio = audio_analyzer
    rate, angry = speak("I am absolutely furious, this is the worst service I have ever had.")
    path = compose(tmp_path / "smile-angry.mp4", angry, rate, 6)
    server = ScriptedServer()
    server.answers["media_perceive"] = {
        "cues": [
            cue(1, "face", "joy", start=1.0, end=2.0),
            cue(2, "face", "anger", start=3.0, end=3.5),
            cue(3, "face", "joy", start=30, end=31),
        ]
    }
    server.answers["media_reason"] = emotions(("anger", 0.8, [2]), ("joy", 0.6, [1]), valence=-0.2)
    result = read(path, server, tmp_path, max_frames=4)

    parts = parts_of(requests(server, "media_perceive")[0])
    kinds = [p["type"] for p in parts]
    assert kinds == ["text"] + ["text", "image_url"] * 4 + ["input_audio"]
    described = json.loads(parts[0]["text"])
    times = described["frames_attached_s"]
    assert len(times) == 4 and times == sorted(times) and 0 <= times[0] < 1.5 and 4.5 <= times[-1] <= 6
    assert [p["text"] for p in parts[1:-1:2]] == [f"frame at {t:.1f} s" for t in times]
    for p in parts[2:-1:2]:
        data_url_bytes(p["image_url"]["url"], "image/jpeg")
    checks = {
        c["id"]: c.get("check", "") for c in json.loads(requests(server, "media_reason")[0]["messages"][1]["content"])["cues"]
    }
    assert checks[1].startswith("agrees") and checks[2].startswith("disagrees") and 3 not in checks
    summary = result.summary
    assert summary.confidence == pytest.approx(0.8 * (1 - 0.5 * 1 / 2))  # one of two face cues disagrees
    assert all(e.kind == "box" and e.start_s is not None for e in summary.evidence)
    assert result.segments[0].conflict is not None  # the offline reading and its conflict stay
