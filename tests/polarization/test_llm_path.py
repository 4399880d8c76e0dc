"""Issue #11 acceptance: with a scripted OpenAI-compatible server on loopback answering known
stances, agreements and affects (and some malformed, unverifiable and unknown ones), every
interaction score equals the rule table's, unknowns and failures are counted and not scored, and
asonam2025-compat reproduces the paper's code on the same answers."""

from __future__ import annotations

import json

import pytest

from affectlens.polarization import analyze, load_rules, score_run
from affectlens.polarization.work import PolarizationDir, load_annotations, load_posts
from tests.llm.conftest import ScriptedServer
from tests.llm.loopback import serve
from tests.polarization.test_rules import paper

pytest.importorskip("openai")
pytest.importorskip("pyarrow")


def fact(label, quote="", confidence=0.9):
    return {"label": label, "quote": quote, "confidence": confidence}


def answer(stance, agreement, affect):
    return {"stance": stance, "agreement": agreement, "affect": affect}


NONE = fact("none")
# post id -> (parent id, text, what the server answers: a dict, or a string sent as it is)
POSTS = {
    "a0": (
        None,
        "Climate change is real and it is our fault.",
        answer(fact("believes", "Climate change is real"), NONE, fact("no")),
    ),
    "a1": (
        "a0",
        "It is a hoax, you idiot.",
        answer(fact("disbelieves", "It is a hoax"), fact("no", "It is a hoax"), fact("yes", "you idiot")),
    ),
    "a2": ("a1", "Exactly, a total hoax.", answer(fact("disbelieves", "a total hoax"), fact("yes", "Exactly"), fact("no"))),
    "a3": ("a0", "Broken answers for this one.", "I cannot answer that in JSON, sorry."),
    "a4": (
        "a0",
        "Warming is measured everywhere.",
        answer(fact("believes", "words the post never says"), fact("yes", "Warming is measured"), fact("no")),
    ),
    "a5": ("a0", "What time is the march?", answer(fact("unclear"), fact("unclear"), fact("no"))),
    "a6": (
        "a5",
        "Who cares, you clowns. Agreed though.",
        answer(fact("unclear"), fact("yes", "Agreed though"), fact("yes", "you clowns")),
    ),
    "a7": ("a0", "Hmm, maybe.", answer(fact("maybe-ish", "maybe"), fact("no", "Hmm"), fact("no"))),
    "a8": ("a0", "Yes, and deniers are vermin.", answer(fact("believes", "Yes"), fact("yes", "Yes"), fact("yes", ""))),
    "b0": (None, "Net zero will ruin us.", answer(fact("disbelieves", "Net zero will ruin us"), NONE, fact("no"))),
    "b1": ("b0", "Agreed, pointless policy.", answer(fact("disbelieves", "pointless policy"), fact("yes", "Agreed"), fact("no"))),
}
# the facts as the answers give them (None: unclear, unparsable or not a label); then whether
# our pipeline keeps each one (a quote that is not in the post, or no quote, fails the fact)
SAID = {  # post -> (stance, agreement, affect)
    "a0": ("believes", None, "no"),
    "a1": ("disbelieves", "no", "yes"),
    "a2": ("disbelieves", "yes", "no"),
    "a3": (None, None, None),
    "a4": ("believes", "yes", "no"),
    "a5": (None, None, "no"),
    "a6": (None, "yes", "yes"),
    "a7": (None, "no", "no"),
    "a8": ("believes", "yes", "yes"),
    "b0": ("disbelieves", None, "no"),
    "b1": ("disbelieves", "yes", "no"),
}
UNVERIFIED = {("a4", "stance"), ("a8", "affect")}
FAILED = UNVERIFIED | {("a3", "stance"), ("a3", "agreement"), ("a3", "affect"), ("a7", "stance")}
TABLE = {
    (True, True, True): 10, (True, True, False): 8, (True, False, True): 6, (True, False, False): 2,
    (False, True, False): 8, (False, True, True): 6, (False, False, False): 4, (False, False, True): 0,
}  # fmt: skip


def kept(post, name):
    value = SAID[post][("stance", "agreement", "affect").index(name)]
    return None if (post, name) in FAILED else value


