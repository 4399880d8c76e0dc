"""The conversation analyzer with the shipped context model, and the CLI around it."""

from __future__ import annotations

import pytest

from affectlens.conversation.analyzer import Conversation, ConversationAnalyzer

EKMAN = {"anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral"}


@pytest.fixture(scope="module")
def analyzer():
    return ConversationAnalyzer(threads=2)


def test_turns_are_analyses_in_ekman_with_context(analyzer):
    texts = ["I got the job!", "That's wonderful news, congratulations!", "But I have to move far away from my family.", "Oh no."]
    result = analyzer.analyze(Conversation("c", ["A", "B", "A", "B"], texts))
    assert [t.index for t in result.turns] == [0, 1, 2, 3] and result.turns[2].speaker == "A"
    for turn, text in zip(result.turns, texts):
        a = turn.analysis
        assert a.text == text and a.taxonomy == "ekman@1" and set(a.scores) == EKMAN
        assert sum(a.scores.values()) == pytest.approx(1.0, abs=1e-3) and a.labels == [a.dominant]
        assert a.confidence == pytest.approx(max(a.scores.values()), abs=1e-4)
    assert result.turns[0].analysis.dominant == "joy" and result.turns[2].analysis.vad.valence < 0
    assert result.backend == "conversation/minilm-meld-context@1+causes/positional-rule@1"
    assert any("positional rule" in w for w in result.warnings)
    emotional = {t.index for t in result.turns if t.analysis.dominant != "neutral"}
    assert result.causes and all(c.effect_turn in emotional and c.cause_turn <= c.effect_turn for c in result.causes)


def test_the_same_words_read_differently_after_different_turns(analyzer):
    after_good = analyzer.analyze(Conversation("g", ["A", "B"], ["We won the lottery!!", "Oh my god."]))
    after_bad = analyzer.analyze(Conversation("b", ["A", "B"], ["Grandpa died this morning.", "Oh my god."]))
    good, bad = after_good.turns[1].analysis, after_bad.turns[1].analysis
    assert good.scores["sadness"] < bad.scores["sadness"]


def test_a_calm_reply_does_not_borrow_the_anger_it_answers(analyzer):
    """The README's support chat: the context model read the agent's refund as anger 0.47, all of
    it from the customer's turn before (0.06 read alone)."""
    texts = [
        "Held? Nobody told me anything! This is ridiculous, I want a refund now!",
        "I've issued a full refund and sent a replacement with free express shipping.",
    ]
    customer, agent = analyzer.analyze(Conversation("s", ["customer", "agent"], texts)).turns
    assert customer.analysis.dominant == "anger" and not customer.analysis.warnings
    assert agent.analysis.dominant != "anger" and agent.analysis.scores["anger"] < 0.25
    assert any("came from the turns before" in w for w in agent.analysis.warnings)


def test_any_backend_can_score_turns_one_by_one():
    result = ConversationAnalyzer(backend="embedded").analyze(Conversation("e", ["A", "B"], ["I'm so happy!", "I'm furious."]))
    assert [t.analysis.dominant for t in result.turns] == ["joy", "anger"]
    assert result.backend.startswith("embedded/")


def test_empty_held_and_speakerless_turns_keep_their_place(analyzer):
    texts = ["I got the job!", "", "That's wonderful, congratulations!", "x" * 50, "But I have to move far away.", "Oh no."]
    speakers = ["A", "B", "B", "A", None, "B"]
    full = Conversation("c", speakers, texts, held={3: "not analysed: 50 characters, over the limit of 40"})
    result = analyzer.analyze(full)
    assert [t.index for t in result.turns] == [0, 1, 2, 3, 4, 5]  # nothing renumbered
    empty, held, unknown = result.turns[1], result.turns[3], result.turns[4]
    assert empty.analysis.dominant is None and empty.analysis.scores == {} and "empty turn" in empty.analysis.warnings[0]
    assert held.analysis.dominant is None and held.analysis.warnings[0].startswith("not analysed: 50 characters")
    assert unknown.speaker is None and unknown.analysis.dominant is not None  # analysed, and read as context
    counted = {0, 2, 4, 5}
    assert {c.effect_turn for c in result.causes} | {c.cause_turn for c in result.causes} <= counted
    d = result.dynamics
    assert {s.turn for s in d.shifts} <= counted and {s.previous_turn for s in d.shifts} <= counted
    assert sorted(t.speaker for t in d.trajectories) == ["A", "B"]
    assert {n for t in d.trajectories for n in t.turns} == {0, 2, 5}
    assert any("turns 1, 3 are empty" in w for w in result.warnings)
    assert any("turns 4 have no speaker" in w for w in result.warnings)
    # the same conversation without those turns reads the same: they are not context either
    alone = analyzer.analyze(Conversation("d", ["A", "B", "X", "B"], [texts[0], texts[2], texts[4], texts[5]]))
    assert [t.analysis.scores for t in alone.turns] == [result.turns[i].analysis.scores for i in (0, 2, 4, 5)]


def test_a_reply_thread_reads_each_reply_with_its_own_branch(analyzer):
    texts = ["We finally adopted a puppy!", "Mine died last week, I miss him so much.", "Congratulations, enjoy!", "Oh no."]
    # 1 and 2 both answer 0; 3 answers 1 (the sad branch)
    tree = analyzer.analyze(Conversation("t", ["A", "B", "C", "A"], texts, parents=[None, 0, 0, 1]))
    assert [t.parent for t in tree.turns] == [None, 0, 0, 1]
    branch = analyzer.analyze(Conversation("b", ["A", "B", "A"], [texts[0], texts[1], texts[3]]))
    # "Oh no." is read after the post it answers, not after the sibling "Congratulations"
    assert tree.turns[3].analysis.scores == branch.turns[2].analysis.scores
    assert all(c.cause_turn in (0, 1, 3) for c in tree.causes if c.effect_turn == 3)
