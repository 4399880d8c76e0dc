"""Reply trees: links built from ids in any order, every unplaceable post named, and the
conversation code following parents (a line is the tree where each turn answers the one before)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from affectlens.conversation.causes import PositionalCauses, cause_features
from affectlens.conversation.context import context_input
from affectlens.conversation.dynamics import dynamics
from affectlens.conversation.io import read_conversations
from affectlens.conversation.tree import ancestors, check_parents, linear_parents, link, paths, restrict


def test_linear_parents_and_their_paths():
    assert linear_parents(0) == [] and linear_parents(3) == [None, 0, 1]
    assert paths([None, 0, 1]) == [[0, 1, 2]]
    #      0
    #     / \
    #    1   2
    #    |
    #    3
    tree = [None, 0, 0, 1]
    assert sorted(paths(tree)) == [[0, 1, 3], [0, 2]]
    assert list(ancestors(tree, 3)) == [1, 0]
    with pytest.raises(ValueError, match="earlier turn"):
        check_parents([None, 2, 0])


def test_restrict_skips_turns_left_out():
    # 0 <- 1 <- 2 <- 3, and 4 answers 1; turn 1 is left out: 2 and 4 answer 0
    assert restrict([None, 0, 1, 2, 1], [0, 2, 3, 4]) == [None, 0, 1, 0]
    assert restrict([None, 0], [1]) == [None]


def test_link_names_duplicates_orphans_cycles_and_what_hangs_under_a_cycle():
    ids = ["r", "a", "b", "a", "o", "oc", "x", "y", "z", "self"]
    parents = ["", "r", "a", "r", "missing", "o", "y", "x", "x", "self"]
    linked = link(ids, parents)
    assert linked.problems == {
        3: "duplicate",  # second "a"
        4: "orphan",  # its parent is not there: it heads a tree of its own
        6: "cycle",
        7: "cycle",
        8: "under-cycle",
        9: "cycle",  # answers itself
    }
    assert linked.parent[:3] == [None, 0, 1] and linked.root[:3] == [0, 0, 0]
    assert linked.root[4] == 4 and linked.root[5] == 4 and linked.parent[5] == 4  # the orphan's reply is placed
    assert [linked.placed(i) for i in range(len(ids))] == [True, True, True, False, True, True, False, False, False, False]


@given(st.lists(st.integers(min_value=-1, max_value=30), min_size=1, max_size=30))
def test_link_places_every_post_exactly_when_its_chain_ends_at_a_root(raw):
    ids = [str(i) for i in range(len(raw))]
    parents = ["" if p < 0 else str(p) for p in raw]  # an id >= len(raw) is a missing parent
    linked = link(ids, parents)
    for i in range(len(ids)):
        seen, node, ends = set(), i, True
        while True:
            if node in seen:
                ends = False
                break
            seen.add(node)
            p = raw[node]
            if p < 0 or p >= len(raw):
                break
            node = p
        assert (linked.root[i] is not None) == ends
        if ends:
            assert linked.root[i] == node and linked.problems.get(i) in (None, "orphan")


def test_context_follows_the_branch_not_the_sibling():
    texts = ["root", "left", "right", "under-right"]
    parents = [None, 0, 0, 2]
    assert context_input(texts, 3, count_tokens=lambda s: 1, parents=parents) == "under-right [SEP] right [SEP] root"
    assert context_input(texts, 3, count_tokens=lambda s: 1) == "under-right [SEP] right [SEP] left [SEP] root"


def test_dynamics_on_a_tree_pair_each_reply_with_what_it_answers():
    #   0 A joy
    #   ├── 1 B anger
    #   │    └── 3 A anger
    #   └── 2 A joy
    speakers, labels = ["A", "B", "A", "A"], ["joy", "anger", "joy", "anger"]
    vad = np.array([[0.5, 0, 0], [-0.5, 0.5, 0], [0.5, 0, 0], [-0.5, 0.5, 0]])
    tree = dynamics(speakers, labels, vad, parents=[None, 0, 0, 1])
    # A's previous turn for 3 is 0 (up its branch), not 2 (a sibling branch): a label and VAD shift 0 -> 3
    assert [(s.turn, s.previous_turn) for s in tree.shifts] == [(3, 0)]
    # cross-speaker reply pairs: (0,1) joy->anger, (1,3) anger->anger; (0,2) is A answering A
    assert tree.contagion == 0.5
    line = dynamics(speakers, labels, vad)
    assert [(s.turn, s.previous_turn) for s in line.shifts] == [(3, 2)]  # read as a line, 3 follows 2


def test_escalation_runs_along_each_branch():
    # A escalates along the branch 0-1-2-4-5-6-7 (B answering between); turn 3, A's reply to
    # the root in a sibling branch, sits between them in the file with a high arousal
    speakers = ["A", "B", "A", "A", "B", "A", "B", "A"]
    valence = [-0.3, 0.1, -0.4, -0.5, 0.1, -0.5, 0.2, -0.6]
    arousal = [0.1, 0.0, 0.15, 0.9, -0.1, 0.2, -0.1, 0.32]
    vad = np.column_stack([valence, arousal, np.zeros(8)])
    parents = [None, 0, 1, 0, 2, 4, 5, 6]
    d = dynamics(speakers, ["anger"] * 8, vad, parents=parents)
    assert [(e.start_turn, e.end_turn, e.speaker) for e in d.escalations] == [(0, 7, "A")]
    # read as a line, the sibling's arousal of 0.9 breaks every window of A's turns
    assert dynamics(speakers, ["anger"] * 8, vad).escalations == []


def test_cause_candidates_are_the_turn_and_what_it_answers():
    vectors = np.eye(4)
    f = cause_features([3], ["anger"], ["A", "B", "C", "D"], vectors, np.ones(4), np.zeros(4), parents=[None, 0, 0, 2])
    assert f.pairs == [(3, 0), (3, 2), (3, 3)]  # not turn 1, a sibling branch
    # distance counts links: 2 is one back, 0 two back; the root opens the thread
    assert f.x[:, :4].tolist() == [[0, 0, 1, 0], [0, 1, 0, 0], [1, 0, 0, 0]]
    assert PositionalCauses().scores(f).tolist() == pytest.approx([0.3, 0.6, 0.9])
    line = cause_features([3], ["anger"], ["A", "B", "C", "D"], vectors, np.ones(4), np.zeros(4))
    assert line.pairs == [(3, 0), (3, 1), (3, 2), (3, 3)]


def test_reading_reply_threads_from_a_parent_column(tmp_path):
    rows = [
        {"conversation_id": "t", "id": "p1", "speaker": "ann", "text": "root"},
        {"conversation_id": "t", "id": "p2", "parent_id": "p1", "speaker": "bob", "text": "reply to root"},
        {"conversation_id": "t", "id": "p3", "parent_id": "p1", "speaker": "cat", "text": "another reply to root"},
        {"conversation_id": "t", "id": "p4", "parent_id": "p2", "speaker": "ann", "text": "reply to bob"},
        {"conversation_id": "t", "id": "p5", "parent_id": "p9", "speaker": "dan", "text": "parent not here"},
        {"conversation_id": "line", "speaker": "x", "text": "a"},
        {"conversation_id": "line", "speaker": "y", "text": "b"},
    ]
    path = tmp_path / "threads.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    read = read_conversations(str(path))
    thread, line = read.conversations
    assert thread.parents == [None, 0, 0, 1, None] and thread.ids == ["p1", "p2", "p3", "p4", "p5"]
    assert line.parents == [None, 0]
    assert [str(p) for p in read.problems] == [
        "line 5 answers 'p9', which is not an earlier turn of this conversation: kept as turn 4, answering nobody"
    ]
