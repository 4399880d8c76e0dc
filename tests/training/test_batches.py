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


def test_source_priors_start_at_the_log_odds_of_each_sources_rates():
    from affectlens.training.finetune import _prior_init

    groups = np.zeros((28, 29), dtype=np.float32)
    groups[:, :28] = np.eye(28)
    groups[[1, 2], 28] = 1  # one group column over outputs 1 and 2
    gold = np.zeros((300, 29), dtype=np.float32)
    annotated = np.zeros_like(gold)
    origin = np.repeat([0, 1, 2], 100)
    annotated[:100, :28] = 1
    gold[:10, 0] = 1  # GoEmotions stream: output 0 on 10%, outputs 1-2 (the group) on 20%
    gold[10:20, 1] = gold[20:30, 2] = 1
    annotated[100:200, 0] = 1
    gold[100:150, 0] = 1  # source 1: output 0 on half its texts
    annotated[200:, 28] = 1
    gold[200:280, 28] = 1  # source 2: the group on 80%

    def log_odds(p):
        return np.log(p / (1 - p))

    priors = _prior_init(gold, annotated, origin, groups)
    assert priors.shape == (2, 28)
    assert np.isclose(priors[0, 0], log_odds(0.5) - log_odds(0.1), atol=1e-5) and not priors[0, 1:].any()
    assert np.allclose(priors[1, [1, 2]], log_odds(0.8) - log_odds(0.2), atol=1e-5)
    assert not np.delete(priors[1], [1, 2]).any()
    assert _prior_init(gold[:100], annotated[:100], origin[:100], None).shape == (0, 28)
