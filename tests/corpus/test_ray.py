"""The Ray engine: the same rows as the local engine, on a local Ray and on a multi-node cluster
simulated on this machine with a worker node killed mid-run. Run with `make test-ray`."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.ray

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
import ray_cluster  # noqa: E402

from affectlens.corpus import analyze  # noqa: E402
from tests.corpus.test_run import make_corpus, rows  # noqa: E402


@pytest.fixture(autouse=True)
def _ray():
    pytest.importorskip("ray", reason="needs ray: run `make test-ray`")  # here, so other runs deselect without a skip


def test_a_local_ray_gives_the_local_engines_rows(tmp_path):
    src = tmp_path / "posts.jsonl"
    make_corpus(src, 1500)
    options = {"time_column": "created", "group_columns": ["forum"], "chunk_rows": 300}
    analyze(src, tmp_path / "local", **options)
    summary = analyze(src, tmp_path / "ray", engine="ray", **options)
    assert summary.manifest.engine == "ray" and summary.manifest.status == "complete"
    assert rows(tmp_path / "ray") == rows(tmp_path / "local")


def test_a_cluster_that_loses_a_worker_node_still_finishes_every_row_once(tmp_path):
    src = tmp_path / "posts.jsonl"
    make_corpus(src, 3000)
    result = ray_cluster.run_demo(src, tmp_path, workers=2, kill_after=2, chunk_rows=150, port=6397)
    assert result["killed_raylet"] is not None, "the run ended before a worker node could be killed"
    assert result["exit_code"] == 0, result["stderr_tail"]
    assert result["identical_to_local"] and result["ids_once"]


def test_polarization_on_ray_gives_the_local_annotations(tmp_path):
    from affectlens.polarization import analyze as analyze_threads
    from affectlens.polarization.work import PolarizationDir, load_annotations
    from tests.polarization.test_offline import _threads

    src = tmp_path / "threads.jsonl"
    _threads(src, n_threads=9)
    local = analyze_threads(src, tmp_path / "local", chunk_rows=6)
    on_ray = analyze_threads(src, tmp_path / "ray", chunk_rows=6, engine="ray")
    assert on_ray.manifest.engine == "ray" and on_ray.manifest.status == "complete"
    assert load_annotations(PolarizationDir(tmp_path / "ray")) == load_annotations(PolarizationDir(tmp_path / "local"))
    assert [(i.id, i.score) for i in on_ray.scores.interactions] == [(i.id, i.score) for i in local.scores.interactions]


def test_images_on_ray_give_the_local_rows(tmp_path):
    pytest.importorskip("cv2", reason="faces need affectlens[faces]")
    from affectlens.runs.execute import rows_of
    from affectlens.runs.manifest import RunFolder
    from tests.media.test_image_runs import make_battery

    good, bad = make_battery(tmp_path / "photos")
    local = analyze(tmp_path / "photos", tmp_path / "local", group_columns=["folder"], chunk_rows=3)
    on_ray = analyze(tmp_path / "photos", tmp_path / "ray", group_columns=["folder"], chunk_rows=3, engine="ray")
    assert on_ray.manifest.engine == "ray" and on_ray.manifest.status == "complete"
    assert rows_of(tmp_path / "ray").to_pylist() == rows_of(tmp_path / "local").to_pylist()
    assert {r["id"] for r in rows_of(tmp_path / "ray").to_pylist()} == good
    assert len(RunFolder(tmp_path / "ray").bad_rows()) == len(bad) == local.manifest.progress.bad_rows
