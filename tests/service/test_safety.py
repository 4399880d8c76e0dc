"""Safe to share: each attack the issue names is refused, with a JSON 4xx and no server path.

Jobs belong to their key; another key is told there is no such job; Host names are checked
(DNS rebinding); another site's page cannot change anything; every answer carries the
security headers; a job's file is checked when the run opens it, not only when it is named."""

from __future__ import annotations

import json
import os
import time

import pytest
from pydantic import ValidationError
from tests.service.conftest import assert_error, ready, serve, wait_for_job
from tests.service.test_jobs import write_csv

from affectlens.errors import ConfigError
from affectlens.service import ServiceConfig, hash_key, load_config

KEYS = {"alice": "alice-key-1234", "bob": "bob-key-5678", "admin": "admin-key-9999"}


def auth(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[who]}"}


@pytest.fixture(scope="module")
def keyed(tmp_path_factory):
    state = tmp_path_factory.mktemp("keyed")
    config = ServiceConfig(
        state_dir=state,
        conversations=False,
        backends={"fake": {}},
        api_keys=[hash_key(KEYS["alice"]), hash_key(KEYS["bob"])],
        admin_keys=[hash_key(KEYS["admin"])],
        job_chunk_rows=20,
    )
    with serve(config) as client:
        yield ready(client)


def test_a_job_belongs_to_the_key_that_made_it(keyed, tmp_path):
    src = write_csv(tmp_path / "posts.csv", 30)
    with open(src, "rb") as f:
        made = keyed.post(
            "/v1/jobs", files={"file": ("posts.csv", f)}, data={"text_column": "body", "backend": "fake"}, headers=auth("alice")
        )
    assert made.status_code == 202, made.text
    job = wait_for_job(keyed, made.json()["id"], headers=auth("alice"))
    assert job["state"] == "succeeded", job
    where = f"/v1/jobs/{job['id']}"
    for path in (where, f"{where}/result", f"{where}/report"):
        assert_error(keyed.get(path, headers=auth("bob")), 404, "not_found")
    assert_error(keyed.delete(where, headers=auth("bob")), 404, "not_found")
    assert job["id"] not in [j["id"] for j in keyed.get("/v1/jobs", headers=auth("bob")).json()["jobs"]]
    assert job["id"] in [j["id"] for j in keyed.get("/v1/jobs", headers=auth("alice")).json()["jobs"]]
    assert job["id"] in [j["id"] for j in keyed.get("/v1/jobs", headers=auth("admin")).json()["jobs"]]  # an admin sees all
    assert keyed.get(f"{where}/result", headers=auth("alice")).status_code == 200
    assert_error(keyed.get(where), 401, "unauthorized")
    assert keyed.delete(where, headers=auth("alice")).status_code == 204
    assert_error(keyed.get(where, headers=auth("admin")), 404, "not_found")


def test_a_keyless_server_listens_on_loopback_only(tmp_path):
    with pytest.raises(ValidationError, match="loopback only"):
        ServiceConfig(host="0.0.0.0", state_dir=tmp_path)
    (tmp_path / "open.toml").write_text('host = "192.168.1.5"\n')
    with pytest.raises(ConfigError, match="api_keys"):
        load_config(tmp_path / "open.toml")
    assert ServiceConfig(host="0.0.0.0", api_keys=[hash_key("k")], state_dir=tmp_path).host == "0.0.0.0"
    assert ServiceConfig(host="::1", state_dir=tmp_path).host == "::1"


def test_other_host_names_are_not_answered(client):
    """DNS rebinding: a page on evil.example whose name now points at 127.0.0.1 sends Host: evil.example."""
    for host in ("evil.example", "evil.example:8000", "127.0.0.1.evil.example"):
        assert_error(client.get("/v1/taxonomies", headers={"host": host}), 400, "bad_host")
    for host in ("127.0.0.1:8000", "localhost", "localhost:8000", "[::1]:8000"):
        assert client.get("/healthz", headers={"host": host}).status_code == 200, host


def test_another_sites_page_cannot_post(client, tmp_path, state_dir):
    before = set((state_dir / "jobs").iterdir())
    src = write_csv(tmp_path / "posts.csv", 3)
    with open(src, "rb") as f:  # what a form on another site sends: multipart, and the browser adds Origin
        form = client.post(
            "/v1/jobs", files={"file": ("posts.csv", f)}, data={"text_column": "body"}, headers={"origin": "https://evil.example"}
        )
    assert_error(form, 403, "cross_site")
    assert set((state_dir / "jobs").iterdir()) == before  # nothing was stored, nothing runs
    fetch = client.post("/v1/analyze", json={"text": "hi"}, headers={"sec-fetch-site": "cross-site"})
    assert_error(fetch, 403, "cross_site")
    assert_error(client.post("/v1/analyze", json={"text": "hi"}, headers={"origin": "null"}), 403, "cross_site")
    assert_error(client.delete("/v1/jobs/x", headers={"origin": "http://localhost.evil.example"}), 403, "cross_site")
    # the page itself, and tools that send no Origin
    assert client.post("/v1/analyze", json={"text": "hi"}, headers={"origin": "http://127.0.0.1"}).status_code == 200
    assert client.post("/v1/analyze", json={"text": "hi"}, headers={"sec-fetch-site": "same-origin"}).status_code == 200
    assert client.post("/v1/analyze", json={"text": "hi"}).status_code == 200
    assert client.get("/v1/taxonomies", headers={"origin": "https://evil.example"}).status_code == 200  # reading: CORS decides


