import numpy as np
import pytest

from affectlens.analyzers.encoder import window_spans


@pytest.mark.parametrize("n", [0, 1, 126, 127, 300, 1000])
def test_windows_cover_every_token_within_the_size(n):
    spans = window_spans(n, 126, 96)
    covered = set()
    for a, b in spans:
        assert 0 <= a < b <= n or n == 0
        assert b - a <= 126
        covered.update(range(a, b))
    assert covered == set(range(n))


def test_offsets_point_into_the_text(embedded):
    text = "Naïve café — I’m sooo happy 😍😍 #blessed \ud800 日本語"
    enc = embedded.encoder.encode([text])[0]
    for start, end in enc.offsets:
        assert 0 <= start < end <= len(text)
    assert text[enc.offsets[0][0] : enc.offsets[0][1]].lower() == "naïve"


def test_a_texts_vector_does_not_depend_on_its_batch(embedded):
    texts = ["I love this so much!", "short", "This is a considerably longer sentence about a bad day " * 3]
    alone = [embedded.encoder.encode([t])[0].pooled for t in texts]
    together = [e.pooled for e in embedded.encoder.encode(texts)]
    for a, b in zip(alone, together):
        np.testing.assert_array_equal(a, b)


def test_long_texts_are_windowed_not_cut(embedded):
    text = "I was happy at first. " * 60 + "Then everything fell apart and I cried all night."
    enc = embedded.encoder.encode([text])[0]
    assert len(enc.windows) > 1
    assert enc.windows[-1][1] == enc.n_tokens  # the last token is in a window
    assert enc.pooled.shape[0] == len(enc.windows)
