"""Images through the one run: folders and columns of paths, bad files as bad rows, resume, engines, report."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from affectlens.runs.manifest import RunFolder
from tests.media.conftest import ASTRONAUT, encode, no_face_image

pytest.importorskip("cv2", reason="face detection needs affectlens[faces]")
pytest.importorskip("pyarrow", reason="run folders need affectlens[corpus]")
Image = pytest.importorskip("PIL.Image")


def _bomb() -> bytes:
    from tests.media.test_images import _png_header

    return _png_header(40_000, 40_000)


def make_battery(folder: Path) -> tuple[set[str], dict[str, str]]:
    """Good images of every kind, and bad files with the reason each must be reported for."""
    (folder / "party").mkdir(parents=True)
    (folder / "office").mkdir()
    astronaut = Image.open(ASTRONAUT)
    good = {
        "party/photo.jpg": ASTRONAUT.read_bytes(),
        "party/photo.webp": encode(astronaut, "WEBP"),
        "party/grey.png": encode(astronaut.convert("L"), "PNG"),
        "party/alpha.png": encode(astronaut.convert("RGBA"), "PNG"),
        "office/photo.bmp": encode(astronaut.convert("RGB"), "BMP"),
        "office/animated.gif": encode(
            astronaut.convert("P"), "GIF", save_all=True, append_images=[no_face_image(256).convert("P")]
        ),
        "office/nobody.png": encode(no_face_image(), "PNG"),
    }
    bad = {
        "office/empty.jpg": (b"", "empty"),
        "office/notes.png": (b"these are notes, not a picture\n", "not an image"),
        "office/cut.jpg": (ASTRONAUT.read_bytes()[:2000], "truncated|readable"),
        "office/bomb.png": (_bomb(), "before decoding"),
    }
    for name, data in good.items():
        (folder / name).write_bytes(data)
    for name, (data, _) in bad.items():
        (folder / name).write_bytes(data)
    return set(good), {name: why for name, (_, why) in bad.items()}


def test_a_folder_of_good_and_bad_images(cli, tmp_path):
    good, bad = make_battery(tmp_path / "photos")
    r = cli("corpus", "analyze", str(tmp_path / "photos"), "-o", str(tmp_path / "run"), "--group-column", "folder")
    assert r.code == 0, r.err
    assert "Traceback" not in r.err
    from affectlens.runs.execute import rows_of

    table = rows_of(tmp_path / "run").to_pylist()
    assert {row["id"] for row in table} == good
    by_id = {row["id"]: row for row in table}
    assert by_id["party/photo.jpg"]["dominant"] == "joy" and by_id["party/photo.jpg"]["faces"] == 1
    assert by_id["party/photo.jpg"]["folder"] == "party" and by_id["office/photo.bmp"]["folder"] == "office"
    assert by_id["office/nobody.png"]["faces"] == 0 and by_id["office/nobody.png"]["labels"] == []
    media = json.loads(by_id["office/animated.gif"]["media"])
    assert any("first frame" in w for w in media["warnings"]) and len(media["faces"]) == 1
    reported = RunFolder(tmp_path / "run").bad_rows()
    assert len(reported) == len(bad)
    import re

    for name, why in bad.items():
        reason = next(b["reason"] for b in reported if name in b["reason"])
        assert re.search(why, reason), (name, reason)
    manifest = RunFolder(tmp_path / "run").load_manifest()
    assert manifest.progress.counts["faces"] == 6 and manifest.progress.counts["without_answer"] == 1


def test_a_file_that_vanishes_mid_run_is_one_bad_row(tmp_path):
    from affectlens.corpus.run import corpus_spec
    from affectlens.runs.execute import execute, rows_of

    folder = tmp_path / "photos"
    folder.mkdir()
    for n in range(6):
        shutil.copy(ASTRONAUT, folder / f"{n}.jpg")
    spec = corpus_spec(folder, tmp_path / "run", chunk_rows=2)
    execute(spec, on_start=lambda manifest, left: (folder / "3.jpg").unlink())  # listed, then gone
    assert sorted(r["id"] for r in rows_of(tmp_path / "run").to_pylist()) == ["0.jpg", "1.jpg", "2.jpg", "4.jpg", "5.jpg"]
    (reason,) = [b["reason"] for b in RunFolder(tmp_path / "run").bad_rows()]
    assert "3.jpg" in reason and "does not exist" in reason


def test_a_column_of_image_paths_relative_to_the_file(cli, tmp_path):
    (tmp_path / "img").mkdir()
    shutil.copy(ASTRONAUT, tmp_path / "img" / "a.jpg")
    (tmp_path / "img" / "b.png").write_bytes(encode(no_face_image(), "PNG"))
    listing = tmp_path / "list.csv"
    listing.write_text("id,photo,team\n1,img/a.jpg,red\n2,img/b.png,blue\n3,img/missing.jpg,red\n4,,blue\n")
    r = cli("analyze", "-i", str(listing), "--image-column", "photo", "-o", str(tmp_path / "out.jsonl"))
    assert r.code == 0, r.err
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [row["id"] for row in rows] == ["1", "2"]
    assert rows[0]["source"] == "img/a.jpg" and rows[0]["faces"][0]["analysis"]["dominant"] == "joy"
    assert rows[1]["faces"] == [] and rows[1]["warnings"]
    assert "missing.jpg" in r.err and "does not exist" in r.err and "no image path" in r.err
    assert "analysed 2 files" in r.err


def test_analyze_one_photo_prints_its_faces(cli):
    r = cli("analyze", str(ASTRONAUT))
    assert r.code == 0, r.err
    assert "joy" in r.out and "astronaut.jpg" in r.out
    r = cli("analyze", str(ASTRONAUT), "-f", "json", "-t", "plutchik", "--explain")
    (media,) = json.loads(r.out)
    assert media["summary"]["taxonomy"].startswith("plutchik") and media["faces"][0]["analysis"]["labels"] == ["joy"]
    assert any(e["kind"] == "region" for e in media["faces"][0]["analysis"]["evidence"])


def test_csv_output_is_one_flat_row_per_image(cli, tmp_path):
    good, _ = make_battery(tmp_path / "photos")
    r = cli("analyze", "-i", str(tmp_path / "photos"), "-o", str(tmp_path / "out.csv"))
    assert r.code == 0
    import csv

    rows = list(csv.DictReader((tmp_path / "out.csv").open()))
    assert {row["id"] for row in rows} == good and {row["text"] for row in rows} == good
    assert "score_joy" in rows[0]


def test_images_refuse_a_text_backend(cli, tmp_path):
    r = cli("analyze", str(ASTRONAUT), "--backend", "fake")
    assert r.code == 2 and "offline models" in r.err and "--backend openai" in r.err  # the one backend that sees media


def test_workers_and_one_process_give_identical_rows(tmp_path):
    from affectlens.corpus.run import corpus_spec
    from affectlens.runs.execute import execute, rows_of

    folder = tmp_path / "photos"
    make_battery(folder)
    for n in range(20):
        shutil.copy(ASTRONAUT, folder / "party" / f"copy{n}.jpg")
    execute(corpus_spec(folder, tmp_path / "one", chunk_rows=5, engine_settings={"workers": 1}))
    execute(corpus_spec(folder, tmp_path / "two", chunk_rows=5, engine_settings={"workers": 2}))
    assert rows_of(tmp_path / "one").drop(["source"]).to_pylist() == rows_of(tmp_path / "two").drop(["source"]).to_pylist()


def _kill_and_resume(tmp_path: Path, images: int, chunk: int, kills: int) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    small = encode(Image.open(ASTRONAUT).convert("L").resize((64, 64)), "JPEG")
    for n in range(images):
        (folder / f"{n:05d}.jpg").write_bytes(small)
    command = [sys.executable, "-m", "affectlens", "corpus", "analyze", str(folder), "--chunk-rows", str(chunk), "-q"]
    run = tmp_path / "run"
    tasks = -(-images // chunk)
    for k in range(1, kills + 1):
        process = subprocess.Popen([*command, "-o", str(run)])
        deadline = time.monotonic() + 300
        target = k * tasks // (kills + 2)
        while process.poll() is None and len(RunFolder(run).done()) < target and time.monotonic() < deadline:
            time.sleep(0.01)
        process.kill()
        process.wait()
        assert process.returncode == -signal.SIGKILL, "the run ended before it was killed"
    subprocess.run([*command, "-o", str(run)], check=True)
    from affectlens.runs.execute import rows_of

    ids = [row["id"] for row in rows_of(run).select(["id"]).to_pylist()]
    assert sorted(ids) == [f"{n:05d}.jpg" for n in range(images)]  # every image once
    assert RunFolder(run).load_manifest().status == "complete"


def test_a_killed_image_run_resumes_with_every_image_once(tmp_path):
    _kill_and_resume(tmp_path, images=400, chunk=40, kills=2)


@pytest.mark.slow
def test_five_thousand_images_killed_and_resumed(tmp_path):
    _kill_and_resume(tmp_path, images=5000, chunk=250, kills=3)


def test_the_report_shows_face_emotions_per_group(cli, tmp_path):
    pytest.importorskip("plotly", reason="reports need affectlens[corpus]")
    make_battery(tmp_path / "photos")
    assert cli("corpus", "analyze", str(tmp_path / "photos"), "-o", str(tmp_path / "run"), "-g", "folder").code == 0
    r = cli("corpus", "report", str(tmp_path / "run"), "-o", str(tmp_path / "report.html"), "--by", "folder")
    assert r.code == 0, r.err
    page = (tmp_path / "report.html").read_text()
    for heading in ("Face emotions by group", "Faces found and data quality", "folder=party", "folder=office"):
        assert heading in page, heading
    assert "files without a face or speech (left out of the shares)" in page
    assert "How the voices sounded" not in page  # photos have no voice section
    from affectlens.corpus.aggregate import aggregate

    shares = aggregate(tmp_path / "run", every=None, by=["folder"], quiet=True)
    party = shares.filter((shares["folder"] == "party") & (shares["label"] == "joy") & (shares["measure"] == "share"))
    assert party["value"][0] == 1.0 and party["n"][0] == 4  # the image without a face is not counted as "no joy"
