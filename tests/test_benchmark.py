from affectlens.benchmark import benchmark, benchmark_texts, cpu_info


def test_bundled_texts_are_realistic():
    texts = benchmark_texts()
    assert len(texts) >= 50
    assert 12 <= sum(len(t.split()) for t in texts) / len(texts) <= 25


def test_benchmark_figures(fake):
    result = benchmark("fake", n_batch=50, n_single=10)
    assert result["backend"] == "fake/keywords@1" and result["n_batch"] == 50
    assert result["batch_texts_per_s"] > 0 and 0 < result["single_p50_ms"] <= result["single_p95_ms"]
    assert result["cores"] >= 1


EPYC_AVX2 = "processor\t: 0\nmodel name\t: AMD EPYC 7B12\nflags\t\t: fpu sse2 avx avx2 fma\n\nprocessor\t: 1\n"
XEON_VNNI = "model name\t: Intel(R) Xeon(R) Platinum 8481C\nflags\t\t: avx2 avx512f avx512_vnni amx_tile\n"
GRAVITON = "processor\t: 0\nBogoMIPS\t: 243.75\nFeatures\t: fp asimd asimddp i8mm\nCPU part\t: 0xd40\n"


def test_cpu_info_names_the_flags_that_change_int8_speed():
    epyc = cpu_info(EPYC_AVX2)
    assert epyc["model"] == "AMD EPYC 7B12" and epyc["int8_class"] == "x86 AVX2 without VNNI"
    assert epyc["flags"]["avx2"] and not epyc["flags"]["avx512_vnni"]
    assert cpu_info(XEON_VNNI)["int8_class"] == "x86 VNNI"
    arm = cpu_info(GRAVITON)
    assert arm["int8_class"] == "ARM dot product" and arm["flags"]["i8mm"]
    assert cpu_info("")["flags"] is None


def test_benchmark_records_the_cpu(fake):
    result = benchmark("fake", n_batch=5, n_single=2)
    assert result["cpu"]["model"] and "int8_class" in result["cpu"]
    assert isinstance(result["cpu"]["int8_saturation_fix"], bool)
