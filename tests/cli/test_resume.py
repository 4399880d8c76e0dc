"""Outputs survive: nothing overwrites its input, an interrupted run resumes to exactly the rows
of an uninterrupted one, and a run that fails before its first commit leaves no file."""

from __future__ import annotations

import csv
import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from affectlens.analyzers.fake import FakeAnalyzer
from affectlens.io.writers import partial_file, parts_folder


def run_folder(out: Path) -> Path:
    """Where an interrupted run of the file ``out`` keeps its manifest and plan."""
    return out.with_name(f".{out.name}.affectlens-run")

FORMATS = ["jsonl", "csv", "json", "parquet"]


def make_input(path, n=700):
    """Rows with ids, some without, some bad (so positions and ids both matter)."""
    lines = []
    for i in range(n):
        if i % 97 == 13:
            lines.append("{broken json")
        elif i % 50 == 7:
            lines.append(json.dumps({"text": f"no id here, number {i}, so happy"}))
        else:
            word = random.Random(i).choice(["sad", "glad", "wow"])
            lines.append(json.dumps({"id": f"r{i % 400}", "text": f"text {i}: {word}"}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def rows(path, fmt):
    if fmt == "jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    if fmt == "json":
        return json.loads(path.read_text(encoding="utf-8"))
    if fmt == "csv":
        return list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


@pytest.fixture()
def crash_at(monkeypatch):
    """Make the fake backend raise KeyboardInterrupt on its ``n``-th batch."""

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


@pytest.mark.parametrize("fmt", FORMATS)
def test_interrupted_then_resumed_equals_uninterrupted(cli, tmp_path, crash_at, fmt):
    pytest.importorskip("pyarrow")
    src = tmp_path / "in.jsonl"
    make_input(src)
    base = ("analyze", "-i", str(src), "--backend", "fake", "--batch-size", "64", "-q")
    assert cli(*base, "-o", str(tmp_path / f"ref.{fmt}")).code == 0
    out = tmp_path / f"out.{fmt}"
    for crash in (4, 2):  # interrupted twice, then finished
        disarm = crash_at(crash)
        r = cli(*base, "-o", str(out), "--resume")
        disarm()
        assert r.code == 130 and "--resume to continue" in r.err
        assert (run_folder(out) / "manifest.json").exists()
        assert not out.exists()  # the output appears when it is complete
    r = cli(*base[:-1], "-o", str(out), "--resume")
    assert r.code == 0, r.err
    assert "resuming" in r.err and "before the interruption" in r.err
    assert rows(out, fmt) == rows(tmp_path / f"ref.{fmt}", fmt)
    assert not run_folder(out).exists() and not parts_folder(out).exists() and not partial_file(out).exists()


def test_resume_is_refused_when_the_input_or_the_options_changed(cli, tmp_path, crash_at):
    src = tmp_path / "in.jsonl"
    make_input(src)
    out = tmp_path / "out.jsonl"
    base = ("analyze", "-i", str(src), "--backend", "fake", "--batch-size", "64", "-o", str(out))
    disarm = crash_at(3)
    assert cli(*base).code == 130
    disarm()
    other = cli(*base, "--resume", "--taxonomy", "ekman")
    assert other.code == 2 and "settings differ" in other.err and '"goemotions"' in other.err
    with src.open("a") as f:
        f.write('{"text": "one more"}\n')
    changed = cli(*base, "--resume")
    assert changed.code == 2 and "the input differs" in changed.err and "in.jsonl" in changed.err


def test_resume_without_an_interrupted_run(cli, tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("so happy\nso sad\n")
    out = tmp_path / "out.jsonl"
    first = cli("analyze", "-i", str(src), "--backend", "fake", "-o", str(out), "--resume")
    assert first.code == 0 and len(out.read_text().splitlines()) == 2  # nothing to resume: a plain run
    again = cli("analyze", "-i", str(src), "--backend", "fake", "-o", str(out), "--resume")
    assert again.code == 2 and "no interrupted run is recorded" in again.err
    stdin = cli("analyze", "-i", "-", "-o", str(out), "--resume", stdin=b"x\n")
    assert stdin.code == 2 and "standard input cannot be checked" in stdin.err


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "txt"])
def test_the_output_is_never_the_input(cli, tmp_path, fmt):
    src = tmp_path / f"in.{fmt}"
    src.write_text({"jsonl": '{"text": "hi"}\n', "csv": "text\nhi\n", "txt": "hi\n"}[fmt])
    before = src.read_bytes()
    link = tmp_path / "link"
    link.symlink_to(src)
    for target in (str(src), str(link)):
        r = cli("analyze", "-i", str(src), "--backend", "fake", "-o", target, "-f", "jsonl")
        assert r.code == 2 and "is the input file" in r.err
    assert src.read_bytes() == before


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_run_that_fails_before_any_commit_leaves_the_old_file_and_nothing_else(cli, tmp_path, crash_at, fmt):
    pytest.importorskip("pyarrow")
    src = tmp_path / "in.txt"
    src.write_text("so happy\n" * 10)
    out = tmp_path / f"out.{fmt}"
    out.write_bytes(b"an earlier run's results")
    disarm = crash_at(1)
    assert cli("analyze", "-i", str(src), "--backend", "fake", "-o", str(out)).code == 130
    disarm()
    assert out.read_bytes() == b"an earlier run's results"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt", f"out.{fmt}"]


SLOWFAKE = Path(__file__).with_name("slowfake.py")


def _command(args):
    return [sys.executable, str(SLOWFAKE), *args]


def _spawn(args):
    return subprocess.Popen(_command(args), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_for_position(out, position, process):
    """Until the run's manifest has passed input record ``position`` (or the run ended), polling."""
    while process.poll() is None:
        try:
            if json.loads((run_folder(out) / "manifest.json").read_text())["progress"]["rows_done"] >= position:
                return
        except (FileNotFoundError, json.JSONDecodeError, KeyError):
            pass
        time.sleep(0.005)


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_kill_9_at_random_points_then_resume(tmp_path, fmt):
    """A real process killed with SIGKILL (nothing runs on the way out) three times, then resumed."""
    pytest.importorskip("pyarrow")
    src = tmp_path / "in.jsonl"
    make_input(src, n=8_000)
    base = ["analyze", "-i", str(src), "--backend", "slowfake", "--batch-size", "400", "-q"]
    subprocess.run(_command([*base, "-o", str(tmp_path / f"ref.{fmt}")]), check=True)
    out = tmp_path / f"out.{fmt}"
    rng = random.Random(7)
    for target in sorted(rng.sample(range(0, 7_200, 400), 3)):
        process = _spawn([*base, "-o", str(out), "--resume"])
        _wait_for_position(out, target, process)
        time.sleep(rng.uniform(0.0, 0.05))  # anywhere within a chunk, not only right after a commit
        process.kill()
        process.wait()
        assert process.returncode == -signal.SIGKILL, "the run ended before it was killed"
    finished = subprocess.run(_command([*base, "-o", str(out), "--resume"]), capture_output=True)
    assert finished.returncode == 0, finished.stderr.decode()
    assert rows(out, fmt) == rows(tmp_path / f"ref.{fmt}", fmt)


def test_sigterm_unwinds_and_the_run_resumes(tmp_path):
    src = tmp_path / "in.jsonl"
    make_input(src, n=12_000)
    out = tmp_path / "out.csv"
    base = ["analyze", "-i", str(src), "--backend", "slowfake", "--batch-size", "400", "-o", str(out)]
    process = _spawn(base)
    _wait_for_position(out, 4000, process)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 143 and b"--resume to continue" in err
    done = subprocess.run(_command([*base, "--resume", "-q"]), capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
    assert len(rows(out, "csv")) == 12_000 - len([i for i in range(12_000) if i % 97 == 13])
