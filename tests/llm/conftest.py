"""A scripted OpenAI-compatible server, in process (no sockets, no keys).

``ScriptedServer`` answers chat-completion requests by stage (perceive, aspect, opinion,
reason). Tests give it answers per stage as dicts (sent as JSON), strings (sent as they are)
or callables; and a queue of failures served first: HTTP status codes, ``"timeout"``, or a
malformed body (``"truncated"`` JSON, an ``"html"`` page, ``"no-choices"``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx2
import pytest

STAGE_MARKERS = {
    "you are presented with a scenario": "emobench",
    "predict the likely emotional responses": "eqbench",
    "List the emotion cues you perceive in the media": "media_perceive",
    "Weigh the verified cues": "media_reason",
    "Find the cues": "perceive",
    "Name the aspect": "aspect",
    "state the writer's opinion": "opinion",
    "Decide which emotions": "reason",
    "posts from online reply threads": "polarization",
}


def completion(content: str, prompt_tokens: int = 50, completion_tokens: int = 10) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": "scripted",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def emotions(
    *labels: tuple[str, float, list[int]], valence: float = 0.0, rationale: str = "", confidence: float = 0.8
) -> dict[str, Any]:
    return {
        "emotions": [{"label": label, "probability": p, "cue_ids": ids} for label, p, ids in labels],
        "valence": valence,
        "arousal": 0.2,
        "dominance": 0.0,
        "rationale": rationale,
        "confidence": confidence,
    }


class ScriptedServer:
    def __init__(self) -> None:
        self.answers: dict[str, Any] = {
            "perceive": {"cues": []},
            "aspect": {"aspect": "x", "quote": "x"},
            "opinion": {"opinion": "x", "polarity": "neutral"},
            "reason": emotions(),
            "media_perceive": {"cues": []},
            "media_reason": emotions(),
        }
        self.failures: list[int | str] = []
        self.broken_for: set[str] = set()  # texts whose every request gets a malformed body
        self.requests: list[dict[str, Any]] = []

    @staticmethod
    def stage_of(body: dict[str, Any]) -> str:
        system = body["messages"][0]["content"]
        return next(stage for marker, stage in STAGE_MARKERS.items() if marker in system)

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        if any(text in body["messages"][1]["content"] for text in self.broken_for):
            return httpx2.Response(200, content=b"<html>502 Bad Gateway</html>", headers={"content-type": "text/html"})
        if self.failures:
            failure = self.failures.pop(0)
            if failure == "timeout":
                raise httpx2.ReadTimeout("scripted timeout", request=request)
            if failure == "truncated":  # a proxy cut the body short
                cut = b'{"id": "x", "choices": [{"mess'
                return httpx2.Response(200, content=cut, headers={"content-type": "application/json"})
            if failure == "html":  # a gateway's error page with status 200
                return httpx2.Response(200, content=b"<html>502 Bad Gateway</html>", headers={"content-type": "text/html"})
            if failure == "no-choices":
                return httpx2.Response(200, json={"id": "x", "object": "chat.completion", "choices": []})
            if failure == "json_schema" and body.get("response_format", {}).get("type") == "json_schema":
                return httpx2.Response(400, json={"error": {"message": "response_format json_schema is not supported"}})
            if failure == "json_schema_500" and body.get("response_format", {}).get("type") == "json_schema":
                # llama-cpp-python's server answers a request it cannot validate with a 500
                message = "1 validation error: {'type': 'literal_error', 'loc': ('body', 'response_format', 'type')}"
                return httpx2.Response(500, json={"error": {"message": message}})
            if isinstance(failure, int):
                return httpx2.Response(failure, json={"error": {"message": f"scripted {failure}"}}, headers={"retry-after": "0"})
        stage = self.stage_of(body)
        answer = self.answers[stage]
        if callable(answer):
            answer = answer(body)
        content = answer if isinstance(answer, str) else json.dumps(answer)
        return httpx2.Response(200, json=completion(content))

    def client(self) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(transport=httpx2.MockTransport(self.handler))

    def count(self, stage: str) -> int:
        return sum(1 for r in self.requests if self.stage_of(r) == stage)


@pytest.fixture()
def server() -> ScriptedServer:
    return ScriptedServer()


@pytest.fixture()
def make_analyzer(server: ScriptedServer, tmp_path) -> Callable[..., Any]:
    from affectlens.analyzers.openai_backend import OpenAIAnalyzer

    def make(**settings: Any) -> OpenAIAnalyzer:
        defaults = {
            "base_url": "http://scripted/v1",
            "model": "scripted",
            "backoff": 0.0,
            "cache_dir": tmp_path / "cache",
            "cache": False,
        }
        return OpenAIAnalyzer(http_client=server.client(), **{**defaults, **settings})

    return make
