"""The offline path: hostility aimed at the other side from the embedded model, stance from a
column or a few-shot classifier, agreement from stance; a run that is interrupted resumes to
the same results."""

from __future__ import annotations

import json

import pytest

from affectlens.errors import InputError
from affectlens.polarization import analyze, load_topic
from affectlens.polarization.offline import OfflineAnnotator, PostInput, targets_in
from affectlens.polarization.stance import topic_examples, train_stance
from affectlens.polarization.work import PolarizationDir, load_annotations

pytest.importorskip("pyarrow")
CLIMATE = load_topic("climate")


def test_targets_are_the_addressee_a_mention_or_the_other_sides_people():
    text = "You deniers are idiots, @Bob."
    kinds = lambda own, **kw: [k for k, _, _ in targets_in(text, CLIMATE, own_stance=own, **kw)]  # noqa: E731
    assert kinds("believes", is_reply=True, parent_author="bob") == ["addressee", "side:disbelieves", "@author"]
    # "deniers" is the writer's own side when the writer disbelieves: not a target
    assert kinds("disbelieves", is_reply=True, parent_author=None) == ["addressee"]
    # a root addresses no one in particular: "you" is not a target there
    assert kinds(None, is_reply=False, parent_author=None) == ["side:disbelieves"]
    assert [
        k for k, _, _ in targets_in("These people never learn.", CLIMATE, is_reply=False, parent_author=None, own_stance=None)
    ] == ["out-group"]


@pytest.fixture(scope="module")
def annotator():
    return OfflineAnnotator({"climate": CLIMATE}, threads=2)


def test_hostility_counts_only_when_aimed(annotator):
    posts = [
        PostInput(0, "You are a disgusting, stupid idiot.", "climate", True, given_stance="believes"),
        PostInput(1, "You are a disgusting, stupid idiot.", "climate", False, given_stance="believes"),  # a root: no addressee
        PostInput(2, "Thanks for sharing, good point about the glaciers.", "climate", True, given_stance="unclear"),
        PostInput(3, "Lovely weather.", "climate", False, given_stance="flat"),
    ]
    aimed, unaimed, calm, root = annotator.annotate(posts)
    assert aimed.affect.value == "yes" and aimed.targets == ["addressee"]
    marked = {(e.text, e.fact) for e in aimed.evidence}
    assert ("You", "affect") in marked and any(t != "You" for t, _ in marked)  # the hostile phrase and its target
    assert all(posts[0].text[e.start : e.end] == e.text for e in aimed.evidence)
    assert unaimed.affect.value == "no" and unaimed.affect.note == "hostile, but aimed at no person or side"
    assert calm.affect.value == "no" and calm.hostility < 0.5
    # stance from the column: a label, the unknown label, a value that is not a label
    assert (aimed.stance.value, aimed.stance.status) == ("believes", "ok")
    assert (calm.stance.value, calm.stance.status) == (None, "unknown")
    assert root.stance.status == "failed" and "'flat'" in root.stance.note
    assert aimed.agreement.status == "derived" and root.agreement.status == "none"


def test_the_head_flags_insults_at_people_and_leaves_friendly_swearing_alone(annotator):
    """The shipped model carries the hostility head (Davidson + generated texts); these texts are
    neither in its training data nor in the evaluation set (evaluation/suites/insults.yaml)."""
    assert annotator.head is not None and 0.2 <= annotator.head.threshold <= 0.8
    insults = ["You're a spineless little liar.", "Politicians in this city are greedy parasites.", "shut it, you clown"]
    friendly = ["Fuck yes, my sister got into medical school!", "This damn jar won't open.", "I think your numbers are off."]
    notes = annotator.annotate([PostInput(k, t, "climate", False) for k, t in enumerate(insults + friendly)])
    assert [n.hostile for n in notes] == [True] * 3 + [False] * 3, [n.hostility for n in notes]
    assert all(0 <= n.hostility <= 1 for n in notes)


