"""Dynamics definitions on hand-built conversations; every expected value is worked out by
hand in the comments (docs/conversations.md uses the first conversation as its example)."""

from __future__ import annotations

import statistics

import numpy as np
import pytest

from affectlens.conversation.dynamics import dynamics

# turn:      0      1      2        3        4
SPEAKERS = ["A", "B", "A", "B", "A"]
LABELS = ["joy", "joy", "anger", "anger", "anger"]
VAD = np.array(
    [
        [0.6, 0.2, 0.1],
        [0.5, 0.3, 0.0],
        [-0.3, 0.1, 0.2],
        [-0.4, 0.3, 0.1],
        [-0.6, 0.6, 0.3],
    ]
)


def test_worked_example():
    d = dynamics(SPEAKERS, LABELS, VAD)
    # same-speaker pairs: A (0,2) joy->anger, A (2,4) anger->anger, B (1,3) joy->anger: 1 of 3 keeps its label
    assert d.inertia == pytest.approx(1 / 3, abs=1e-4)
    by_speaker = {t.speaker: t for t in d.trajectories}
    assert by_speaker["A"].inertia == 0.5 and by_speaker["B"].inertia == 0.0
    assert by_speaker["A"].turns == [0, 2, 4] and by_speaker["A"].valence == [0.6, -0.3, -0.6]
    # adjacent cross-speaker pairs, previous turn emotional: (0,1) joy=joy, (1,2) joy!=anger,
    # (2,3) anger=anger, (3,4) anger=anger: 3 of 4
    assert d.contagion == 0.75
    # shifts: turn 2 vs 0 (label; dV = -0.9 -> vad), turn 3 vs 1 (label; dV = -0.9 -> vad), turn 4 vs 2 (dV -0.3, dA +0.5 -> none)
    assert [(s.turn, s.previous_turn, s.kinds) for s in d.shifts] == [(2, 0, ["label", "vad"]), (3, 1, ["label", "vad"])]
    assert d.shifts[0].delta_valence == pytest.approx(-0.9) and d.shifts[0].from_label == "joy"
    # escalation needs one speaker's 4 turns by default: A has 3, B 2 -> none
    assert d.escalations == [] and not d.escalation
    # with 2 turns: A's (2,4) have V < -0.1, A 0.1 -> 0.6 (up 0.5), B answers at 3; A's (0,2) and B's (1,3) start with V > 0
    two = dynamics(SPEAKERS, LABELS, VAD, escalation_turns=2)
    found = [(e.start_turn, e.end_turn, e.speaker, e.arousal_from, e.arousal_to) for e in two.escalations]
    assert found == [(2, 4, "A", 0.1, 0.6)]
    # valence inertia: r over (0.6,-0.3), (-0.3,-0.6), (0.5,-0.4); contagion: r over the 4 cross pairs
    assert d.valence_inertia == pytest.approx(statistics.correlation([0.6, -0.3, 0.5], [-0.3, -0.6, -0.4]), abs=1e-4)
    assert d.valence_contagion == pytest.approx(statistics.correlation([0.6, 0.5, -0.3, -0.4], [0.5, -0.3, -0.4, -0.6]), abs=1e-4)


def test_neutral_turns_carry_nothing_over_and_missing_pairs_give_none():
    # A neutral, B joy, A joy: the only cross pair with an emotional first turn is (1,2): joy=joy
    d = dynamics(["A", "B", "A"], ["neutral", "joy", "joy"], np.zeros((3, 3)))
    assert d.contagion == 1.0
    assert d.inertia == 0.0  # A: neutral -> joy
    assert d.valence_inertia is None  # one pair only
    mono = dynamics(["A", "A"], ["joy", "joy"], np.zeros((2, 3)))
    assert mono.contagion is None and mono.valence_contagion is None and mono.inertia == 1.0
    assert dynamics([], [], np.zeros((0, 3))).inertia is None


def test_vad_shift_threshold_is_strict():
    vad = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.5, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.51, 0.0]])
    d = dynamics(["A", "B", "A", "B", "A"], ["joy"] * 5, vad)
    # A: turn 2 moves V by exactly 0.5 (not beyond), turn 4 moves V by -0.5 and A by 0.51 (beyond)
    assert [(s.turn, s.kinds) for s in d.shifts] == [(4, ["vad"])]
    assert [s.turn for s in dynamics(["A", "B", "A", "B", "A"], ["joy"] * 5, vad, shift_threshold=0.4).shifts] == [2, 4]


def test_escalation_is_one_speaker_rising_while_answering():
    # A speaks at 0, 2, 4, 6, 8: negative, arousal 0.1 -> 0.15 -> 0.2 -> 0.32 -> 0.3 (a dip of 0.02 is tolerated)
    # B in between: calm, arousal falling
    speakers = ["A", "B"] * 4 + ["A"]
    valence = [-0.3, 0.1, -0.4, 0.1, -0.5, 0.2, -0.6, 0.1, -0.7]
    arousal = [0.1, 0.0, 0.15, -0.1, 0.2, -0.1, 0.32, -0.2, 0.3]
    vad = np.column_stack([valence, arousal, np.zeros(9)])
    d = dynamics(speakers, ["anger"] * 9, vad)
    # A's windows (0,2,4,6): rise 0.22 >= 0.2; (2,4,6,8): rise 0.15 < 0.2 -> one span, 0..6
    assert [(e.start_turn, e.end_turn, e.speaker) for e in d.escalations] == [(0, 6, "A")]
    assert d.escalation and d.escalation_rule.startswith("one speaker's 4 turns")
    # three turns: (0,2,4) rises 0.1, (2,4,6) 0.17, (4,6,8) 0.1 — none reaches 0.2
    assert dynamics(speakers, ["anger"] * 9, vad, escalation_turns=3).escalations == []


def test_escalation_needs_an_exchange_negative_valence_and_a_real_rise():
    rising = np.column_stack([[-0.3] * 4, [0.0, 0.1, 0.2, 0.3], np.zeros(4)])
    assert dynamics(["A"] * 4, ["anger"] * 4, rising).escalations == []  # a monologue answers nobody
    ab = ["A", "B"] * 4
    vad = np.zeros((8, 3))
    vad[0::2] = rising
    assert dynamics(ab, ["anger"] * 8, vad).escalations  # A's four turns, B answering
    calm = vad.copy()
    calm[0::2, 0] = -0.05  # valence not below -0.1
    assert dynamics(ab, ["anger"] * 8, calm).escalations == []
    dip = vad.copy()
    dip[4, 1] = 0.0  # A's arousal falls by 0.1 on the way
    assert dynamics(ab, ["anger"] * 8, dip).escalations == []


def test_given_turn_indices_and_unknown_speakers():
    # turns 1 and 3 of the conversation were left out; turn 4's speaker is unknown
    d = dynamics(["A", "B", "A", None, "B"], ["joy", "anger", "anger", "fear", "anger"], VAD, turns=[0, 2, 4, 5, 6])
    assert {t.speaker: t.turns for t in d.trajectories} == {"A": [0, 4], "B": [2, 6]}
    # A: joy -> anger (a label shift); B: anger -> anger, but valence 0.5 -> -0.6 (a VAD shift)
    assert [(s.turn, s.previous_turn, s.kinds) for s in d.shifts] == [(4, 0, ["label", "vad"]), (6, 2, ["vad"])]
    # adjacent pairs with two known, different speakers: (0,2) A-B, (2,4) B-A; pairs with turn 5 do not count
    assert d.contagion == pytest.approx(0.5)  # joy->anger no, anger->anger yes
