"""The polarization work: reply threads → a run folder of annotated posts and scored interactions.

::

    RUN_DIR/                  the one run folder (:mod:`affectlens.runs.manifest`)
      manifest.json           the run; its ``details``: rows, posts, threads, problems, stance models, scores
      problems.jsonl          every row left out or flagged, with file, line, id and why
      posts.parquet           the posts that take part, in thread order, each with its parent's text
      stance-models.json      the offline stance classifiers, trained on their examples
      parts/                  one annotation per post, task by task
      scores/RULES/           interactions.parquet, threads.parquet, summary.json under rule set RULES

1. **Prepare** (:mod:`affectlens.polarization.threads`): every input row is read, posts are
   linked, problems are written; the offline stance classifier is trained on its examples.
   Written once, before the plan: a resumed run reuses it.
2. **Annotate**: the run's tasks annotate the posts (offline, or with an LLM through the
   ``openai`` backend), on any engine; killing the run at any moment and running the same
   command again annotates every post once.
3. **Score** (:mod:`affectlens.polarization.score`): fast, redone at the end of every run and
   by ``polarization aggregate --rules`` for another rule set.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

from affectlens.errors import ConfigError, InputError
from affectlens.io.files import atomic_write
from affectlens.io.readers import Record, read_records
from affectlens.io.text import DEFAULT_MAX_CHARS, text_key
from affectlens.polarization.annotation import FACTS, annotation_table
from affectlens.polarization.rules import DEFAULT_RULES, RuleSet, load_rules
from affectlens.polarization.score import Scores, score_posts
from affectlens.polarization.stance import DEFAULT_MIN_CONFIDENCE, StanceModel, read_examples, topic_examples, train_stance
from affectlens.polarization.threads import POST_COLUMNS, ThreadColumns, Threads, read_threads
from affectlens.polarization.topics import Topic, load_topic
from affectlens.runs import InputSpec, Named, RunFolder, RunManifest, RunSpec, RunSummary, SinkSpec, Source, execute
from affectlens.runs.sources import fingerprint
from affectlens.runs.tasks import TaskResult
from affectlens.runs.works import Work

__all__ = ["PolarizationDir", "PostWork", "RunResult", "analyze", "score_run"]

OFFLINE_CHUNK, LLM_CHUNK = 2000, 100
_ROW_GROUP = 100
_POST_EXTRA = ("topic", "is_reply", "parent_text", "parent_author", "given_stance")


class PolarizationDir(RunFolder):
    """A polarization run's folder: the run's files, and what the work keeps beside them."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        self.problems = self.path / "problems.jsonl"
        self.posts = self.path / "posts.parquet"
        self.stance_models = self.path / "stance-models.json"

    def load_stance_models(self) -> dict[str, StanceModel]:
        """The offline stance classifiers the run trained, by topic name (none: stances were given or read by an LLM)."""
        if not self.stance_models.exists():
            return {}
        raw = json.loads(self.stance_models.read_text(encoding="utf-8"))
        return {name: StanceModel.from_dict(m) for name, m in raw.items()}

    def scores(self, rules: str) -> Path:
        return self.path / "scores" / rules

    def load(self) -> RunManifest:
        manifest = self.load_manifest()
        if manifest.settings.get("work") != "polarization":
            raise InputError(
                f"{str(self.path)!r} is a run of {manifest.settings.get('work')!r}, not a polarization run",
                hint="run `affectlens polarization analyze INPUT -o RUN_DIR` first",
            )
        return manifest


@dataclass
class RunResult:
    run_dir: Path
    manifest: RunManifest
    scores: Scores
    seconds: float
    resumed: bool