def test_weak_offline_stances_refuse_the_measures_that_compare_sides(tmp_path):
    from affectlens.polarization.aggregate import aggregate
    from affectlens.polarization.report import report

    src = tmp_path / "threads.jsonl"
    _threads(src)
    examples = tmp_path / "examples.csv"  # two examples a side: two folds of one example each
    examples.write_text(
        "text,stance\nWe must act on emissions.,believes\nThe warming is real.,believes\n"
        "It is all a hoax.,disbelieves\nThe climate always changed.,disbelieves\n"
    )
    analyze(src, tmp_path / "run", stance_examples=str(examples), chunk_rows=9)
    figures = aggregate(tmp_path / "run")
    assert len(figures.refused) == 1 and "trained on 4 examples (cross-validated macro-F1" in figures.refused[0]
    assert "below 0.70" in figures.refused[0]
    measures = figures.measures[0]
    assert measures["refused"] == figures.refused[0]
    assert measures["hostility_gap"]["value"] is None and measures["alpha"]["value"] is None
    page = report(tmp_path / "run", tmp_path / "report.html").read_text()
    header = page[: page.index("</header>")]
    assert "Measures refused." in header and "--stance-examples" in header


def test_the_stance_classifier_reports_its_cross_validated_accuracy(annotator):
    model = train_stance(
        CLIMATE, topic_examples(CLIMATE), lambda t: annotator.analyzer.analyze_with_vectors(t)[1], source="topic"
    )
    assert model.classes == ["believes", "disbelieves", "unclear"] and model.cv_folds == 5
    assert 0.0 <= model.cv_accuracy <= 1.0 and "cross-validated accuracy" in model.describe()
    assert (model.weakness() is None) == (model.cv_macro_f1 >= 0.7)
    labels = model.predict(annotator.analyzer.analyze_with_vectors(["Global warming is a hoax and a scam."])[1], "unclear")
    assert labels[0][0] in ("disbelieves", None) and 0 < labels[0][1] <= 1
    with pytest.raises(InputError, match="at least 2 examples of each side"):
        train_stance(
            CLIMATE, [("a", "believes"), ("b", "believes"), ("c", "disbelieves")], lambda t: [[0.0]] * len(t), source="x"
        )


def _threads(path, n_threads=6):
    rows = []
    for t in range(n_threads):
        rows.append(
            {
                "id": f"t{t}",
                "parent_id": "",
                "author": "ann",
                "text": "We must cut emissions now.",
                "created_at": f"2021-08-0{1 + t}",
                "side": "believes",
            }
        )
        rows.append(
            {
                "id": f"t{t}r1",
                "parent_id": f"t{t}",
                "author": "bob",
                "text": "It's a hoax, you brainwashed idiot.",
                "created_at": f"2021-08-0{1 + t}",
                "side": "disbelieves",
            }
        )
        rows.append(
            {
                "id": f"t{t}r2",
                "parent_id": f"t{t}r1",
                "author": "cat",
                "text": "Agreed, total scam.",
                "created_at": f"2021-08-0{1 + t}",
                "side": "disbelieves",
            }
        )
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")


def test_an_interrupted_run_resumes_to_the_same_annotations(tmp_path):
    from affectlens.polarization.threads import ThreadColumns

    src = tmp_path / "threads.jsonl"
    _threads(src)
    columns = ThreadColumns(stance="side")
    whole = analyze(src, tmp_path / "whole", columns=columns, chunk_rows=3)

    def stop(result):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        analyze(src, tmp_path / "cut", columns=columns, chunk_rows=3, on_task=stop)
    assert PolarizationDir(tmp_path / "cut").load().status == "stopped"
    resumed = analyze(src, tmp_path / "cut", columns=columns, chunk_rows=3)
    assert resumed.resumed and resumed.manifest.progress.tasks_done == whole.manifest.progress.tasks_done
    a, b = load_annotations(PolarizationDir(tmp_path / "whole")), load_annotations(PolarizationDir(tmp_path / "cut"))
    assert a == b and sorted(a["post"]) == list(range(18))
    assert [i.score for i in resumed.scores.interactions] == [i.score for i in whole.scores.interactions]
    # stances from the column; agreement derived: the hoax reply disagrees, hostile to its parent (opposite, yes, no) -> 8;
    # the scam reply agrees with it, and its parent was hostile (same, yes, yes) -> 10
    scores = {i.id: i.score for i in whole.scores.interactions}
    assert scores["t0r1"] == 8 and scores["t0r2"] == 10
    with pytest.raises(InputError, match="settings differ"):
        analyze(src, tmp_path / "cut", columns=columns, chunk_rows=3, evidence=False)


def test_a_damaged_hostility_head_is_one_clear_error(tmp_path):
    from affectlens.errors import ModelAssetError
    from affectlens.polarization.hostility import HostilityHead

    (tmp_path / "hostility.npz").write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(ModelAssetError, match="cannot load the hostility head"):
        HostilityHead.load(tmp_path)
    assert HostilityHead.load(tmp_path / "elsewhere") is None
