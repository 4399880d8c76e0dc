"""A fine-tune stopped and resumed ends with the weights of one never stopped (make test-train)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.train, pytest.mark.data]


def _run(tmp_path, data_dir, out, *extra):
    cmd = [sys.executable, "-m", "affectlens.training", "finetune", "--data-dir", str(data_dir), "--out", str(out)]
    cmd += ["--limit", "96", "--epochs", "2", "--batch-size", "16", "--vad-batch-size", "8", "--checkpoint-every", "2"]
    cmd += ["--length-buckets", "2", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900, env={**os.environ, "OMP_NUM_THREADS": "1"})


def test_a_stopped_run_resumes_to_the_same_weights(tmp_path, data_dir):
    from affectlens.training.finetune import load_checkpoint

    whole = _run(tmp_path, data_dir, tmp_path / "whole")
    assert whole.returncode == 0, whole.stderr
    # three sittings: stopped mid-epoch (step 3, one past a checkpoint), then at the epoch's end
    first = _run(tmp_path, data_dir, tmp_path / "parts", "--stop-after", "3")
    assert first.returncode == 0, first.stderr
    assert "continue with --resume" in first.stdout and (tmp_path / "parts" / "resume.pt").exists()
    second = _run(tmp_path, data_dir, tmp_path / "parts", "--resume", "--stop-after", "6")
    assert second.returncode == 0 and "resumed from" in second.stdout, second.stderr
    third = _run(tmp_path, data_dir, tmp_path / "parts", "--resume")
    assert third.returncode == 0, third.stderr
    assert not (tmp_path / "parts" / "resume.pt").exists()  # finished: nothing left to resume
    a, b = load_checkpoint(tmp_path / "whole"), load_checkpoint(tmp_path / "parts")
    assert a.keys() == b.keys()
    assert all((a[k] == b[k]).all() for k in a), [k for k in a if not (a[k] == b[k]).all()][:5]


def test_resume_refuses_another_configuration_and_a_missing_checkpoint(tmp_path, data_dir):
    out = tmp_path / "run"
    assert _run(tmp_path, data_dir, out, "--stop-after", "2").returncode == 0
    other = _run(tmp_path, data_dir, out, "--resume", "--lr", "1e-4")
    assert other.returncode == 2 and "another configuration (differs in lr)" in other.stderr
    none = _run(tmp_path, data_dir, tmp_path / "empty", "--resume")
    assert none.returncode == 2 and "no checkpoint to resume from" in none.stderr


def test_a_damaged_checkpoint_is_one_line(tmp_path, data_dir):
    out = tmp_path / "run"
    out.mkdir()
    (out / "resume.pt").write_bytes(b"truncated")
    damaged = _run(tmp_path, data_dir, out, "--resume")
    assert damaged.returncode == 2 and "cannot be read" in damaged.stderr and "delete it" in damaged.stderr
    assert "Traceback" not in damaged.stderr
