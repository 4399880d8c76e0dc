"""Signed download links: a finished job's result and report, reachable without the key for a while.

A page cannot put an ``Authorization`` header on a link or on a report opened in a new tab,
and a key in a URL would stay in histories and logs. So ``POST /v1/jobs/{id}/links`` (with the
key) answers URLs that carry a token instead: HMAC-SHA256 over the path, the caller's principal
and an expiry, with a secret kept in the state folder (shared by the server's workers, made
on first use, readable by its owner only). A token opens that one path, for that caller, for
:data:`LINK_SECONDS`; ownership is checked again when it is used.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

from affectlens.service.errors import Unauthorized
from affectlens.service.jobs import Viewer

__all__ = ["LINK_SECONDS", "LinkSigner"]

LINK_SECONDS = 300


class LinkSigner:
    def __init__(self, state_dir: str | Path) -> None:
        path = Path(state_dir) / "link-secret"
        if not path.exists():  # made whole, then linked into place: a worker never reads half a secret
            path.parent.mkdir(parents=True, exist_ok=True)
            draft = path.with_name(f".link-secret-{os.getpid()}-{secrets.token_hex(4)}")
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(32))
            try:
                os.link(draft, path)
            except FileExistsError:
                pass  # another worker made it first
            finally:
                draft.unlink()
        self._secret = path.read_bytes()

    def _mac(self, path: str, principal: str, admin: bool, expires: int) -> str:
        message = f"{path}\n{principal}\n{int(admin)}\n{expires}".encode()
        return base64.urlsafe_b64encode(hmac.new(self._secret, message, hashlib.sha256).digest()).decode().rstrip("=")

    def sign(self, path: str, viewer: Viewer, *, seconds: int = LINK_SECONDS) -> str:
        """``path`` with a token that opens it for ``viewer`` for ``seconds``."""
        expires = int(time.time()) + seconds
        principal = base64.urlsafe_b64encode(viewer.principal.encode()).decode().rstrip("=")
        token = f"{principal}.{int(viewer.admin)}.{expires}.{self._mac(path, viewer.principal, viewer.admin, expires)}"
        return f"{path}?token={token}"

    def check(self, token: str, path: str) -> Viewer:
        """The viewer a valid, unexpired token for ``path`` stands for; else 401."""
        try:
            encoded, admin, expires, mac = token.split(".")
            principal = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
            valid = hmac.compare_digest(mac, self._mac(path, principal, admin == "1", int(expires)))
        except (ValueError, UnicodeDecodeError):
            valid, expires = False, "0"
        if not valid or int(expires) < time.time():
            raise Unauthorized("this link is not valid (or no longer)", hint="ask for new links: POST /v1/jobs/{id}/links")
        return Viewer(principal, admin=admin == "1")
