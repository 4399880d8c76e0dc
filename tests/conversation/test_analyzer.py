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


def test_any_backend_can_score_turns_one_by_one():
    result = ConversationAnalyzer(backend="embedded").analyze(Conversation("e", ["A", "B"], ["I'm so happy!", "I'm furious."]))
    assert [t.analysis.dominant for t in result.turns] == ["joy", "anger"]
    assert result.backend.startswith("embedded/")