def test_every_answer_carries_the_security_headers(client):
    for response in (client.get("/"), client.get("/docs"), client.get("/v1/taxonomies"), client.get("/v1/jobs/nope")):
        headers = response.headers
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers.get_list("cross-origin-opener-policy") == ["same-origin"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "script-src 'self'" in headers["content-security-policy"]
    page = client.get("/").text
    assert "<script>" not in page and " onclick=" not in page  # the page runs under script-src 'self'


def test_a_path_swapped_for_a_link_after_submission_is_refused_when_opened(tmp_path):
    state, allowed, outside = tmp_path / "state", tmp_path / "allowed", tmp_path / "private"
    allowed.mkdir()
    outside.mkdir()
    secret = outside / "secret.csv"
    secret.write_text("id,body\n1,the password is hunter2\n")
    named = write_csv(allowed / "posts.csv", 5)
    config = ServiceConfig(state_dir=state, conversations=False, backends={"fake": {}}, allowed_roots=[allowed])
    with serve(config) as client:
        client.app.state.service.runner.stop()  # no job runs until the swap is made
        ready(client)
        made = client.post("/v1/jobs", data={"path": str(named), "text_column": "body", "backend": "fake"})
        assert made.status_code == 202, made.text
        assert str(tmp_path) not in made.text  # the job shows the name it was given, not a server path
    named.unlink()
    os.symlink(secret, named)  # now the allowed path leads outside
    with serve(config) as client:
        job = wait_for_job(ready(client), made.json()["id"])
        assert job["state"] == "failed" and "outside the folders this run may read" in job["error"]["message"], job
        text = json.dumps(job)
        assert "hunter2" not in text and str(tmp_path) not in text
        assert_error(client.get(f"/v1/jobs/{job['id']}/result"), 409, "wrong_state")
        assert client.delete(f"/v1/jobs/{job['id']}").status_code == 204


def test_no_answer_shows_a_server_path(client, tmp_path, state_dir):
    src = tmp_path / "posts.csv"
    src.write_text("id,text\n1,hello\n")
    with open(src, "rb") as f:
        refused = client.post("/v1/jobs", files={"file": ("posts.csv", f)}, data={"text_column": "body"})
    assert_error(refused, 422, "invalid_input")
    assert "posts.csv" in refused.text and str(state_dir) not in refused.text and str(tmp_path) not in refused.text
    outside = client.post("/v1/jobs", data={"path": str(tmp_path / "posts.csv")})
    assert_error(outside, 403, "forbidden")
    assert str(tmp_path) not in outside.text


def test_finished_jobs_are_purged_after_the_retention(tmp_path):
    from affectlens.service.jobs import JobSpec, JobStore, Viewer

    store = JobStore(tmp_path)
    viewer = Viewer("client:127.0.0.1")
    for job_id in ("a" * 32, "b" * 32):
        store.create(job_id, JobSpec(name="x.csv"), tmp_path / "x.csv", viewer)
        store.folder(job_id).mkdir(parents=True)
        (store.folder(job_id) / "result.jsonl").write_text("{}\n")
    store.finish("a" * 32, "succeeded")
    assert store.purge(older_than_s=3600) == 0  # it just finished
    time.sleep(0.05)
    assert store.purge(older_than_s=0.01) == 1  # the queued one stays
    assert not store.folder("a" * 32).exists() and store.folder("b" * 32).exists()
    assert [j.id for j in store.list(viewer)] == ["b" * 32]
    with pytest.raises(ValidationError):
        ServiceConfig(state_dir=tmp_path, job_retention_hours=0)


def test_signed_links_open_one_finished_job_for_a_while_without_the_key(keyed, tmp_path):
    src = write_csv(tmp_path / "posts.csv", 10)
    with open(src, "rb") as f:
        data = {"text_column": "body", "time_column": "created", "backend": "fake"}
        made = keyed.post("/v1/jobs", files={"file": ("posts.csv", f)}, data=data, headers=auth("alice"))
    job = wait_for_job(keyed, made.json()["id"], headers=auth("alice"))
    assert_error(keyed.post(f"/v1/jobs/{job['id']}/links", headers=auth("bob")), 404, "not_found")
    links = keyed.post(f"/v1/jobs/{job['id']}/links", headers=auth("alice")).json()
    assert links["expires_in"] > 0 and KEYS["alice"] not in json.dumps(links)
    rows = keyed.get(links["result_jsonl"])  # no key: the page's download link
    assert rows.status_code == 200 and len(rows.text.splitlines()) == 10
    assert keyed.get(links["result_parquet"]).content[:4] == b"PAR1"
    report = keyed.get(links["report"])
    assert report.status_code == 200 and "sandbox" in report.headers["content-security-policy"]
    token = links["report"].split("token=")[1]
    assert_error(keyed.get(f"/v1/jobs/{job['id']}/report", params={"token": token[:-2] + "xx"}), 401, "unauthorized")
    assert_error(keyed.get(f"/v1/jobs/{job['id']}", params={"token": token}), 401, "unauthorized")  # that one path only
    assert keyed.delete(links["report"]).status_code == 405  # links are for reading only