class PostWork(Work):
    """A post's stance, agreement with its parent and affect toward the other side."""

    name = "polarization"
    sinks: ClassVar[tuple[str, ...]] = ("folder",)
    files: ClassVar[tuple[str, ...]] = ("problems.jsonl", "posts.parquet", "stance-models.json", "scores")

    def __init__(self, spec: RunSpec, folder: Path | None, *, threads: int | None = None) -> None:
        super().__init__(spec, folder, threads=threads)
        settings = spec.work.settings
        topics = {name: Topic.model_validate(raw) for name, raw in settings["topics"].items()}
        if spec.backend.name == "openai":
            from affectlens.polarization.llm import LLMAnnotator

            self.analyzer = self.build_analyzer()
            self.annotator: Any = LLMAnnotator(topics, self.analyzer)
        else:
            from affectlens.polarization.offline import OfflineAnnotator

            assert folder is not None
            models = PolarizationDir(folder).load_stance_models()
            self.annotator = OfflineAnnotator(
                topics, stance_models=models, threads=threads, evidence=settings.get("evidence", True)
            )
            self.analyzer = self.annotator.analyzer

    @property
    def backend_id(self) -> str | None:
        return str(self.annotator.backend_id)

    @classmethod
    def extra_columns(cls, spec: RunSpec) -> tuple[str, ...]:
        return _POST_EXTRA

    def read(self, source: Source, task: Any) -> Iterator[Record]:
        records = read_records(
            source.path, input_format="parquet", text_column="text", id_column="post", extra=_POST_EXTRA, span=task.span
        )
        for record in records:
            yield self.check_record(record)

    def process(self, records: list[Record], result: TaskResult) -> list[Any]:
        from affectlens.polarization.offline import PostInput

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
        usage = getattr(self.analyzer, "usage", None) if self.spec.backend.name == "openai" else None
        before = usage.as_dict() if usage is not None and hasattr(usage, "as_dict") else None
        annotations = self.annotator.annotate(posts) if posts else []
        if before is not None:  # what this task's requests cost, kept in its part (survives a resume)
            after = usage.as_dict()  # type: ignore[union-attr]
            for key in ("requests", "cached", "retries", "prompt_tokens", "completion_tokens", "parse_failures", "failed_texts"):
                if after[key] - before[key]:
                    result.counts[f"llm_{key}"] = result.counts.get(f"llm_{key}", 0) + after[key] - before[key]
            cost = round((after["cost"] - before["cost"]) * 1e6)
            if cost:
                result.counts["llm_cost_micro"] = result.counts.get("llm_cost_micro", 0) + cost
        return annotations

    def key(self, record: Record) -> str | None:
        extra = record.extra or {}
        return text_key(json.dumps([record.text, *(extra.get(c) for c in _POST_EXTRA)], ensure_ascii=False, default=str))

    def reuse(self, result: Any, record: Record) -> Any:
        from dataclasses import replace

        post = int(record.id or 0)
        return result if result.post == post else replace(result, post=post)

    def count(self, records: list[Record], results: list[Any], result: TaskResult) -> None:
        for annotation in results:
            for fact in FACTS:
                status = getattr(annotation, fact).status
                if status in ("failed", "unknown"):
                    key = f"{fact}_{status}"
                    result.counts[key] = result.counts.get(key, 0) + 1

    def table(self, task: Any, records: list[Record], results: list[Any]) -> Any:
        return annotation_table(results)

    @classmethod
    def check(cls, spec: RunSpec) -> None:
        super().check(spec)
        if spec.backend.name not in ("embedded", "openai"):
            raise ConfigError(
                f"--backend {spec.backend.name!r} cannot annotate polarization", hint="use embedded (offline) or openai"
            )
        settings = spec.work.settings
        if spec.backend.name == "openai" and (settings.get("columns", {}).get("stance") or settings.get("stance_examples")):
            raise ConfigError(
                "--stance-column and --stance-examples are for the offline path", hint="the LLM judges the stance itself"
            )

    @classmethod
    def identity(cls, settings: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in settings.items() if k != "rules"}  # any rule set can be scored later

    @classmethod
    def prepare(
        cls, spec: RunSpec, inputs: list[Source], folder: Path, log: Callable[[str], None]
    ) -> tuple[list[Source], dict[str, Any]]:
        settings = spec.work.settings
        topics = [Topic.model_validate(raw) for raw in settings["topics"].values()]
        columns = ThreadColumns(**settings["columns"])
        threads = read_threads(
            inputs, columns, max_chars=spec.options.max_chars, topics=[t.name for t in topics], default_topic=topics[0].name
        )
        log(f"read {threads.rows:,} rows: {len(threads.posts):,} posts in {len(set(threads.thread)):,} threads")
        if not threads.posts:
            raise InputError(
                f"no post of {spec.input.path!r} can be placed in a thread",
                hint=f"each row needs an id ({columns.id!r}), a parent id column ({columns.parent!r}) and a text",
            )
        run = PolarizationDir(folder)
        models: dict[str, StanceModel] = {}
        if spec.backend.name != "openai" and not columns.stance:
            models = _train_stance_models(topics, settings.get("stance_examples"), settings["min_stance_confidence"], log)
        body = json.dumps({k: m.to_dict() for k, m in models.items()}).encode("utf-8")
        atomic_write(run.stance_models, lambda f: f.write(body))
        _write_problems(run, threads)
        _write_posts(run, threads)
        details = {
            "rows": threads.rows,
            "posts": len(threads.posts),
            "threads": len(set(threads.thread)),
            "problems": threads.counts(),
            "stance_models": {k: m.describe() for k, m in models.items()},
        }
        return [fingerprint(run.posts, "parquet")], details

    @classmethod
    def finish(cls, spec: RunSpec, folder: RunFolder, manifest: RunManifest, log: Callable[[str], None]) -> dict[str, Any]:
        scores = score_run(PolarizationDir(folder.path), load_rules(spec.work.settings.get("rules") or DEFAULT_RULES))
        return {"scores": scores.summary()}


