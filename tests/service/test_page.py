"""The web page in headless Chromium (Debian's package, never a downloaded browser), against a
real server on loopback: paste a text, see evidence highlighted; upload a file, see the job
finish; a conversation's trajectory chart. Screenshots are checked for what they show."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
from tests.browser import launch, needs_chromium
from tests.service.test_jobs import write_csv

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
]


@contextlib.contextmanager
def _server(state: Path, **settings):
    """`affectlens serve`'s app under uvicorn on a free loopback port, until the block ends."""
    pytest.importorskip("fastapi", reason="needs affectlens[serve]")
    import httpx
    import uvicorn

    from affectlens.service import ServiceConfig, create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(ServiceConfig(state_dir=state, **settings)), port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    with _server(tmp_path_factory.mktemp("page-state"), job_chunk_rows=20) as url:
        yield url


@contextlib.contextmanager
def _browser_page(base_url: str):
    """A headless Chromium page on ``base_url``; any request elsewhere is refused and fails the test."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright: run `make test-browser`")
    outside: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1100, "height": 900})

        def only_the_service(route):
            if route.request.url.startswith(base_url):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", only_the_service)
        page.goto(base_url + "/")
        page.wait_for_selector("#status:has-text('ready')", timeout=60_000)
        yield page
        browser.close()
    assert outside == []  # the page asks nothing of the network


@pytest.fixture
def page(base_url):
    with _browser_page(base_url) as page:
        yield page


def _save(path: Path, name: str) -> None:
    if os.environ.get("AFFECTLENS_ARTIFACTS"):
        shutil.copy(path, Path(os.environ["AFFECTLENS_ARTIFACTS"]) / name)


def _colours(path: Path):
    import matplotlib.image as mpimg
    import numpy as np

    image = mpimg.imread(path)[..., :3]
    return (image.reshape(-1, 3) * 255).round().astype(int), np


def test_paste_a_text_and_see_the_evidence_highlighted(page, tmp_path):
    page.fill("#texts-input", "This is infuriating, nobody called me back. I am furious.")
    page.select_option("#texts-taxonomy", "ekman")
    page.click("#texts-submit")
    page.wait_for_selector("#texts-results mark", timeout=30_000)
    marks = page.locator("#texts-results mark")
    labels = {marks.nth(i).get_attribute("data-label") for i in range(marks.count())}
    assert "anger" in labels
    assert "furious" in " ".join(marks.all_inner_texts()) or "infuriating" in " ".join(marks.all_inner_texts())
    assert "anger" in page.inner_text("#texts-results .meta")
    assert page.locator("#texts-results .rationale").count() == 1
    anger = page.eval_on_selector('#texts-results mark[data-label="anger"]', "m => getComputedStyle(m).borderBottomColor")
    shot = tmp_path / "page-text.png"
    page.screenshot(path=str(shot), full_page=True)
    pixels, np = _colours(shot)
    colour = np.array([int(v) for v in anger.removeprefix("rgb(").rstrip(")").split(",")[:3]])
    assert (np.abs(pixels - colour).sum(axis=1) < 40).sum() > 30, f"no {anger} underline drawn under the evidence"
    assert len(np.unique(pixels[::5], axis=0)) > 50
    _save(shot, "service-page-text.png")
    page.keyboard.press("Tab")  # the page is usable from the keyboard: tabs move with the arrows
    page.focus("#tab-texts")
    page.keyboard.press("ArrowRight")
    assert page.get_attribute("#tab-conversation", "aria-selected") == "true"
    assert page.is_visible("#conversation-input")


def test_a_conversation_draws_the_trajectories(page, tmp_path):
    page.click("#tab-conversation")
    page.fill(
        "#conversation-input",
        "A: I waited two hours and nobody called me back.\nB: I'm so sorry, let me fix this now.\n"
        "A: Thank you, that's a relief.\nB: Glad I could help!",
    )
    page.click("#conversation-submit")
    page.wait_for_selector("svg.trajectory polyline", timeout=30_000)
    assert page.locator("svg.trajectory polyline").count() == 2
    assert page.locator("ul.legend li").all_inner_texts() == ["A", "B"]  # the legend is HTML: it wraps, never cut
    colours = [
        page.eval_on_selector(f"ul.legend li:nth-child({k}) .swatch", "e => getComputedStyle(e).backgroundColor") for k in (1, 2)
    ]
    assert colours[0] != colours[1]
    assert page.locator("#conversation-results .turns li").count() == 4
    shot = tmp_path / "page-conversation.png"
    page.screenshot(path=str(shot), full_page=True)
    _save(shot, "service-page-conversation.png")


def _submit_file(page, src: Path) -> None:
    """Start a job from the File tab: its text and time columns are body and created."""
    page.click("#tab-file")
    page.set_input_files("#file-input", str(src))
    page.fill("#file-text-column", "body")
    page.fill("#file-time-column", "created")
    page.click("#file-submit")


def test_upload_a_file_and_see_the_job_finish(page, tmp_path):
    _submit_file(page, write_csv(tmp_path / "posts.csv", 200, bad_row=True))
    page.wait_for_selector("#job-state:has-text('succeeded')", timeout=120_000)
    assert page.get_attribute("#job-progress", "value") == "1"
    assert "201 of 201 rows" in page.inner_text("#job-counts")  # 200 analysed and 1 bad
    assert "1 bad" in page.inner_text("#job-counts")
    page.wait_for_selector("#job-report", timeout=30_000)  # the links are signed for the page, then shown
    shot = tmp_path / "page-job.png"
    page.screenshot(path=str(shot), full_page=True)
    _save(shot, "service-page-job.png")
    with page.expect_popup() as popup:
        page.click("#job-report")
    report = popup.value
    report.wait_for_selector("#shares .main-svg", timeout=30_000)
    assert "Share of texts" in report.content()


def test_the_api_reference_renders_offline(page, base_url):
    page.goto(base_url + "/docs")
    page.wait_for_selector("#operations article h2", timeout=30_000)
    headings = page.locator("#operations article h2").all_inner_texts()
    assert len(headings) >= 13
    assert any(h.startswith("POST /v1/analyze") for h in headings)
    assert "texts" in page.inner_text("#operations")  # the request's fields are listed


def test_a_service_with_keys_answers_the_page_once_the_key_is_given(tmp_path):
    from affectlens.service import hash_key

    settings = {"api_keys": [hash_key("page-key")], "conversations": False, "job_chunk_rows": 20}
    with _server(tmp_path / "state", **settings) as url, _browser_page(url) as page:
        page.wait_for_selector("#status:has-text('needs an API key')")  # it says where the key goes, not an error
        assert page.is_hidden("#texts-error") and page.get_attribute("#key-box", "open") is not None
        page.fill("#api-key", "page-key")
        page.press("#api-key", "Tab")  # change: the key is kept for the tab, the taxonomies reload
        page.wait_for_selector("#texts-taxonomy option[value='ekman']", state="attached")
        assert page.is_hidden("#texts-error")
        page.fill("#texts-input", "Thank you so much, this made my day!")
        page.click("#texts-submit")
        page.wait_for_selector("#texts-results .analysis", timeout=30_000)
        assert "gratitude" in page.inner_text("#texts-results .meta")
        # a job's links work with keys: downloads and the report carry a signed token, never the key
        _submit_file(page, write_csv(tmp_path / "posts.csv", 30))
        page.wait_for_selector("#job-report", timeout=120_000)
        hrefs = page.eval_on_selector_all("#job-links a", "links => links.map(a => a.href)")
        assert len(hrefs) == 3 and all("token=" in h and "page-key" not in h for h in hrefs)
        import httpx

        assert httpx.get(hrefs[0]).status_code == 200  # the download link, with no key
        with page.expect_popup() as popup:
            page.click("#job-report")
        popup.value.wait_for_selector("#shares .main-svg", timeout=30_000)


def test_labels_get_colours_of_their_own(page):
    page.click("#tab-texts")
    page.fill("#texts-input", "Thank you so much!\nI am furious and scared.\nWhat a lovely surprise, I am so proud of you.")
    page.check("#texts-lines")
    page.click("#texts-submit")
    page.wait_for_selector("#texts-results .analysis", timeout=30_000)
    swatches = page.eval_on_selector_all(
        ".scores .label", "items => items.map(i => [i.childNodes[1].textContent, getComputedStyle(i.firstChild).backgroundColor])"
    )
    colour_of = dict(swatches)
    assert all(colour_of[label] == colour for label, colour in swatches)  # a label keeps its colour on the page
    assert len(colour_of) >= 9, colour_of  # more labels than the old eight colours
    assert len(set(colour_of.values())) == len(colour_of), colour_of  # and no two share one


def test_an_uploaded_photo_shows_its_boxes_where_the_faces_are(page, tmp_path):
    pytest.importorskip("cv2", reason="faces need affectlens[faces]")
    from tests.media.conftest import encode, scene

    placed = [(60, 80, 240, False), (480, 120, 150, True), (700, 380, 110, False)]
    photo = tmp_path / "group.jpg"
    photo.write_bytes(encode(scene(placed), "JPEG", quality=92))
    page.click("#tab-image")
    page.set_input_files("#image-input", str(photo))
    page.click("#image-submit")
    page.wait_for_selector("#image-results rect.face-box", timeout=60_000)
    assert page.locator("#image-results [data-testid=face-card]").count() == 3
    img = page.locator("#image-results img[data-testid=photo]")
    page.wait_for_function("document.querySelector('#image-results img').complete")
    frame = img.bounding_box()
    natural = page.evaluate(
        "() => { const i = document.querySelector('#image-results img'); return [i.naturalWidth, i.naturalHeight]; }"
    )
    assert natural == [900, 600]
    scale = frame["width"] / natural[0]
    boxes = page.locator("#image-results rect.face-box")
    drawn = [boxes.nth(i).bounding_box() for i in range(boxes.count())]
    for x, y, side, _ in placed:  # each pasted head has a drawn box whose centre lies on it, on screen
        assert any(
            frame["x"] + x * scale <= b["x"] + b["width"] / 2 <= frame["x"] + (x + side) * scale
            and frame["y"] + y * scale <= b["y"] + b["height"] / 2 <= frame["y"] + (y + side) * scale
            for b in drawn
        ), (x, y, side, drawn, frame)
    assert page.locator("#image-results rect.region").count() > 0  # the evidence overlay
    page.wait_for_function("[...document.querySelectorAll('#image-results canvas.face-thumb')].every(c => c.dataset.drawn)")
    assert page.locator("#image-results canvas.face-thumb").count() == 3  # a thumbnail per face card
    assert page.locator("#image-results [data-testid=media-summary]").count() == 1
    colour = page.eval_on_selector("#image-results rect.face-box", "r => getComputedStyle(r).stroke")
    shot = tmp_path / "page-image.png"
    page.screenshot(path=str(shot), full_page=True)
    pixels, np = _colours(shot)
    rgb = np.array([int(v) for v in colour.removeprefix("rgb(").rstrip(")").split(",")[:3]])
    assert (np.abs(pixels - rgb).sum(axis=1) < 40).sum() > 200, f"no {colour} face box drawn on the photo"
    _save(shot, "service-page-image.png")
    first = page.locator("#image-results .toggles button").nth(1)  # evidence for one label only
    label = first.get_attribute("data-label")
    first.click()
    shown = page.eval_on_selector_all(
        "#image-results rect.region", "rs => rs.filter(r => r.style.display !== 'none').map(r => r.dataset.label)"
    )
    assert shown and set(shown) == {label}


def test_a_file_that_is_not_an_image_is_one_clear_line_on_the_page(page, tmp_path):
    pytest.importorskip("cv2", reason="faces need affectlens[faces]")
    fake = tmp_path / "notes.png"
    fake.write_text("not a picture")
    page.click("#tab-image")
    page.set_input_files("#image-input", str(fake))
    page.click("#image-submit")
    page.wait_for_selector("#image-error:not([hidden])", timeout=30_000)
    assert "not an image" in page.inner_text("#image-error")


_SPREAD = """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let lo = 255, hi = 0; for (let i = 0; i < d.length; i += 4) { lo = Math.min(lo, d[i]); hi = Math.max(hi, d[i]); }
  return hi - lo; }"""


def test_a_video_shows_its_timeline_conflict_and_face_thumbnails(tmp_path):
    pytest.importorskip("faster_whisper", reason="needs affectlens[audio]: `make test-browser` installs it")
    pytest.importorskip("cv2", reason="faces need affectlens[faces]")
    from tests.media.test_audio import speak
    from tests.media.test_video import compose

    if shutil.which("espeak-ng") is None:
        pytest.skip("needs Debian's espeak-ng: `make test-browser` installs it")
    rate, angry = speak("I am absolutely furious, this is the worst service I have ever had.")
    clip = compose(tmp_path / "smile-angry.webm", angry, rate, 6)  # VP8 and Opus: the browser plays it for thumbnails
    with _server(tmp_path / "state") as url, _browser_page(url) as page:
        page.click("#tab-media")
        page.set_input_files("#media-input", str(clip))
        page.click("#media-submit")
        page.wait_for_selector("#media-results [data-testid=segment-card]", timeout=120_000)
        assert page.locator("#media-results svg.timeline rect.conflict").count() == 1  # the smile over angry words
        card = page.locator("#media-results [data-testid=segment-card]").first
        assert "conflict" in card.inner_text() and card.locator("mark").count() >= 1  # evidence in the transcript
        assert "Overall" in page.inner_text("#media-results [data-testid=media-summary]")
        page.wait_for_selector("#media-results canvas.face-thumb[data-drawn]", timeout=30_000)
        assert page.eval_on_selector("#media-results canvas.face-thumb", _SPREAD) > 40  # a face, not a blank square
        shot = tmp_path / "page-video.png"
        page.screenshot(path=str(shot), full_page=True)
        _save(shot, "service-page-video.png")
