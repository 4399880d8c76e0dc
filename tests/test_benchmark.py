from affectlens.benchmark import benchmark, benchmark_texts


def test_bundled_texts_are_realistic():
    texts = benchmark_texts()
    assert len(texts) >= 50
    assert 12 <= sum(len(t.split()) for t in texts) / len(texts) <= 25


def test_benchmark_figures(fake):
    result = benchmark("fake", n_batch=50, n_single=10)
    assert result["backend"] == "fake/keywords@1" and result["n_batch"] == 50
    assert result["batch_texts_per_s"] > 0 and 0 < result["single_p50_ms"] <= result["single_p95_ms"]
    assert result["cores"] >= 1