def analyze(
    input: str | Path,
    run_dir: str | Path,
    *,
    topics: Sequence[str] = ("climate",),
    columns: ThreadColumns = ThreadColumns(),
    input_format: str | None = None,
    mode: str = "offline",
    backend_settings: dict[str, Any] | None = None,
    stance_examples: str | None = None,
    min_stance_confidence: float = DEFAULT_MIN_CONFIDENCE,
    evidence: bool = True,
    rules: str = DEFAULT_RULES,
    max_chars: int = DEFAULT_MAX_CHARS,
    engine: str = "local",
    engine_settings: dict[str, Any] | None = None,
    chunk_rows: int | None = None,
    restart: bool = False,
    command: str | None = None,
    on_start: Callable[[RunManifest, int | None], None] | None = None,
    on_task: Callable[[TaskResult], None] | None = None,
    log: Callable[[str], None] = lambda line: None,
) -> RunResult:
    """Analyse the reply threads of ``input`` into ``run_dir`` (see the module docstring).

    ``topics``: names or files; the first is the topic of rows without a topic column value.
    ``mode="offline"`` uses the embedded model (stance from ``columns.stance`` when given,
    else a classifier trained on ``stance_examples`` or the topic's examples); ``"llm"`` the
    ``openai`` backend with ``backend_settings``. ``rules``: the rule set scored at the end.
    """
    from affectlens.analyzers.base import AnalyzeOptions
    from affectlens.api import backend_settings as resolve

    started = time.perf_counter()
    loaded = [load_topic(t) for t in topics]
    if len({t.name for t in loaded}) != len(loaded):
        raise InputError("two topics have the same name", hint="give each topic once")
    rule_set = load_rules(rules)
    if mode not in ("offline", "llm"):
        raise ConfigError(f"unknown mode {mode!r}", hint="offline or llm")
    backend = "openai" if mode == "llm" else "embedded"
    spec = RunSpec(
        input=InputSpec(path=str(input), format=input_format),
        work=Named(
            name="polarization",
            settings={
                "topics": {t.name: t.model_dump(mode="json") for t in loaded},
                "columns": asdict(columns),
                "stance": "column" if columns.stance else (stance_examples or "topic examples") if mode == "offline" else "llm",
                "stance_examples": stance_examples,
                "min_stance_confidence": min_stance_confidence,
                "evidence": evidence,
                "rules": rules,
            },
        ),
        backend=Named(name=backend, settings=resolve(backend, backend_settings)),
        options=AnalyzeOptions(max_chars=max_chars),
        engine=Named(name=engine, settings=dict(engine_settings or {})),
        sink=SinkSpec(kind="folder", path=str(run_dir)),
        chunk_rows=chunk_rows or (LLM_CHUNK if mode == "llm" else OFFLINE_CHUNK),
        command=command,
    )
    summary: RunSummary = execute(spec, restart=restart, on_start=on_start, on_task=on_task, on_note=log)
    run = PolarizationDir(run_dir)
    scores = score_run(run, rule_set, write=False)
    return RunResult(run.path, summary.manifest, scores, time.perf_counter() - started, summary.resumed)


