"""POST /v1/analyze/image: multipart and base64, limits as 413/422, keys and sites as for texts."""

from __future__ import annotations

import base64

import pytest
from tests.media.conftest import ASTRONAUT, encode, no_face_image
from tests.service.conftest import assert_error, ready, serve

from affectlens.service import ServiceConfig

pytest.importorskip("cv2", reason="faces need affectlens[faces]")


def test_a_photo_as_a_multipart_file(client):
    r = client.post(
        "/v1/analyze/image", files={"image": ("me.jpg", ASTRONAUT.read_bytes(), "image/jpeg")}, data={"explain": "true"}
    )
    assert r.status_code == 200, r.text
    media = r.json()
    assert media["source"] == "me.jpg" and media["kind"] == "image" and (media["width"], media["height"]) == (256, 256)
    (face,) = media["faces"]
    assert face["analysis"]["dominant"] == "joy" and face["analysis"]["taxonomy"].startswith("ekman")
    assert {e["kind"] for e in face["analysis"]["evidence"]} == {"box", "region"}


def test_a_photo_as_base64_and_as_a_data_url(client):
    encoded = base64.b64encode(ASTRONAUT.read_bytes()).decode()
    for image in (encoded, "data:image/jpeg;base64," + encoded):
        r = client.post("/v1/analyze/image", json={"image": image, "name": "x.jpg", "taxonomy": "goemotions"})
        assert r.status_code == 200, r.text
        assert r.json()["faces"][0]["analysis"]["labels"] == ["joy"] and r.json()["source"] == "x.jpg"


def test_no_face_is_an_answer_not_an_error(client):
    r = client.post("/v1/analyze/image", files={"image": ("plain.png", encode(no_face_image(), "PNG"), "image/png")})
    assert r.status_code == 200 and r.json()["faces"] == [] and r.json()["warnings"]


def test_bad_images_are_422_with_a_reason(client):
    from tests.media.test_images import _png_header

    cases = [
        (b"", "empty"),
        (b"just some text", "not an image"),
        (ASTRONAUT.read_bytes()[:1500], "truncated|readable"),
        (_png_header(20_000, 20_000), "before decoding"),
    ]
    import re

    for data, why in cases:
        r = client.post("/v1/analyze/image", files={"image": ("f.png", data, "image/png")})
        error = assert_error(r, 422, "invalid_input")
        assert re.search(why, error["message"]), error
    assert_error(client.post("/v1/analyze/image", json={"image": "%%%"}), 422, "invalid_input")
    assert_error(client.post("/v1/analyze/image", json={"picture": "abc"}), 422, "invalid_input")
    assert_error(client.post("/v1/analyze/image", data={"taxonomy": "ekman"}), 422, "invalid_input")  # no file
    assert_error(client.post("/v1/analyze/image", content=b"x", headers={"content-type": "text/plain"}), 422, "invalid_input")
    r = client.post("/v1/analyze/image", files={"image": ("a.jpg", ASTRONAUT.read_bytes())}, data={"taxonomy": "nope"})
    assert r.status_code == 422 and "nope" in r.json()["error"]["message"]


def test_size_and_pixel_limits(tmp_path):
    config = ServiceConfig(
        state_dir=tmp_path, conversations=False, limits={"max_image_bytes": 4096, "max_image_pixels": 200 * 200}
    )
    with serve(config) as c:
        ready(c)
        big = ASTRONAUT.read_bytes()  # 21 kB
        assert_error(c.post("/v1/analyze/image", files={"image": ("a.jpg", big)}), 413, "payload_too_large")
        encoded = base64.b64encode(big).decode()
        assert_error(c.post("/v1/analyze/image", json={"image": encoded}), 413, "payload_too_large")
        from PIL import Image

        small_file_many_pixels = encode(Image.new("L", (400, 400)), "PNG")  # under 4 kB, 160,000 pixels
        assert len(small_file_many_pixels) < 4096
        error = assert_error(
            c.post("/v1/analyze/image", files={"image": ("p.png", small_file_many_pixels)}), 422, "invalid_input"
        )
        assert "megapixels" in error["message"]


