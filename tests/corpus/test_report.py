"""The corpus report: written offline, complete, and rendering in headless Chromium."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pytest

pytest.importorskip("plotly")
pytest.importorskip("polars")

from affectlens.corpus import analyze
from affectlens.corpus.report import SECTIONS, report
from tests.browser import launch, needs_chromium


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    lines = []
    start = dt.date(2024, 1, 1)
    for week in range(12):
        for i in range(80):  # 40 a week in each city
            happy = 16 if week < 6 else 48  # joy rises in week 6: 20% -> 60% of the texts
            text = f"so happy, thanks a lot {i}" if i < happy else f"I hate waiting for the bus {i}"
            day = start + dt.timedelta(weeks=week, days=i % 7)
            lines.append(json.dumps({"text": text, "t": day.isoformat(), "city": "ab"[i % 2]}))
    lines.append("{not json")
    (folder / "in.jsonl").write_text("\n".join(lines) + "\n")
    run = folder / "run"
    analyze(folder / "in.jsonl", run, backend="fake", time_column="t", group_columns=["city"], explain=True, chunk_rows=160)
    return run


def test_the_report_is_self_contained_and_complete(run_dir, tmp_path):
    path = report(run_dir, tmp_path / "report.html", by=["city"], labels=["joy", "anger", "gratitude"])
    page = path.read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f"<h2>{section}</h2>" in page
    body = page.split("</head>", 1)[1]  # the head carries plotly.js itself, inlined
    assert "<script src=" not in page and "<link " not in page and "http" not in body.replace("http://www.w3.org", "")
    assert "joy (city=a) from 2024-02-12: 0.200 → 0.600" in page  # the change point (week 6), with its date
    assert '<mark title="joy' in page  # evidence highlighted in the examples
    assert "1 (0.21%)" in page or "bad rows (not analysed)" in page
    assert "affectlens.corpus.analyze(" in page and "group_columns=[&#x27;city&#x27;]" in page  # what made the run




@pytest.mark.browser
@needs_chromium
def test_the_report_renders_offline_in_headless_chromium(run_dir, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright: run `make test-browser`")
    path = report(run_dir, tmp_path / "report.html", by=["city"])
    requests: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1200, "height": 900})

        def only_files(route):  # the report must not need the network: anything else is refused
            requests.append(route.request.url)
            route.continue_() if route.request.url.startswith("file:") else route.abort()

        page.route("**/*", only_files)
        page.goto(path.as_uri())
        page.wait_for_selector("#shares .main-svg", timeout=20_000)
        headings = page.locator("h2").all_inner_texts()
        plots = page.locator(".js-plotly-plot").count()
        lines = page.locator("#shares .scatterlayer .trace").count()
        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert headings == list(SECTIONS)
    assert plots == 2 and lines >= 10  # two figures; bands and lines for each emotion and city
    assert all(url.startswith("file:") for url in requests)  # nothing asked of the network
    _check_screenshot(shot)
    if os.environ.get("AFFECTLENS_ARTIFACTS"):
        shutil.copy(shot, Path(os.environ["AFFECTLENS_ARTIFACTS"]) / "corpus-report.png")


def _check_screenshot(path: Path) -> None:
    """Not blank: a tall page, many colours, the palette's blue and orange lines among them."""
    import matplotlib.image as mpimg
    import numpy as np

    image = mpimg.imread(path)[..., :3]
    assert image.shape[0] > 2000  # every section laid out
    pixels = (image.reshape(-1, 3) * 255).round().astype(int)
    assert len(np.unique(pixels[::7], axis=0)) > 200
    blue, orange = np.array([0, 114, 178]), np.array([213, 94, 0])
    for colour in (blue, orange):
        assert (np.abs(pixels - colour).sum(axis=1) < 30).sum() > 200, f"no {colour} lines drawn"
