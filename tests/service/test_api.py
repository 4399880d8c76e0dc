"""Every endpoint, and every error it can give, in process."""

from __future__ import annotations

import json
import threading

import pytest
from tests.service.conftest import assert_error, ready, serve

from affectlens.api import get_analyzer
from affectlens.schema import Analysis
from affectlens.service import ServiceConfig, hash_key
from affectlens.service.config import Limits, load_config


def test_probes_metrics_schema_and_page(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["backends"] == ["embedded"]
    schema = client.get("/openapi.json").json()
    for path in ("/v1/analyze", "/v1/conversations", "/v1/jobs", "/v1/jobs/{job_id}", "/v1/jobs/{job_id}/result",
                 "/v1/taxonomies", "/v1/backends", "/healthz", "/readyz", "/metrics"):  # fmt: skip
        assert path in schema["paths"], path
    assert "delete" in schema["paths"]["/v1/jobs/{job_id}"]
    page = client.get("/")
    assert page.status_code == 200 and "<title>affectlens</title>" in page.text
    assert "http" not in page.text.replace('href="/', "").split("<footer>")[0]  # nothing fetched from elsewhere
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/static/docs.js" in docs.text and "cdn" not in docs.text
    for asset in ("/static/app.js", "/static/style.css", "/static/docs.js"):
        body = client.get(asset)
        assert body.status_code == 200 and "https://" not in body.text
    client.post("/v1/analyze", json={"text": "I am so happy today"})
    metrics = client.get("/metrics").text
    assert 'affectlens_requests_total{method="POST",route="/v1/analyze",status="200"}' in metrics
    assert 'affectlens_texts_analysed_total{backend="embedded",endpoint="analyze"}' in metrics
    assert "affectlens_request_seconds_bucket" in metrics and "affectlens_queue_depth" in metrics


def test_analyze_gives_what_the_library_gives(client):
    texts = ["Thanks so much, I'm really happy", "This is infuriating, nobody called me back.", ""]
    response = client.post("/v1/analyze", json={"texts": texts, "ids": ["a", "b", None], "taxonomy": "ekman", "explain": True})
    assert response.status_code == 200, response.text
    got = [Analysis.model_validate(a) for a in response.json()["analyses"]]
    expected = get_analyzer("embedded").analyze_batch(
        texts, ids=["a", "b", None], taxonomy="ekman", explain=True, max_chars=20_000
    )
    assert got == expected
    assert [a.id for a in got] == ["a", "b", None]
    assert got[1].evidence and all(got[1].text[e.start : e.end] == e.text for e in got[1].evidence)
    one = client.post("/v1/analyze", json={"text": texts[0]}).json()["analyses"]
    assert len(one) == 1 and one[0]["taxonomy"].startswith("goemotions") and "joy" in one[0]["labels"]


@pytest.mark.parametrize(
    ("body", "status", "kind"),
    [
        ({"text": "a", "texts": ["b"]}, 422, "invalid_request"),
        ({}, 422, "invalid_request"),
        ({"texts": ["a"], "ids": ["x", "y"]}, 422, "invalid_request"),
        ({"text": 3}, 422, "invalid_request"),
        ({"text": "a", "colour": "red"}, 422, "invalid_request"),
        ({"text": "a", "min_confidence": 2}, 422, "invalid_request"),
        ({"texts": ["a"] * 65}, 422, "invalid_input"),
        ({"text": "a" * 20_001}, 422, "invalid_input"),
        ({"text": "a", "taxonomy": "ekmann"}, 422, "unknown_name"),
        ({"text": "a", "backend": "openai"}, 422, "unknown_name"),
    ],
)
def test_bad_analyze_requests_are_4xx_with_one_shape(client, body, status, kind):
    assert_error(client.post("/v1/analyze", json=body), status, kind)


def test_malformed_bodies_unknown_routes_and_methods(client):
    assert_error(
        client.post("/v1/analyze", content=b'{"text": ', headers={"content-type": "application/json"}), 422, "invalid_request"
    )
    assert_error(
        client.post("/v1/analyze", content=b"\xff\xfe", headers={"content-type": "application/json"}), 422, "invalid_request"
    )
    deep = b'{"text": ' + b"[" * 50_000  # nesting deeper than the parser goes
    assert_error(client.post("/v1/analyze", content=deep, headers={"content-type": "application/json"}), 400, "invalid_request")
    assert_error(client.get("/v1/nothing"), 404, "not_found")
    assert_error(client.put("/v1/analyze", json={"text": "a"}), 405, "method_not_allowed")
    assert_error(client.get("/v1/jobs/0123"), 404, "not_found")


def test_bodies_over_the_limit_are_413_declared_or_streamed(client):
    big = json.dumps({"text": "a" * (1 << 20)}).encode()
    error = assert_error(
        client.post("/v1/analyze", content=big, headers={"content-type": "application/json"}), 413, "payload_too_large"
    )
    assert "1,048,576" in error["message"]

    def chunks():  # no Content-Length: counted as it arrives
        for _ in range(20):
            yield b" " * 100_000

    streamed = client.post("/v1/analyze", content=chunks(), headers={"content-type": "application/json"})
    assert_error(streamed, 413, "payload_too_large")
    assert 'affectlens_rejections_total{reason="too_large"} 2.0' in client.get("/metrics").text


def test_taxonomies_and_backends(client):
    taxonomies = {t["id"].split("@")[0]: t for t in client.get("/v1/taxonomies").json()}
    assert {"goemotions", "ekman", "plutchik"} <= set(taxonomies)
    assert "anger" in taxonomies["ekman"]["labels"]
    (backend,) = client.get("/v1/backends").json()
    assert backend["name"] == "embedded" and backend["backend_id"].startswith("embedded/")


def test_conversations(client):
    turns = [
        {"speaker": "A", "text": "I waited two hours and nobody called me back.", "id": "t1"},
        {"speaker": "B", "text": "I'm so sorry, let me look at your case right now.", "id": "t2", "parent": "t1"},
        {"speaker": "A", "text": "Thank you, that's a relief.", "parent": "t2"},
        {"speaker": "C", "text": "Same thing happened to me last week!", "parent": "t1"},
    ]
    response = client.post("/v1/conversations", json={"id": "support-1", "turns": turns})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["conversation_id"] == "support-1"
    assert [t["parent"] for t in result["turns"]] == [None, 0, 1, 0]
    assert {t["speaker"] for t in result["dynamics"]["trajectories"]} == {"A", "B", "C"}
    assert result["turns"][0]["analysis"]["vad"]["valence"] < result["turns"][2]["analysis"]["vad"]["valence"]
    line = client.post("/v1/conversations", json={"turns": [{"speaker": "A", "text": "hi"}, {"speaker": "B", "text": "hello"}]})
    assert [t["parent"] for t in line.json()["turns"]] == [None, 0]
    bad = client.post("/v1/conversations", json={"turns": [{"speaker": "A", "text": "hi", "parent": "nope"}]})
    assert "not the id of an earlier turn" in assert_error(bad, 422, "invalid_input")["message"]
    assert_error(client.post("/v1/conversations", json={"turns": []}), 422, "invalid_request")
    too_many = [{"speaker": "A", "text": "hi"}] * 201
    assert_error(client.post("/v1/conversations", json={"turns": too_many}), 422, "invalid_input")


def test_over_capacity_is_429_with_retry_after(tmp_path):
    config = ServiceConfig(state_dir=tmp_path, conversations=False, limits=Limits(max_concurrent=1, max_queue=1))
    with serve(config) as client:
        ready(client)
        analyzer = client.app.state.service.analyzers["embedded"]
        release, entered = threading.Event(), threading.Event()
        original = analyzer.analyze_batch

        def blocking(*args, **kwargs):
            entered.set()
            release.wait(30)
            return original(*args, **kwargs)

        analyzer.analyze_batch = blocking
        try:
            _fill_the_queue_then_one_more(client, entered, release)
        finally:
            del analyzer.analyze_batch  # the analyzer is shared with the rest of the process


def _fill_the_queue_then_one_more(client, entered, release):
    """One request running, one waiting, a third refused at once; then all is answered."""
    answers = []
    first = threading.Thread(target=lambda: answers.append(client.post("/v1/analyze", json={"text": "one"})))
    first.start()
    assert entered.wait(10)
    second = threading.Thread(target=lambda: answers.append(client.post("/v1/analyze", json={"text": "two"})))
    second.start()
    for _ in range(100):  # the second is in the queue
        if client.app.state.service.admission.waiting == 1:
            break
        threading.Event().wait(0.05)
    refused = client.post("/v1/analyze", json={"text": "three"})
    assert_error(refused, 429, "overloaded")
    assert int(refused.headers["retry-after"]) >= 1
    assert "affectlens_queue_depth 1.0" in client.get("/metrics").text
    release.set()
    first.join(30)
    second.join(30)
    assert [a.status_code for a in answers] == [200, 200]  # the admitted ones are answered
    assert client.post("/v1/analyze", json={"text": "four"}).status_code == 200
    assert 'affectlens_rejections_total{reason="overloaded"} 1.0' in client.get("/metrics").text


def test_api_keys_rate_limits_and_cors(tmp_path):
    config = ServiceConfig(
        state_dir=tmp_path,
        conversations=False,
        api_keys=[hash_key("s3cret")],
        limits=Limits(rate_per_minute=2),
    )
    with serve(config) as client:
        ready(client)
        assert client.get("/healthz").status_code == 200  # probes need no key
        assert_error(client.post("/v1/analyze", json={"text": "hi"}), 401, "unauthorized")
        assert_error(client.post("/v1/analyze", json={"text": "hi"}, headers={"X-API-Key": "guess"}), 401, "unauthorized")
        assert client.post("/v1/analyze", json={"text": "hi"}, headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert client.get("/v1/taxonomies", headers={"X-API-Key": "s3cret"}).status_code == 200
        limited = client.get("/v1/taxonomies", headers={"X-API-Key": "s3cret"})
        assert_error(limited, 429, "rate_limited")
        assert 1 <= int(limited.headers["retry-after"]) <= 30
        assert (
            "access-control-allow-origin"
            not in client.options(
                "/v1/analyze", headers={"Origin": "http://example.org", "Access-Control-Request-Method": "POST"}
            ).headers
        )
    with serve(ServiceConfig(state_dir=tmp_path, conversations=False, cors_origins=["http://example.org"])) as client:
        preflight = client.options(
            "/v1/analyze", headers={"Origin": "http://example.org", "Access-Control-Request-Method": "POST"}
        )
        assert preflight.headers["access-control-allow-origin"] == "http://example.org"


def test_config_files_are_checked(tmp_path):
    good = tmp_path / "service.toml"
    good.write_text(f'port = 9000\napi_keys = ["{hash_key("k")}"]\n[limits]\nmax_texts = 8\n[backends.embedded]\n')
    config = load_config(good, port=None, host="0.0.0.0")
    assert (config.port, config.host, config.limits.max_texts) == (9000, "0.0.0.0", 8)
    assert config.accepts("k") and not config.accepts("K") and not config.accepts(None)
    from affectlens.errors import ConfigError

    for text, words in (
        ("[limits]\nmax_textz = 1\n", "limits.max_textz"),
        ('api_keys = ["plain-key"]\n', "sha256"),
        ("port = \n", "not valid TOML"),
        ("[backends]\n", "at least one backend"),
    ):
        (tmp_path / "bad.toml").write_text(text)
        with pytest.raises(ConfigError, match=words):
            load_config(tmp_path / "bad.toml")


def test_a_backend_that_fails_to_load_is_not_ready_and_says_why(tmp_path):
    config = ServiceConfig(state_dir=tmp_path, conversations=False, backends={"embedded": {"model_dir": str(tmp_path / "none")}})
    with serve(config) as client:
        for _ in range(100):
            if client.app.state.service.load_error is not None:
                break
            threading.Event().wait(0.05)
        error = assert_error(client.get("/readyz"), 503, "not_ready")
        assert "no model manifest" in error["message"] and str(tmp_path) not in error["message"]
        assert_error(client.post("/v1/analyze", json={"text": "hi"}), 503, "not_ready")
        assert client.get("/healthz").status_code == 200
