"""Settings of the LLM backends (``-O KEY=VALUE``, a config file's ``[backends.openai]``
table, or keyword arguments: :mod:`affectlens.settings`)::

    [backends.openai]
    base_url = "http://127.0.0.1:8080/v1"
    model = "qwen2.5-7b-instruct"
    strategy = "few-shot"
    few_shot_pool = "labelled.jsonl"
    price_input_per_million = 0.15

The API key comes from ``api_key`` or ``$AFFECTLENS_API_KEY`` or ``$OPENAI_API_KEY``; it is
never printed nor written into any output, manifest or cache key.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr

from affectlens.errors import ConfigError
from affectlens.settings import BackendSettings

__all__ = ["LLMSettings", "default_cache_dir"]

ResponseFormat = Literal["auto", "json_schema", "json_object_schema", "json_object", "text"]


class LLMSettings(BackendSettings):
    """Everything an LLM backend needs; unknown settings are refused."""

    model: str = Field("gpt-4o-mini", description="model name at the endpoint")
    base_url: str | None = Field(None, description="OpenAI-compatible endpoint; None means OpenAI")
    api_key: SecretStr | None = None
    strategy: str = Field("zero-shot", description="prompt strategy (affectlens.llm.strategies)")
    samples: int = Field(1, ge=1, le=20, description="self-consistency: reason this many times")
    temperature: float | None = Field(None, ge=0.0, le=2.0, description="default 0, or 0.7 with samples > 1")
    stimulus: str | None = Field(None, description="emotional-stimulus suffix (affectlens.llm.strategies)")
    few_shot_pool: Path | None = Field(None, description="JSONL of labelled texts for few-shot retrieval")
    few_shot_k: int = Field(4, ge=1, le=16)
    response_format: ResponseFormat = "auto"
    max_tokens: int = Field(800, ge=16)
    concurrency: int = Field(8, ge=1, le=256)
    timeout: float = Field(60.0, gt=0, description="seconds to wait for one answer before retrying it")
    deadline: float | None = Field(None, gt=0, description="seconds the whole run may take; then it stops")
    max_retries: int = Field(4, ge=0, le=20)
    backoff: float = Field(1.0, ge=0.0, description="first retry delay in seconds, doubled each time")
    parse_retries: int = Field(2, ge=0, le=5)
    cache: bool = True
    cache_dir: Path | None = None
    price_input_per_million: float = Field(0.0, ge=0.0)
    price_output_per_million: float = Field(0.0, ge=0.0)
    # media (images, recordings, videos: affectlens.media.llm)
    send_images: bool = Field(True, description="send images and video frames (every multimodal endpoint takes them)")
    send_audio: bool = Field(True, description="send the sound as input_audio (vLLM, llama.cpp; not Ollama: set false)")
    max_frames: int = Field(8, ge=1, le=64, description="video frames sent, spread evenly over the video")
    max_image_side: int = Field(1024, ge=64, le=4096, description="images and frames are sent at most this many pixels long")
    max_audio_seconds: float = Field(300.0, gt=0, description="longer sound is not sent: the model reads the transcript")
    max_media_mb: float = Field(20.0, gt=0, description="the media of one request, base64 included")

    @property
    def effective_temperature(self) -> float:
        if self.temperature is not None:
            return self.temperature
        return 0.7 if self.samples > 1 else 0.0

    def resolved_api_key(self) -> str:
        if self.api_key is not None:
            return self.api_key.get_secret_value()
        for name in ("AFFECTLENS_API_KEY", "OPENAI_API_KEY"):
            if os.environ.get(name):
                return os.environ[name]
        if self.base_url is None:
            raise ConfigError(
                "no API key for OpenAI", hint="set AFFECTLENS_API_KEY or OPENAI_API_KEY, or point --base-url at a local server"
            )
        return "not-needed"  # local servers (llama.cpp, vLLM, Ollama) usually need none


def default_cache_dir() -> Path:
    if os.environ.get("AFFECTLENS_CACHE_DIR"):
        return Path(os.environ["AFFECTLENS_CACHE_DIR"]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "affectlens"
