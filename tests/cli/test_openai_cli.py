"""Issue #4 acceptance: `affectlens analyze --backend openai` against a server on loopback
that invents spans and labels."""

import json
import socket
import time

from affectlens.api import clear_cache
from tests.llm.conftest import ScriptedServer, emotions
from tests.llm.loopback import serve


def test_invented_spans_and_unknown_labels_are_dropped_and_reported(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("AFFECTLENS_CACHE_DIR", str(tmp_path / "cache"))
    clear_cache()
    script = ScriptedServer()
    script.answers["perceive"] = {
        "cues": [
            {"id": 1, "quote": "furious", "type": "emotion_word"},
            {"id": 2, "quote": "my boss screamed at me", "type": "situation"},  # invented
            {"id": 3, "quote": "", "type": "other"},
        ]
    }
    script.answers["reason"] = emotions(
        ("anger", 0.9, [1, 2]),
        ("righteous-indignation-9000", 0.8, [2]),
        ("outrage", 0.7, [1]),
        ("enervation", 0.6, []),
        rationale="They say 'my boss screamed at me'.",
    )
    texts = ["I am furious about the rent increase!", "Honestly furious, again."]
    with serve(script) as url:
        r = cli(
            "analyze", *texts, "--backend", "openai", "-O", f"base_url={url}", "-O", "model=tiny", "-f", "jsonl", "-t", "ekman"
        )
    assert r.code == 0, r.err
    rows = [json.loads(line) for line in r.out.splitlines()]
    assert len(rows) == 2 and len(script.requests) == 4
    for row in rows:
        assert row["labels"] == ["anger"]
        assert set(row["labels"]) <= set(row["scores"]) == {"anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral"}
        for e in row["evidence"]:
            assert row["text"][e["start"] : e["end"]] == e["text"]
        assert [e["text"] for e in row["evidence"]] == ["furious"]
        warnings = " | ".join(row["warnings"])
        assert "my boss screamed at me" in warnings and "does not occur" in warnings
        assert "righteous-indignation-9000" in warnings and "enervation" in warnings
        assert "'outrage' was mapped" in warnings
        assert "'my boss" not in row["rationale"]
    assert "openai: 4 requests" in r.err  # usage printed at the end of the run
    clear_cache()


def test_eval_json_scores_an_llm_backend_and_reports_usage(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("AFFECTLENS_CACHE_DIR", str(tmp_path / "cache"))
    clear_cache()
    script = ScriptedServer()
    script.answers["reason"] = emotions(("amusement", 0.9, []), ("zorblax", 0.5, []))
    with serve(script) as url:
        r = cli(
            "eval", "minimal-pairs", "--backend", "openai", "-O", f"base_url={url}", "-O", "model=tiny", "--limit", "3", "--json"
        )
    assert r.code == 0, r.err
    result = json.loads(r.out)
    assert result["backend"].startswith("openai/tiny+zero-shot@1")
    usage = result["usage"]
    assert usage["requests"] == len(script.requests) > 0 and usage["dropped_labels"] > 0  # "zorblax" maps nowhere
    assert 0.0 <= result["metrics"]["pass_rate"] <= 1.0
    clear_cache()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


FAST_RETRIES = "[backends.openai]\nbackoff = 0.05\n"


def test_an_unreachable_endpoint_stops_the_run_with_one_line_and_no_file(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("AFFECTLENS_CACHE_DIR", str(tmp_path / "cache"))
    clear_cache()
    src = tmp_path / "in.txt"
    src.write_text("".join(f"text number {i}\n" for i in range(1000)))
    out = tmp_path / "out.jsonl"
    (tmp_path / "fast.toml").write_text(FAST_RETRIES)
    started = time.monotonic()
    r = cli(
        "analyze", "-i", str(src), "-o", str(out), "--backend", "openai", "-O", "model=m",
        "-O", f"base_url=http://127.0.0.1:{_closed_port()}/v1", "--backend-config", str(tmp_path / "fast.toml"),
    )  # fmt: skip
    assert r.code == 1 and time.monotonic() - started < 10
    errors = [line for line in r.err.splitlines() if line.startswith("affectlens: error:")]
    assert len(errors) == 1 and "cannot reach http://127.0.0.1:" in errors[0] and "connection failed" in errors[0]
    assert "Traceback" not in r.err and "internal error" not in r.err
    assert not out.exists()
    clear_cache()


def test_a_server_that_never_answers_is_given_up_on_with_the_timeout(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("AFFECTLENS_CACHE_DIR", str(tmp_path / "cache"))
    clear_cache()
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)  # accepts connections, never reads nor answers
    (tmp_path / "fast.toml").write_text(FAST_RETRIES + "max_retries = 1\n")
    try:
        started = time.monotonic()
        r = cli(
            "analyze", "a text", "--backend", "openai", "-O", "model=m", "-O", "timeout=0.5",
            "-O", f"base_url=http://127.0.0.1:{silent.getsockname()[1]}/v1", "--backend-config", str(tmp_path / "fast.toml"),
        )  # fmt: skip
    finally:
        silent.close()
    assert r.code == 1 and time.monotonic() - started < 10
    assert "no answer within 0.5 s" in r.err and "retrying" in r.err  # the wait was shown, then given up on
    clear_cache()


def test_a_redirect_is_not_followed_and_the_text_goes_nowhere_else(cli, tmp_path, monkeypatch):
    """A 307 to another host:port would carry the text (and the key) there: it is one error naming it."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    monkeypatch.setenv("AFFECTLENS_CACHE_DIR", str(tmp_path / "cache"))
    clear_cache()
    elsewhere: list[bytes] = []

    class Elsewhere(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            elsewhere.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(500)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    other = ThreadingHTTPServer(("127.0.0.1", 0), Elsewhere)
    target = f"http://127.0.0.1:{other.server_address[1]}"

    class Redirect(Elsewhere):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(307)
            self.send_header("Location", f"{target}/v1/chat/completions?token=secret")
            self.send_header("Content-Length", "0")
            self.end_headers()

    first = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    for server in (other, first):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        r = cli(
            "analyze", "a private text", "--backend", "openai", "-O", "model=m",
            "-O", f"base_url=http://127.0.0.1:{first.server_address[1]}/v1",
        )  # fmt: skip
    finally:
        first.shutdown()
        other.shutdown()
    assert r.code == 1, r.err
    errors = [line for line in r.err.splitlines() if line.startswith("affectlens: error:")]
    assert len(errors) == 1 and "redirect (307)" in errors[0] and target in errors[0] and "secret" not in r.err
    assert elsewhere == []  # nothing reached the other server
    clear_cache()
