import numpy as np

from affectlens.training.finetune import _batches


def test_plain_batches_follow_the_order():
    order = np.random.default_rng(0).permutation(70)
    batches = _batches(order, 32, None, 0, np.random.default_rng(1))
    assert [len(b) for b in batches] == [32, 32, 6]
    assert np.array_equal(np.concatenate(batches), order)


def test_length_buckets_keep_every_text_once_and_pad_less():
    rng = np.random.default_rng(0)
    lengths = rng.integers(3, 120, size=1000)
    order = rng.permutation(1000)
    plain = _batches(order, 32, None, 0, rng)
    bucketed = _batches(order, 32, lengths, 10, np.random.default_rng(2))
    assert sorted(np.concatenate(bucketed).tolist()) == list(range(1000))
    assert len(bucketed) == len(plain)  # only the last window's last batch is short

    def padded(batches):
        return sum(len(b) * lengths[b].max() for b in batches)

    assert padded(bucketed) < 0.7 * padded(plain)
    # the batches are shuffled, not served shortest first
    maxima = [lengths[b].max() for b in bucketed]
    assert maxima != sorted(maxima)