def expected_default(post):
    parent = POSTS[post][0]
    stance, other = kept(post, "stance"), kept(parent, "stance")
    mine, theirs, agreement = kept(post, "affect"), kept(parent, "affect"), kept(post, "agreement")
    affect = "yes" if "yes" in (mine, theirs) else "no" if mine == theirs == "no" else None
    if None in (stance, other, affect, agreement):
        return None
    return TABLE[(stance == other, affect == "yes", agreement == "yes")]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("llm")
    lines = [
        json.dumps({"id": k, "parent_id": p or "", "author": f"user-{k}", "text": t, "created_at": "2021-08-10"})
        for k, (p, t, _) in POSTS.items()
    ]
    lines += [
        json.dumps(
            {"id": "o1", "parent_id": "gone", "author": "x", "text": "Answering a deleted post.", "created_at": "2021-08-10"}
        ),
        json.dumps({"id": "a1", "parent_id": "a0", "author": "x", "text": "Same id again.", "created_at": "2021-08-10"}),
        json.dumps({"id": "c1", "parent_id": "c2", "author": "x", "text": "round", "created_at": "2021-08-10"}),
        json.dumps({"id": "c2", "parent_id": "c1", "author": "y", "text": "and round", "created_at": "2021-08-10"}),
    ]
    path = tmp / "threads.jsonl"
    path.write_bytes(("\n".join(lines) + "\n").encode() + b'{"id": "l1", "parent_id": "a0", "author": "z", "text": "caf\xe9"}\n')
    by_text = {t: a for _, t, a in POSTS.values()}
    by_text["Answering a deleted post."] = answer(fact("unclear"), NONE, fact("no"))
    script = ScriptedServer()
    script.answers["polarization"] = lambda body: by_text[json.loads(body["messages"][1]["content"])["post"]]
    with serve(script) as url:
        settings = {"base_url": url, "model": "scripted", "cache": False, "backoff": 0.0}
        result = analyze(path, tmp / "run", mode="llm", backend_settings=settings, chunk_rows=4)
    return result, script


def test_every_interaction_scores_as_the_rule_table(run):
    result, _ = run
    got = {i.id: i for i in result.scores.interactions}
    assert set(got) == {k for k, (p, _, _) in POSTS.items() if p}  # every reply with its parent; not the orphan
    for post, interaction in got.items():
        assert interaction.score == expected_default(post), post
    assert got["a1"].score == 8 and got["a2"].score == 10 and got["b1"].score == 6
    assert got["a3"].failed == ["reply stance", "reply affect", "agreement"] and got["a3"].score is None
    assert got["a5"].unscored == "stance and agreement unknown" and not got["a5"].failed


def test_failures_and_unknowns_are_counted_per_thread_and_never_guessed(run):
    result, script = run
    counts = result.manifest.progress.counts
    assert counts["stance_failed"] == 3 and counts["affect_failed"] == 2 and counts["agreement_failed"] == 1
    assert counts["stance_unknown"] == 3 and counts["agreement_unknown"] == 1  # a5, a6, o1; a5
    threads = {t.thread: t for t in result.scores.threads}
    assert threads["a0"].failed_posts == 4 and threads["b0"].failed_posts == 0  # a3, a4, a7, a8
    assert threads["a0"].unscored_failed == 4 and threads["a0"].unscored_unknown == 2  # a3 a4 a7 a8 | a5 a6
    assert threads["b0"].score == 6.0 and threads["a0"].score == pytest.approx((8 + 10) / 2)
    # the malformed answer was asked again (parse_retries = 2), then counted
    asked = [json.loads(b["messages"][1]["content"])["post"] for b in script.requests]
    assert asked.count("Broken answers for this one.") == 3 and counts["llm_parse_failures"] == 1
    run_dir = PolarizationDir(result.run_dir)
    ids = dict(zip(load_posts(run_dir)["post"], load_posts(run_dir)["id"]))
    a = load_annotations(run_dir)
    note = {ids[p]: n for p, n in zip(a["post"], a["stance_note"])}
    assert note["a4"] == "the model's quote for its stance is not in the post: 'words the post never says'"
    assert note["a7"] == "the model's stance 'maybe-ish' is not one of believes, disbelieves, unclear"
    assert note["a3"].startswith("the answer could not be parsed (no JSON object in the answer)")
    affect_note = {ids[p]: n for p, n in zip(a["post"], a["affect_note"])}
    assert affect_note["a8"] == "the model gave no quote for its affect 'yes'"


def test_problem_rows_are_reported_and_other_threads_scored(run):
    result, _ = run
    problems = [json.loads(line) for line in (result.run_dir / "problems.jsonl").read_text().splitlines()]
    kinds = sorted((p["kind"], p["id"]) for p in problems)
    assert kinds == [("bad-row", None), ("cycle", "c1"), ("cycle", "c2"), ("duplicate", "a1"), ("orphan", "o1")]
    assert all(p["line"] > 0 and p["message"] for p in problems)
    assert result.manifest.details["problems"] == {"bad-row": 1, "cycle": 2, "duplicate": 1, "orphan": 1}
    assert result.scores.summary()["threads_scored"] == 2


def test_compat_reproduces_the_papers_code_on_the_same_answers(run):
    result, _ = run
    compat = score_run(PolarizationDir(result.run_dir), load_rules("asonam2025-compat"))
    got = {i.id: i.score for i in compat.interactions}

    def as_paper(post, name):
        value = SAID[post][("stance", "agreement", "affect").index(name)]
        if name == "stance":
            return "don't know" if value is None else value
        return "" if value is None else value

    for post, score in got.items():
        parent = POSTS[post][0]
        expected = paper(
            as_paper(post, "stance"),
            as_paper(parent, "stance"),
            as_paper(post, "affect"),
            as_paper(parent, "affect"),
            as_paper(post, "agreement"),
        )
        assert score == expected, post
    assert got["a5"] == 4 and got["a6"] == 10  # unclear vs a side: "opposite"; two unclear: "the same"