def test_images_need_the_key_and_the_site_like_texts(tmp_path):
    from affectlens.service.config import hash_key

    config = ServiceConfig(state_dir=tmp_path, conversations=False, api_keys=[hash_key("k1")])
    with serve(config) as c:
        ready(c)
        files = {"image": ("a.jpg", ASTRONAUT.read_bytes())}
        assert_error(c.post("/v1/analyze/image", files=files), 401, "unauthorized")
        foreign = {"Authorization": "Bearer k1", "Origin": "https://evil.example"}
        assert c.post("/v1/analyze/image", files=files, headers=foreign).status_code == 403
        assert c.post("/v1/analyze/image", files=files, headers={"Authorization": "Bearer k1"}).status_code == 200


def test_a_job_over_a_server_folder_of_images(client, state_dir):
    import json

    from tests.media.test_image_runs import make_battery
    from tests.service.conftest import wait_for_job

    good, bad = make_battery(state_dir / "allowed" / "photos")
    response = client.post("/v1/jobs", data={"path": str(state_dir / "allowed" / "photos"), "taxonomy": "ekman"})
    assert response.status_code == 202, response.text
    job = wait_for_job(client, response.json()["id"])
    assert job["state"] == "succeeded" and job["progress"]["analysed"] == len(good)
    assert job["progress"]["bad_rows"] == len(bad)
    rows = [json.loads(line) for line in client.get(f"/v1/jobs/{job['id']}/result").text.splitlines()]
    assert {row["id"] for row in rows} == good
    photo = next(row for row in rows if row["id"] == "party/photo.jpg")
    assert photo["dominant"] == "joy" and photo["faces"] == 1
    assert str(state_dir) not in json.dumps(job)  # no server path in what the job shows


def test_media_a_server_cannot_read_is_a_422_not_a_failure(tmp_path):
    config = ServiceConfig(state_dir=tmp_path, conversations=False, images=False, media=False)
    with serve(config) as c:
        ready(c)
        error = assert_error(
            c.post("/v1/analyze/image", files={"image": ("a.jpg", ASTRONAUT.read_bytes())}), 422, "invalid_input"
        )
        assert "does not read images" in error["message"] and "images = true" in error["hint"]
        r = c.post("/v1/analyze/media", files={"file": ("a.wav", b"RIFF")})
        assert "does not read recordings" in assert_error(r, 422, "invalid_input")["message"]


def test_an_openai_backend_looks_at_the_photo_too(tmp_path):
    pytest.importorskip("openai", reason="the openai backend needs affectlens[llm]")
    from tests.llm.conftest import ScriptedServer, emotions
    from tests.llm.loopback import serve as endpoint

    script = ScriptedServer()
    script.answers["media_perceive"] = {
        "cues": [{"id": 1, "modality": "face", "emotion": "joy", "quote": "", "face": 1, "start_s": -1, "end_s": -1}]
    }
    script.answers["media_reason"] = emotions(("joy", 0.9, [1]), valence=0.7)
    with endpoint(script) as url:
        backends = {"embedded": {}, "openai": {"base_url": url, "model": "vision", "cache": False}}
        with serve(ServiceConfig(state_dir=tmp_path, backends=backends)) as client:
            ready(client)
            r = client.post("/v1/analyze/image", files={"image": ("me.jpg", ASTRONAUT.read_bytes())}, data={"backend": "openai"})
            assert r.status_code == 200, r.text
            media = r.json()
            assert media["summary"]["backend"] == "openai/vision+media@1" and media["summary"]["labels"] == ["joy"]
            assert media["offline_summary"]["dominant"] == "joy" and media["faces"][0]["analysis"]["dominant"] == "joy"
            perceive = [b for b in script.requests if script.stage_of(b) == "media_perceive"]
            assert [p["type"] for p in perceive[-1]["messages"][1]["content"]] == ["text", "image_url"]
            encoded = base64.b64encode(ASTRONAUT.read_bytes()).decode()
            r = client.post("/v1/analyze/image", json={"image": encoded, "backend": "nope"})
            assert_error(r, 422, "unknown_name")
            plain = client.post("/v1/analyze/image", json={"image": encoded})  # embedded: the offline models alone
            assert plain.json()["summary"]["backend"].startswith("faces/") and plain.json()["offline_summary"] is None
