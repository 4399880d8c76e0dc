from hypothesis import given
from hypothesis import strategies as st

from affectlens.analyzers.textview import model_view


def test_ascii_and_plain_unicode_are_unchanged():
    assert model_view("plain text").origin is None
    view = model_view("naïve café")
    assert view.text == "naïve café" and view.origin is None


def test_emojis_are_read_as_names_and_map_back():
    text = "love it ❤ so much 😂!"
    view = model_view(text)
    assert "heavy black heart" in view.text and "face with tears of joy" in view.text
    start = view.text.index("tears")
    assert view.to_original(start, start + 5) == (text.index("😂"), text.index("😂") + 1)


def test_surrogates_and_braille():
    view = model_view("a\ud800b ⣿")
    assert view.text == "a\ufffdb ⣿"


@given(st.text())
def test_every_view_character_maps_into_the_text(text):
    view = model_view(text)
    if view.origin is None:
        assert view.text == text
    else:
        assert len(view.origin) == len(view.text)
        assert all(0 <= i < len(text) for i in view.origin)
        assert list(view.origin) == sorted(view.origin)


def test_compatibility_forms_read_as_the_letters_they_are_and_map_back():
    text = "Ｉ ａｍ 𝐯𝐞𝐫𝐲 ﬁne"
    view = model_view(text)
    assert view.text == "I am very fine"
    start = view.text.index("fine")
    assert view.to_original(start, start + 4) == (text.index("ﬁ"), len(text))  # "fi" came from one ligature
