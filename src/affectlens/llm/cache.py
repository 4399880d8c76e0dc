"""A SQLite cache of model answers, so a re-run costs nothing.

The key is a hash of everything that can change an answer: endpoint, model, strategy
version, stage, sampling parameters, sample index and the messages (which hold the text).
The API key is never part of it. Location: ``$AFFECTLENS_CACHE_DIR``, else the user cache
directory (``~/.cache/affectlens``).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

__all__ = ["ResponseCache", "cache_key"]


def cache_key(**parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


class ResponseCache:
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "llm-cache.sqlite3"
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, content TEXT NOT NULL, "
            "prompt_tokens INTEGER, completion_tokens INTEGER, created REAL, truncated INTEGER DEFAULT 0)"
        )
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(answers)")}
        if "truncated" not in columns:  # a cache written before answers carried it
            self._db.execute("ALTER TABLE answers ADD COLUMN truncated INTEGER DEFAULT 0")
        self._db.commit()

    def get(self, key: str) -> tuple[str, int, int] | None:
        """The stored answer (an :class:`~affectlens.llm.client.Answer`, with whether the server
        had cut it: a replay gives the same reasons, so the same follow-up requests), and its tokens."""
        from affectlens.llm.client import Answer

        with self._lock:
            row = self._db.execute(
                "SELECT content, prompt_tokens, completion_tokens, truncated FROM answers WHERE key = ?", (key,)
            ).fetchone()
        if row is None:
            return None
        answer = Answer(row[0])
        answer.truncated = bool(row[3])
        return answer, int(row[1] or 0), int(row[2] or 0)

    def put(self, key: str, content: str, prompt_tokens: int, completion_tokens: int) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO answers (key, content, prompt_tokens, completion_tokens, created, truncated) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (key, str(content), prompt_tokens, completion_tokens, time.time(), int(getattr(content, "truncated", False))),
            )
            self._db.commit()

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
