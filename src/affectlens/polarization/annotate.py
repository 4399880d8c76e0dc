"""The corpus work of a polarization run: read a span of the run's ``posts.parquet``,
annotate each post (offline or with an LLM), write the part.

It runs inside the P6 engine (:mod:`affectlens.corpus.worker`), so a polarization run is
resumable after any interruption, runs on Ray, and reports bad rows like ``corpus analyze``.
Everything the work needs travels in ``RunSpec.work_settings`` as plain data: the topics,
the trained stance models, whether to verify evidence.
"""

from __future__ import annotations

from typing import Any, ClassVar

from affectlens.corpus.manifest import Task
from affectlens.corpus.worker import RunSpec, TaskResult
from affectlens.io.readers import Record
from affectlens.polarization.annotation import FACTS, annotation_table
from affectlens.polarization.offline import OfflineAnnotator, PostInput
from affectlens.polarization.stance import StanceModel
from affectlens.polarization.topics import Topic

__all__ = ["PostWork"]

_COLUMNS = ("topic", "is_reply", "parent_text", "parent_author", "given_stance")


class PostWork:
    columns = _COLUMNS
    required: ClassVar[dict[str, str]] = {c: "(the run's posts file)" for c in _COLUMNS}

    def __init__(self, spec: RunSpec) -> None:
        settings = spec.work_settings
        topics = {name: Topic.model_validate(raw) for name, raw in settings["topics"].items()}
        if settings["mode"] == "llm":
            from affectlens.api import get_analyzer
            from affectlens.polarization.llm import LLMAnnotator

            self.annotator: Any = LLMAnnotator(topics, get_analyzer(spec.backend, **spec.backend_settings))
        else:
            models = {name: StanceModel.from_dict(raw) for name, raw in settings.get("stance_models", {}).items()}
            self.annotator = OfflineAnnotator(
                topics,
                stance_models=models,
                threads=spec.backend_settings.get("threads"),
                evidence=settings.get("evidence", True),
            )

    def table(self, task: Task, records: list[Record], result: TaskResult) -> Any:
        posts = [
            PostInput(
                post=int(r.id or 0),
                text=r.text or "",
                topic=str((r.extra or {})["topic"]),
                is_reply=bool((r.extra or {})["is_reply"]),
                parent_text=(r.extra or {}).get("parent_text"),
                parent_author=(r.extra or {}).get("parent_author"),
                given_stance=(r.extra or {}).get("given_stance"),
            )
            for r in records
        ]
        usage = getattr(getattr(self.annotator, "analyzer", None), "usage", None)
        before = usage.as_dict() if usage is not None and hasattr(usage, "as_dict") else None
        annotations = self.annotator.annotate(posts) if posts else []
        if before is not None:  # what this task's requests cost, kept in its part (survives a resume)
            after = usage.as_dict()
            for key in ("requests", "cached", "retries", "prompt_tokens", "completion_tokens", "parse_failures", "failed_texts"):
                if after[key] - before[key]:
                    result.counts[f"llm_{key}"] = result.counts.get(f"llm_{key}", 0) + after[key] - before[key]
            cost = round((after["cost"] - before["cost"]) * 1e6)
            if cost:
                result.counts["llm_cost_micro"] = result.counts.get("llm_cost_micro", 0) + cost
        for a in annotations:
            for fact in FACTS:
                status = getattr(a, fact).status
                if status in ("failed", "unknown"):
                    key = f"{fact}_{status}"
                    result.counts[key] = result.counts.get(key, 0) + 1
        return annotation_table(annotations)