def _train_stance_models(
    topics: Sequence[Topic], examples_file: str | None, min_confidence: float, log: Callable[[str], None]
) -> dict[str, StanceModel]:
    from affectlens.api import get_analyzer

    analyzer = get_analyzer("embedded")

    def embed(texts: list[str]) -> Any:
        return analyzer.analyze_with_vectors(texts)[1]  # type: ignore[attr-defined]

    models = {}
    for topic in topics:
        if examples_file:
            examples, source = read_examples(examples_file, topic), examples_file
        else:
            examples, source = topic_examples(topic), f"the {topic.id} topic file's examples"
        model = train_stance(topic, examples, embed, source=source, min_confidence=min_confidence)
        log(model.describe())
        models[topic.name] = model
    return models


def _write_problems(run: PolarizationDir, threads: Threads) -> None:
    body = "".join(json.dumps(p.as_dict(), ensure_ascii=False) + "\n" for p in threads.problems).encode("utf-8")
    atomic_write(run.problems, lambda f: f.write(body))


def _write_posts(run: PolarizationDir, threads: Threads) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns: dict[str, list[Any]] = {name: [] for name in POST_COLUMNS}
    for k, post in enumerate(threads.posts):
        parent = threads.parent[k]
        values = {
            "post": k,
            "id": post.id,
            "parent_id": post.parent_id,
            "thread": threads.thread[k],
            "author": post.author,
            "time": post.time,
            "topic": post.topic,
            "text": post.text,
            "parent_text": threads.posts[parent].text if parent is not None else None,
            "parent_author": threads.posts[parent].author if parent is not None else None,
            "is_reply": parent is not None,
            "given_stance": post.stance,
            "source": post.source,
            "line": post.line,
        }
        for name, value in values.items():
            columns[name].append(value)
    schema = pa.schema(
        [
            (name, pa.int64() if name in ("post", "source", "line") else pa.bool_() if name == "is_reply" else pa.string())
            for name in POST_COLUMNS
        ]
    )
    table = pa.table(columns, schema=schema)
    atomic_write(run.posts, lambda f: pq.write_table(table, f, row_group_size=_ROW_GROUP, compression="zstd"))


def load_posts(run: PolarizationDir) -> dict[str, list[Any]]:
    import pyarrow.parquet as pq

    names = [c for c in POST_COLUMNS if c not in ("text", "parent_text")]
    return pq.read_table(run.posts, columns=names).to_pydict()


def load_annotations(run: PolarizationDir) -> dict[str, list[Any]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from affectlens.polarization.annotation import annotation_schema

    parts = sorted(run.parts.glob("part-*.parquet"))
    if not parts:
        return annotation_schema().empty_table().to_pydict()
    columns = [c for c in annotation_schema().names if c not in ("evidence",)]
    return pa.concat_tables([pq.read_table(p, columns=columns) for p in parts]).to_pydict()


def score_run(run: PolarizationDir, rules: RuleSet, *, write: bool = True) -> Scores:
    """Score the run's annotated posts under ``rules`` (and write ``scores/RULES/``)."""
    scores = score_posts(load_posts(run), load_annotations(run), rules)
    if write:
        _write_scores(run.scores(rules.id), scores)
    return scores


def _write_scores(folder: Path, scores: Scores) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    for name, rows in (("interactions", scores.interactions), ("threads", scores.threads)):
        table = pa.Table.from_pylist([asdict(r) for r in rows]) if rows else pa.table({})
        atomic_write(folder / f"{name}.parquet", lambda f, t=table: pq.write_table(t, f, compression="zstd"))
    atomic_write(folder / "summary.json", lambda f: f.write(json.dumps(scores.summary(), indent=2).encode("utf-8")))
