"""``affectlens serve``: the HTTP API and the web page (``pip install 'affectlens[serve]'``).

    >>> from affectlens.service import ServiceConfig, create_app  # doctest: +SKIP
    >>> app = create_app(ServiceConfig(state_dir="state"))         # doctest: +SKIP

docs/service.md has the endpoints, limits, errors and examples.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from affectlens.service.config import ServiceConfig, hash_key, load_config

if TYPE_CHECKING:
    from affectlens.service.app import create_app

__all__ = ["ServiceConfig", "create_app", "hash_key", "load_config"]


def __getattr__(name: str) -> Any:  # FastAPI is imported only when an app is built
    if name == "create_app":
        from affectlens.service.app import create_app

        return create_app
    raise AttributeError(name)
