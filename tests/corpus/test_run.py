"""`corpus analyze`: every input row once, resumable at any moment, refusing what would mix runs."""

from __future__ import annotations

import datetime as dt
import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("pyarrow")
import pyarrow.dataset as ds

from affectlens.analyzers.fake import FakeAnalyzer
from affectlens.corpus import analyze
from affectlens.errors import ConfigError, InputError
from affectlens.runs.manifest import RunFolder
from affectlens.runs.rows import parse_time

WORDS = ["so happy", "I hate this", "wow", "thanks", "so sad", "I am scared"]


def make_corpus(path: Path, n: int, *, seed: int = 0, broken_every: int = 97) -> dict[str, int]:
    """JSONL posts with a time, a forum, repeated texts and broken rows; returns what to expect."""
    rng = random.Random(seed)
    lines, texts = [], []
    for i in range(n):
        if i % broken_every == 5:
            lines.append("{broken")
            continue
        text = rng.choice(WORDS) + ("" if i % 4 == 0 else f" number {i}")  # a quarter are repeats
        texts.append(text)
        day = dt.date(2024, 1, 1) + dt.timedelta(days=i % 60)
        lines.append(json.dumps({"id": f"p{i}", "text": text, "created": day.isoformat(), "forum": "ab"[i % 2]}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"good": len(texts), "bad": n - len(texts), "distinct": len(set(texts))}


def rows(run_dir: Path) -> list[dict]:
    table = ds.dataset(run_dir / "parts").to_table().sort_by([("source", "ascending"), ("line", "ascending")])
    return table.to_pylist()


def run(src, out, **kw):
    kw.setdefault("backend", "fake")
    kw.setdefault("time_column", "created")
    kw.setdefault("group_columns", ["forum"])
    kw.setdefault("chunk_rows", 100)
    return analyze(src, out, **kw)


def test_every_row_once_with_counts(tmp_path):
    src = tmp_path / "posts.jsonl"
    expected = make_corpus(src, 1000)
    summary = run(src, tmp_path / "run")
    p = summary.progress
    assert summary.manifest.status == "complete" and p.tasks == p.tasks_done == 10
    assert p.analysed == expected["good"] and p.bad_rows == expected["bad"]
    assert p.reused == expected["good"] - expected["distinct"]  # each distinct text analysed once
    got = rows(tmp_path / "run")
    assert [r["id"] for r in got] == [f"p{i}" for i in range(1000) if i % 97 != 5]
    assert got[0]["time"] == dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc) and got[0]["forum"] == "a"
    assert all(r["labels"] is not None and "score_joy" in r for r in got)
    bad = RunFolder(tmp_path / "run").bad_rows()
    assert [b["line"] for b in bad] == [i + 1 for i in range(1000) if i % 97 == 5]
    assert all(b["reason"].startswith("is not valid JSON") for b in bad)


def test_identical_texts_get_identical_rows(tmp_path):
    src = tmp_path / "posts.jsonl"
    make_corpus(src, 400)
    first = {}
    for r in rows(run(src, tmp_path / "run").folder):
        fields = {k: v for k, v in r.items() if k not in ("id", "line", "time", "forum")}
        assert first.setdefault(r["text"], fields) == fields


def test_a_folder_of_mixed_files(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.csv").write_text("text,created,forum\nso happy,2024-01-01,x\n\"so, sad\",2024-01-02,y\n")
    (folder / "b.jsonl").write_text('{"text": "wow", "created": "2024-01-03", "forum": "x"}\n')
    (folder / "notes.md").write_text("ignored: not a corpus format")
    summary = run(folder, tmp_path / "run")
    assert [Path(s.path).name for s in summary.manifest.inputs] == ["a.csv", "b.jsonl"]
    assert [(r["source"], r["text"]) for r in rows(tmp_path / "run")] == [(0, "so happy"), (0, "so, sad"), (1, "wow")]
    glob = run(str(folder / "*.csv"), tmp_path / "run2")
    assert glob.progress.analysed == 2


@pytest.fixture()
def crash_at(monkeypatch):
    def arm(n):
        calls = {"n": 0}
        original = FakeAnalyzer._analyze_texts

        def flaky(self, *args, **kwargs):
            calls["n"] += 1
            if calls["n"] == n:
                raise KeyboardInterrupt
            return original(self, *args, **kwargs)

        monkeypatch.setattr(FakeAnalyzer, "_analyze_texts", flaky)
        return monkeypatch.undo

    return arm


