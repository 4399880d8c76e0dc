"""The language check: English passes (cheaply), other languages get a warning and lower confidence."""

import pytest

from affectlens.reasoning import language
from affectlens.reasoning.language import check_language


@pytest.mark.parametrize(
    "text",
    [
        "I can't believe they cancelled the show, I'm honestly furious.",
        "ORANGE MAN BAD AND IS HITLER!!!! EVERYONE I DONT LIKE IS HITLER",
        "ok lol",  # too short to judge
        "Ｉ ａｍ ｓｏ ａｎｇｒｙ ａｔ ｙｏｕ ｒｉｇｈｔ ｎｏｗ",  # fullwidth
        "𝐓𝐡𝐢𝐬 𝐢𝐬 𝐭𝐡𝐞 𝐛𝐞𝐬𝐭 𝐝𝐚𝐲 𝐨𝐟 𝐦𝐲 𝐥𝐢𝐟𝐞",  # mathematical bold
        "Danger noodle!!! Danger noodle!!! 😂😂",
    ],
)
def test_english_is_english(text):
    assert check_language(text).is_english


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Ich bin heute wirklich sehr wütend auf dich", "de"),
        ("Je suis vraiment très en colère contre toi aujourd'hui", "fr"),
        ("Estoy muy feliz de verte otra vez, amigo mío", "es"),
        ("本当に腹が立つ", "ja"),  # a non-Latin script is told apart even when short
        ("Я очень зол", "ru"),
    ],
)
def test_other_languages_are_named(text, code):
    check = check_language(text)
    assert not check.is_english and check.language == code and check.english < 0.05


def test_most_english_never_loads_the_detector():
    language._identifier.cache_clear()
    for text in ["You are the best friend I have ever had", "What is going on with this thread, it is so weird"]:
        assert check_language(text).is_english
    assert language._identifier.cache_info().currsize == 0


def test_the_analyzer_warns_and_lowers_confidence(embedded):
    english, german = embedded.analyze_batch(
        ["I am so happy for you, congratulations!", "Ich freue mich so sehr für dich, herzlichen Glückwunsch!"]
    )
    assert not english.warnings
    (warning,) = german.warnings
    assert warning.startswith("the text looks like German, not English") and "confidence lowered" in warning
    assert german.confidence <= 0.05 * english.confidence


def test_fullwidth_text_is_read_as_letters(embedded):
    plain, wide = embedded.analyze_batch(["I am angry", "Ｉ ａｍ ａｎｇｒｙ"])
    assert wide.scores == plain.scores and not wide.warnings
