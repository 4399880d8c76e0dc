"""The one run: every door gives the same rows; a run folder is one run at a time; its manifest
says how it ended; settings are validated by the backend's own model."""

from __future__ import annotations

import json

import pytest

from affectlens.benchmark import benchmark_texts
from affectlens.runs import RunFolder

pytest.importorskip("pyarrow")

def write_jsonl(path, n):
    texts = benchmark_texts()
    rows = [{"id": f"r{k}", "text": f"{texts[k % len(texts)]} (number {k % 37})"} for k in range(n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def comparable(row):
    """What an analysis says, as both a JSONL row and a run folder's flat row carry it."""
    scores = row["scores"] if "scores" in row else {k[6:]: v for k, v in row.items() if k.startswith("score_")}
    vad = row["vad"] if "vad" in row else {k: row[k] for k in ("valence", "arousal", "dominance")}
    return (
        row["id"],
        sorted(row["labels"]),
        row["dominant"],
        row["sentiment"],
        round(row["confidence"], 4),
        tuple(round(vad[k], 4) for k in ("valence", "arousal", "dominance")),
        tuple(sorted((k, round(v, 4)) for k, v in scores.items())),
    )


def test_analyze_and_corpus_runs_on_any_worker_count_give_the_same_rows(cli, tmp_path):
    from affectlens.runs import rows_of

    src = write_jsonl(tmp_path / "in.jsonl", 300)
    out = tmp_path / "out.jsonl"
    assert cli("analyze", "-i", str(src), "-o", str(out), "--batch-size", "64", "-q").code == 0
    single = [comparable(json.loads(line)) for line in out.read_text().splitlines()]
    for workers in ("1", "2"):
        run = tmp_path / f"run{workers}"
        r = cli("corpus", "analyze", str(src), "-o", str(run), "--chunk-rows", "50", "--workers", workers)
        assert r.code == 0, r.err
        assert ("2 worker processes" in r.err) == (workers == "2")
        assert [comparable(row) for row in rows_of(run).to_pylist()] == single
    two = tmp_path / "two.jsonl"
    assert cli("analyze", "-i", str(src), "-o", str(two), "--batch-size", "50", "--workers", "2", "-q").code == 0
    assert [comparable(json.loads(line)) for line in two.read_text().splitlines()] == single


def test_a_second_run_into_a_folder_that_is_being_written_is_refused(cli, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", 10)
    run = tmp_path / "run"
    with RunFolder(run).locked():  # another run holds it
        r = cli("corpus", "analyze", str(src), "-o", str(run), "--backend", "fake")
        assert r.code == 2 and "another affectlens run" in r.err and "is writing into" in r.err
        out = tmp_path / "out.jsonl"
        with RunFolder(tmp_path / ".out.jsonl.affectlens-run").locked():
            r = cli("analyze", "-i", str(src), "-o", str(out), "--backend", "fake")
            assert r.code == 2 and "another affectlens run" in r.err
    assert cli("corpus", "analyze", str(src), "-o", str(run), "--backend", "fake", "-q").code == 0  # free again


def test_a_failed_run_records_a_typed_error_and_a_resumed_one_clears_it(cli, tmp_path, monkeypatch):
    from affectlens.analyzers.fake import FakeAnalyzer

    src = write_jsonl(tmp_path / "in.jsonl", 40)
    run = tmp_path / "run"
    original = FakeAnalyzer._analyze_texts
    calls = {"n": 0}

    def failing(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            from affectlens.errors import BackendError

            raise BackendError("the model went away", hint="try again")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(FakeAnalyzer, "_analyze_texts", failing)
    r = cli("corpus", "analyze", str(src), "-o", str(run), "--backend", "fake", "--chunk-rows", "10")
    assert r.code == 1 and "the model went away" in r.err and "kept" in r.err
    manifest = RunFolder(run).load_manifest()
    assert manifest.status == "failed" and manifest.error is not None
    assert (manifest.error.type, manifest.error.message, manifest.error.hint) == (
        "backend_error",
        "the model went away",
        "try again",
    )
    assert manifest.progress.tasks_done == 1 and manifest.incomplete_note() is not None
    monkeypatch.setattr(FakeAnalyzer, "_analyze_texts", original)
    assert cli("corpus", "analyze", str(src), "-o", str(run), "--backend", "fake", "--chunk-rows", "10", "-q").code == 0
    manifest = RunFolder(run).load_manifest()
    assert manifest.status == "complete" and manifest.error is None and manifest.progress.rows_done == 40


def test_backend_settings_are_validated_by_the_backends_own_model(cli, tmp_path):
    unknown = cli("analyze", "hello", "-O", "colour=red")
    assert unknown.code == 2 and "unknown setting 'colour'" in unknown.err and "threads" in unknown.err
    bad = cli("analyze", "hello", "-O", "threads=none")
    assert bad.code == 2 and "threads" in bad.err and "integer" in bad.err
    malformed = cli("analyze", "hello", "-O", "threads")
    assert malformed.code == 2 and "KEY=VALUE" in malformed.err
    listed = cli("backends", "openai")
    assert listed.code == 0 and "base_url" in listed.out and "api_key" in listed.out
    (tmp_path / "b.toml").write_text("[backends.embedded]\nthreads = 1\nbatch_size = 8\n")
    ok = cli("analyze", "I am so happy", "--backend-config", str(tmp_path / "b.toml"), "-f", "json")
    assert ok.code == 0, ok.err
    assert json.loads(ok.out)[0]["dominant"] == "joy"


def test_a_secret_never_reaches_the_manifest(tmp_path):
    from affectlens.runs import InputSpec, Named, RunSpec, SinkSpec

    spec = RunSpec(
        input=InputSpec(path="in.jsonl"),
        backend=Named(name="openai", settings={"api_key": "sk-very-secret", "model": "m"}),
        sink=SinkSpec(kind="folder", path=str(tmp_path / "run")),
    )
    assert "sk-very-secret" not in json.dumps(spec.public()) and "sk-very-secret" not in json.dumps(spec.identity_settings())
    assert spec.public()["backend"]["settings"]["model"] == "m"


def test_a_refused_run_leaves_nothing_and_restart_keeps_other_files(cli, tmp_path):
    csv = tmp_path / "in.csv"
    csv.write_text("id,body\n1,hello\n")
    run = tmp_path / "run"
    refused = cli("corpus", "analyze", str(csv), "-o", str(run), "--text-column", "body", "--time-column", "created")
    assert refused.code == 2 and "no column 'created'" in refused.err
    assert not run.exists()  # no half-made run folder to trip over next time
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("my notes")
    foreign = cli("corpus", "analyze", str(csv), "-o", str(mine), "--text-column", "body", "--backend", "fake")
    assert foreign.code == 2 and "is not a run folder" in foreign.err
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]  # not even a lock file
    assert cli("corpus", "analyze", str(csv), "-o", str(run), "--text-column", "body", "--backend", "fake", "-q").code == 0
    (run / "report.html").write_text("a report kept beside the run")
    again = cli("corpus", "analyze", str(csv), "-o", str(run), "--text-column", "body", "--backend", "fake", "--restart", "-q")
    assert again.code == 0 and (run / "report.html").exists()
    out = tmp_path / "out.jsonl"
    assert cli("analyze", "-i", str(csv), "--text-column", "body", "--backend", "fake", "-o", str(out), "-q").code == 0
    twice = cli("analyze", "-i", str(csv), "--text-column", "body", "--backend", "fake", "-o", str(out), "--resume")
    assert twice.code == 2 and "no interrupted run is recorded" in twice.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "mine", "out.jsonl", "run"]  # no hidden run folder left
