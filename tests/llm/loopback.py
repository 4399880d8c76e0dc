"""A scripted OpenAI-compatible HTTP server on 127.0.0.1, for tests of the real CLI path."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.llm.conftest import ScriptedServer, completion


@contextmanager
def serve(script: ScriptedServer) -> Iterator[str]:
    """Yield the base URL of a server answering chat completions from ``script``."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body: dict[str, Any] = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            script.requests.append(body)
            answer = script.answers[script.stage_of(body)]
            if callable(answer):
                answer = answer(body)
            content = answer if isinstance(answer, str) else json.dumps(answer)
            payload = json.dumps(completion(content)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
