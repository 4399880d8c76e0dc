"""``affectlens polarization analyze``: reply threads → a run folder of scored interactions.

::

    RUN_DIR/
      polarization.json      the run: inputs, settings, problems, stance model, status, scores
      problems.jsonl         every row left out or flagged, with file, line, id and why
      posts.parquet          the posts that take part, in thread order, each with its parent's text
      annotations/           a corpus run (P6) over posts.parquet: one annotation per post
      scores/RULES/          interactions.parquet, threads.parquet, summary.json under rule set RULES

1. **Threads** (:mod:`affectlens.polarization.threads`): every input row is read, posts are
   linked, problems are written; the offline stance classifier is trained on its examples.
   Written once, atomically: a resumed run reuses it.
2. **Annotation**: the P6 engine (local or Ray) annotates the posts, task by task; killing
   the run at any moment and running the same command again annotates every post once.
3. **Scoring** (:mod:`affectlens.polarization.score`): fast, redone at the end of every run
   and by ``polarization aggregate --rules`` for another rule set.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from affectlens.corpus.manifest import RunManifest
from affectlens.corpus.sources import Source, resolve_sources
from affectlens.corpus.worker import TaskResult
from affectlens.errors import InputError
from affectlens.io.files import atomic_write
from affectlens.io.text import DEFAULT_MAX_CHARS
from affectlens.polarization.rules import DEFAULT_RULES, RuleSet, load_rules
from affectlens.polarization.score import Scores, score_posts
from affectlens.polarization.stance import DEFAULT_MIN_CONFIDENCE, StanceModel, read_examples, topic_examples, train_stance
from affectlens.polarization.threads import POST_COLUMNS, ThreadColumns, Threads, read_threads
from affectlens.polarization.topics import Topic, load_topic

__all__ = ["FORMAT", "PolarizationDir", "PolarizationManifest", "RunResult", "analyze", "score_run"]

FORMAT = "affectlens-polarization@1"
OFFLINE_CHUNK, LLM_CHUNK = 2000, 100
_ROW_GROUP = 100
Mode = Literal["offline", "llm"]


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class PolarizationManifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: str = FORMAT
    status: Literal["reading", "annotating", "complete", "stopped"] = "reading"
    command: str | None = None
    created: str = Field(default_factory=_now)
    updated: str | None = None
    inputs: list[Source]
    settings: dict[str, Any] = Field(description="everything that changes the results")
    rows: int = 0
    posts: int = 0
    threads: int = 0
    problems: dict[str, int] = Field(default_factory=dict)
    stance_models: dict[str, str] = Field(default_factory=dict, description="per topic: the classifier and its CV accuracy")
    scores: dict[str, Any] = Field(default_factory=dict, description="summary under the run's rule set")


class PolarizationDir:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.manifest_path = self.path / "polarization.json"
        self.problems = self.path / "problems.jsonl"
        self.posts = self.path / "posts.parquet"
        self.stance_models = self.path / "stance-models.json"
        self.annotations = self.path / "annotations"

    def scores(self, rules: str) -> Path:
        return self.path / "scores" / rules

    def exists(self) -> bool:
        return self.manifest_path.exists()

    def load(self) -> PolarizationManifest:
        try:
            return PolarizationManifest.model_validate_json(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise InputError(
                f"{str(self.path)!r} is not a polarization run folder (no polarization.json)",
                hint="run `affectlens polarization analyze INPUT -o RUN_DIR` first",
            ) from exc
        except (OSError, ValueError) as exc:
            raise InputError(f"the manifest of {str(self.path)!r} cannot be read: {exc}") from exc

    def save(self, manifest: PolarizationManifest) -> None:
        manifest.updated = _now()
        atomic_write(self.manifest_path, lambda f: f.write(manifest.model_dump_json(indent=2).encode("utf-8")))


@dataclass
class RunResult:
    run_dir: Path
    manifest: PolarizationManifest
    annotation: RunManifest
    scores: Scores
    seconds: float
    resumed: bool


def analyze(
    input: str | Path,
    run_dir: str | Path,
    *,
    topics: Sequence[str] = ("climate",),
    columns: ThreadColumns = ThreadColumns(),
    input_format: str | None = None,
    mode: Mode = "offline",
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
    on_start: Callable[[RunManifest, int], None] | None = None,
    on_task: Callable[[TaskResult], None] | None = None,
    log: Callable[[str], None] = lambda line: None,
) -> RunResult:
    """Analyse the reply threads of ``input`` into ``run_dir`` (see the module docstring).

    ``topics``: names or files; the first is the topic of rows without a topic column value.
    ``mode="offline"`` uses the embedded model (stance from ``columns.stance`` when given,
    else a classifier trained on ``stance_examples`` or the topic's examples); ``"llm"`` the
    ``openai`` backend with ``backend_settings``. ``rules``: the rule set scored at the end.
    """
    from affectlens.corpus.run import analyze as run_corpus

    started = time.perf_counter()
    loaded = [load_topic(t) for t in topics]
    topic_of = {t.name: t for t in loaded}
    if len(topic_of) != len(loaded):
        raise InputError("two topics have the same name", hint="give each topic once")
    rule_set = load_rules(rules)
    run = PolarizationDir(run_dir)
    sources = resolve_sources(input, input_format=input_format)
    settings = {
        "topics": {t.name: t.model_dump(mode="json") for t in loaded},
        "columns": asdict(columns),
        "mode": mode,
        "stance": "column" if columns.stance else (stance_examples or "topic examples") if mode == "offline" else "llm",
        "min_stance_confidence": min_stance_confidence,
        "evidence": evidence,
        "max_chars": max_chars,
    }
    resumed = False
    if run.exists() and restart:
        _clear(run)
    if run.exists():
        manifest = run.load()
        _check_same(run, manifest, sources, settings)
        resumed = True
    else:
        if run.path.exists() and (not run.path.is_dir() or any(run.path.iterdir())):
            raise InputError(
                f"{str(run.path)!r} exists and is not a polarization run folder",
                hint="give a new or empty folder with -o, or the folder of an earlier run to continue it",
            )
        run.path.mkdir(parents=True, exist_ok=True)
        manifest = PolarizationManifest(command=command, inputs=sources, settings=settings)
        run.save(manifest)
    if not run.posts.exists():
        threads = read_threads(sources, columns, max_chars=max_chars, topics=list(topic_of), default_topic=loaded[0].name)
        log(f"read {threads.rows:,} rows: {len(threads.posts):,} posts in {len(set(threads.thread)):,} threads")
        if not threads.posts:
            raise InputError(
                f"no post of {str(input)!r} can be placed in a thread",
                hint=f"each row needs an id ({columns.id!r}), a parent id column ({columns.parent!r}) and a text",
            )
        models = {}
        if mode == "offline" and not columns.stance:
            models = _train_stance_models(loaded, stance_examples, min_stance_confidence, log)
            atomic_write(
                run.stance_models, lambda f: f.write(json.dumps({k: m.to_dict() for k, m in models.items()}).encode("utf-8"))
            )
        _write_problems(run, threads)
        _write_posts(run, threads)  # last: its presence means this step is done
        manifest.rows, manifest.posts, manifest.threads = threads.rows, len(threads.posts), len(set(threads.thread))
        manifest.problems = threads.counts()
        manifest.stance_models = {k: m.describe() for k, m in models.items()}
    models_raw = json.loads(run.stance_models.read_text(encoding="utf-8")) if run.stance_models.exists() else {}
    manifest.status = "annotating"
    run.save(manifest)
    work_settings = {"mode": mode, "topics": settings["topics"], "stance_models": models_raw, "evidence": evidence}
    try:
        annotation = run_corpus(
            run.posts,
            run.annotations,
            text_column="text",
            id_column="post",
            backend="openai" if mode == "llm" else "embedded",
            backend_settings=backend_settings or {},
            max_chars=max_chars,
            engine=engine,
            engine_settings=engine_settings,
            chunk_rows=chunk_rows or (LLM_CHUNK if mode == "llm" else OFFLINE_CHUNK),
            work="polarization",
            work_settings=work_settings,
            command=command,
            on_start=on_start,
            on_task=on_task,
        )
    except BaseException:
        manifest.status = "stopped"
        run.save(manifest)
        raise
    scores = score_run(run, rule_set)
    manifest.status = "complete"
    manifest.scores = scores.summary()
    run.save(manifest)
    return RunResult(run.path, manifest, annotation.manifest, scores, time.perf_counter() - started, resumed)


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

    parts = sorted((run.annotations / "parts").glob("part-*.parquet"))
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


def _clear(run: PolarizationDir) -> None:
    import shutil

    for folder in (run.annotations, run.path / "scores"):
        shutil.rmtree(folder, ignore_errors=True)
    for file in (run.manifest_path, run.problems, run.posts, run.stance_models):
        file.unlink(missing_ok=True)


def _check_same(run: PolarizationDir, manifest: PolarizationManifest, sources: list[Source], settings: dict[str, Any]) -> None:
    then = [(s.path, s.bytes, s.ends_sha256) for s in manifest.inputs]
    now = [(s.path, s.bytes, s.ends_sha256) for s in sources]
    if then != now:
        raise InputError(
            f"the input differs from the one {str(run.path)!r} was started on",
            hint="continue with the same input, or pass --restart to start the run afresh",
        )
    changed = sorted(k for k in set(manifest.settings) | set(settings) if manifest.settings.get(k) != settings.get(k))
    if changed:
        raise InputError(
            f"the settings differ from the ones {str(run.path)!r} was started with: {', '.join(changed)}",
            hint="continue with the same options, or pass --restart to start the run afresh",
        )