def test_interrupted_runs_continue_to_the_same_rows(tmp_path, crash_at):
    src = tmp_path / "posts.jsonl"
    make_corpus(src, 1000)
    run(src, tmp_path / "ref")
    for n in (4, 3):
        disarm = crash_at(n)
        with pytest.raises(KeyboardInterrupt):
            run(src, tmp_path / "run")
        disarm()
        assert RunFolder(tmp_path / "run").load_manifest().status == "stopped"
    summary = run(src, tmp_path / "run")
    assert summary.resumed and summary.tasks_run == 10 - 5  # 3 + 2 tasks were done before
    assert rows(tmp_path / "run") == rows(tmp_path / "ref")
    after, before = summary.manifest.progress, RunFolder(tmp_path / "ref").load_manifest().progress
    # counters rebuilt from the parts; fewer reuses, since the interruptions emptied the cache
    assert after.model_dump(exclude={"reused"}) == before.model_dump(exclude={"reused"}) and after.reused <= before.reused


def test_what_would_mix_two_runs_is_refused(tmp_path):
    src = tmp_path / "posts.jsonl"
    make_corpus(src, 200)
    run(src, tmp_path / "run")
    with pytest.raises(InputError, match=r"settings differ.*taxonomy"):
        run(src, tmp_path / "run", taxonomy="ekman")
    with pytest.raises(InputError, match=r"settings differ.*groups"):
        run(src, tmp_path / "run", group_columns=[])
    with src.open("a") as f:
        f.write('{"text": "one more"}\n')
    with pytest.raises(InputError, match="input differs"):
        run(src, tmp_path / "run")
    restarted = run(src, tmp_path / "run", restart=True, taxonomy="ekman")
    assert restarted.progress.analysed == 200 - 3 + 1 and not restarted.resumed
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "keep.txt").write_text("not a run")
    with pytest.raises(InputError, match="not a run folder"):
        run(src, tmp_path / "other")
    with pytest.raises(ConfigError, match="clash"):
        run(src, tmp_path / "run3", group_columns=["labels"])


def test_a_missing_column_is_named(cli, tmp_path):
    src = tmp_path / "posts.csv"
    src.write_text("text,when\nso happy,2024-01-01\n")
    r = cli("corpus", "analyze", str(src), "-o", str(tmp_path / "run"), "--time-column", "created", "--backend", "fake")
    assert r.code == 2 and "no column 'created'" in r.err and "--time-column" in r.err


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-01T12:30:00Z", dt.datetime(2024, 3, 1, 12, 30, tzinfo=dt.timezone.utc)),
        ("2024-03-01", dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)),
        ("2024-03-01T12:30:00+02:00", dt.datetime(2024, 3, 1, 10, 30, tzinfo=dt.timezone.utc)),
        (1709296200, dt.datetime(2024, 3, 1, 12, 30, tzinfo=dt.timezone.utc)),
        (1709296200000, dt.datetime(2024, 3, 1, 12, 30, tzinfo=dt.timezone.utc)),  # milliseconds
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_times(value, expected):
    assert parse_time(value) == expected


SLOWFAKE = Path(__file__).parents[1] / "cli" / "slowfake.py"


def test_kill_9_at_random_points_then_the_same_command(tmp_path):
    src = tmp_path / "posts.jsonl"
    make_corpus(src, 6000)
    command = [sys.executable, str(SLOWFAKE), "corpus", "analyze", str(src), "--backend", "slowfake", "--time-column", "created"]
    command += ["--group-column", "forum", "--chunk-rows", "300", "-q"]
    subprocess.run([*command, "-o", str(tmp_path / "ref")], check=True)
    rng = random.Random(3)
    for target in sorted(rng.sample(range(1, 18), 3)):
        process = subprocess.Popen([*command, "-o", str(tmp_path / "run")])
        while process.poll() is None and len(RunFolder(tmp_path / "run").done()) < target:
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 0.05))
        process.kill()
        process.wait()
        assert process.returncode == -signal.SIGKILL, "the run ended before it was killed"
    subprocess.run([*command, "-o", str(tmp_path / "run")], check=True)
    assert rows(tmp_path / "run") == rows(tmp_path / "ref")
