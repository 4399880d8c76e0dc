"""The per-token int8 rewrite, on a small graph built here (no torch needed).

The graph runs through :func:`affectlens.analyzers.session.int8_session`, the factory every
shipped model goes through, so this checks the shipped session settings: without them, on
an AVX2 CPU without VNNI, onnxruntime's saturating uint8 x int8 kernel is off by up to 279
here (seen under ``qemu-x86_64 -cpu Haswell`` and on a real AMD EPYC of that kind).
"""

import numpy as np
import onnxruntime as ort
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from affectlens.analyzers.session import SESSION_CONFIG, int8_session, session_options  # noqa: E402
from affectlens.errors import ProgrammingError  # noqa: E402
from affectlens.training.export import quantize_per_token  # noqa: E402

RNG = np.random.default_rng(0)
W1 = RNG.normal(size=(16, 32)).astype(np.float32)
W2 = RNG.normal(size=(16, 8)).astype(np.float32)


def build(path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", "t", 16])
    y1 = helper.make_tensor_value_info("y1", TensorProto.FLOAT, ["b", "t", 32])
    y2 = helper.make_tensor_value_info("y2", TensorProto.FLOAT, ["b", "t", 8])
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w1"], ["y1"]), helper.make_node("MatMul", ["x", "w2"], ["y2"])],
        "g",
        [x],
        [y1, y2],
        [numpy_helper.from_array(W1, "w1"), numpy_helper.from_array(W2, "w2")],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


def reference(x, w):
    """Per-token symmetric int8 activations, per-column int8 weights, in numpy."""
    a_scale = np.maximum(np.abs(x).max(axis=-1, keepdims=True), 1e-8) / 127
    a_q = np.round(x / a_scale)
    w_scale = np.abs(w).max(axis=0) / 127
    w_q = np.clip(np.rint(w / w_scale), -127, 127)
    return (a_q @ w_q) * a_scale * w_scale


def run(path, x, level=ort.GraphOptimizationLevel.ORT_ENABLE_ALL):
    return int8_session(path, optimization_level=level).run(None, {"x": x})


def test_sessions_ask_for_exact_integer_products():
    """The setting that keeps AVX2-only CPUs off the saturating kernel is in every session."""
    assert SESSION_CONFIG == {"session.x64quantprecision": "1"}
    options = session_options(threads=1)
    assert options.get_session_config_entry("session.x64quantprecision") == "1"
    assert options.intra_op_num_threads == 1
    with pytest.raises(ProgrammingError, match="ORT_ENABLE_EXTENDED"):  # the rewrite is an extended-level optimisation
        session_options(optimization_level=ort.GraphOptimizationLevel.ORT_ENABLE_BASIC)


def test_matches_the_reference_and_does_not_depend_on_the_batch(tmp_path):
    build(tmp_path / "fp32.onnx")
    assert quantize_per_token(tmp_path / "fp32.onnx", tmp_path / "q.onnx") == 2
    x = RNG.normal(size=(3, 5, 16)).astype(np.float32)
    x[1] *= 50  # a loud text in the batch must not change the others
    y1, y2 = run(tmp_path / "q.onnx", x)
    np.testing.assert_allclose(y1, reference(x, W1), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(y2, reference(x, W2), rtol=1e-4, atol=1e-3)
    alone = run(tmp_path / "q.onnx", x[:1])[0]
    np.testing.assert_array_equal(alone, y1[:1])
    extended = run(tmp_path / "q.onnx", x, ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED)[0]
    np.testing.assert_allclose(extended, y1, rtol=1e-5, atol=1e-5)
    fp32 = run(tmp_path / "fp32.onnx", x)[0]
    cos = (fp32 * y1).sum(-1) / np.linalg.norm(fp32, axis=-1) / np.linalg.norm(y1, axis=-1)
    assert cos.min() > 0.999
