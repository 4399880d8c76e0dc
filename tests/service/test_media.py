"""POST /v1/analyze/media: recordings and videos, with size (413) and length (422) limits."""

from __future__ import annotations

import pytest
from tests.service.conftest import assert_error, ready, serve

from affectlens.service import ServiceConfig

pytestmark = pytest.mark.audio


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    from tests.media.test_audio import ESPEAK, speak, wav

    if ESPEAK is None:
        pytest.skip("needs Debian's espeak-ng: run `make test-audio`")
    pytest.importorskip("faster_whisper", reason="needs affectlens[audio]: run `make test-audio`")
    rate, samples = speak("I am absolutely furious, this is the worst service I have ever had.")
    folder = tmp_path_factory.mktemp("speech")
    return wav(folder / "angry.wav", rate, samples), rate, samples


def test_a_recording_and_a_video(tmp_path, speech):
    from tests.media.test_video import compose

    path, rate, samples = speech
    with serve(ServiceConfig(state_dir=tmp_path, conversations=False)) as client:
        ready(client)
        r = client.post(
            "/v1/analyze/media", files={"file": ("call.wav", path.read_bytes(), "audio/wav")}, data={"explain": "true"}
        )
        assert r.status_code == 200, r.text
        media = r.json()
        assert (
            media["kind"] == "audio" and media["source"] == "call.wav" and "anger" in media["segments"][0]["analysis"]["labels"]
        )
        assert str(tmp_path) not in r.text
        video = compose(tmp_path / "clip.mp4", samples, rate, 6)
        r = client.post("/v1/analyze/media", files={"file": ("clip.mp4", video.read_bytes(), "video/mp4")})
        assert r.status_code == 200, r.text
        assert r.json()["kind"] == "video" and r.json()["segments"][0]["conflict"] is not None
        error = assert_error(
            client.post("/v1/analyze/media", files={"file": ("x.wav", b"not audio at all" * 10)}), 422, "invalid_input"
        )
        assert "not a recording" in error["message"]
        assert_error(client.post("/v1/analyze/media", files={"file": ("notes.txt", b"hello")}), 422, "invalid_input")
        assert not list((tmp_path / "media-uploads").iterdir())  # uploads are removed once answered


def test_size_and_length_limits(tmp_path, speech):
    path, _, _ = speech
    limits = {"max_media_bytes": 20_000, "max_media_seconds": 2.0}
    with serve(ServiceConfig(state_dir=tmp_path, conversations=False, limits=limits)) as client:
        ready(client)
        data = path.read_bytes()
        assert len(data) > 20_000
        assert_error(client.post("/v1/analyze/media", files={"file": ("a.wav", data)}), 413, "payload_too_large")
    with serve(ServiceConfig(state_dir=tmp_path / "b", conversations=False, limits={"max_media_seconds": 2.0})) as client:
        ready(client)
        error = assert_error(client.post("/v1/analyze/media", files={"file": ("a.wav", path.read_bytes())}), 422, "invalid_input")
        assert "limit" in error["message"]


def test_the_page_draws_a_timeline_and_marks_the_conflict(tmp_path, speech):
    """The Recording or video tab in headless Chromium (needs `make test-browser`'s chromium too)."""
    from tests.browser import CHROMIUM
    from tests.media.test_video import compose
    from tests.service.test_page import _browser_page, _save, _server

    if CHROMIUM is None:
        pytest.skip("needs Debian's chromium: run `make test-browser` first")
    _, rate, samples = speech
    video = compose(tmp_path / "smile-angry.mp4", samples, rate, 6)
    with _server(tmp_path / "state", conversations=False) as url, _browser_page(url) as page:
        page.click("#tab-media")
        page.set_input_files("#media-input", str(video))
        page.click("#media-submit")
        page.wait_for_selector("#media-results svg.timeline", timeout=120_000)
        assert page.locator("#media-results [data-testid=segment-card]").count() == 1
        assert page.locator("#media-results rect.conflict").count() == 1
        assert "conflict" in page.inner_text("#media-results .conflict-note")
        assert page.locator("#media-results mark").count() >= 1  # the angry words highlighted in the transcript
        shot = tmp_path / "page-media.png"
        page.screenshot(path=str(shot), full_page=True)
        _save(shot, "service-page-media.png")
