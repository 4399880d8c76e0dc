"""The per-token int8 rewrite, on a small graph built here (no torch needed).

The graph runs through :func:`affectlens.analyzers.session.int8_session`, the factory every
shipped model goes through, so this checks the shipped session settings: without them, on
an x86 CPU without VNNI, onnxruntime's saturating uint8 x int8 kernel is off by up to 279
here (seen under ``qemu-x86_64 -cpu Haswell`` and ``-cpu Skylake-Server``, and on a real
AMD EPYC of that kind); with them it is exact on every CPU.
"""

import numpy as np
import onnxruntime as ort
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from affectlens.analyzers import session  # noqa: E402
from affectlens.analyzers.session import SESSION_CONFIG, int8_session, session_options  # noqa: E402
from affectlens.errors import ProgrammingError  # noqa: E402
from affectlens.training.export import quantize_per_token, write_int8_probe  # noqa: E402

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


def exact_setting(options):
    try:
        return options.get_session_config_entry("session.x64quantprecision")
    except RuntimeError:  # not set
        return None


def test_sessions_get_exact_integer_products_on_any_cpu(monkeypatch):
    """The probe decides; sessions get the setting exactly when this CPU's fast kernel saturates."""
    assert SESSION_CONFIG == {"session.x64quantprecision": "1"}
    assert session.needs_exact_products() is (exact_setting(session_options()) == "1")
    assert exact_setting(session_options(exact=True)) == "1"
    monkeypatch.setattr(session, "needs_exact_products", lambda: True)  # as on an x86 CPU without VNNI
    assert exact_setting(session_options(threads=1)) == "1"
    (answer,) = int8_session(session.PROBE).run(None, {"x": np.ones((1, 1, 16), np.float32)})
    np.testing.assert_allclose(answer, session.PROBE_ANSWER)
    with pytest.raises(ProgrammingError, match="ORT_ENABLE_EXTENDED"):  # the rewrite is an extended-level optimisation
        session_options(optimization_level=ort.GraphOptimizationLevel.ORT_ENABLE_BASIC)


def test_the_shipped_probe_is_what_the_generator_writes(tmp_path):
    write_int8_probe(tmp_path / "probe.onnx")
    shipped, fresh = (onnx.load(str(p)) for p in (session.PROBE, tmp_path / "probe.onnx"))
    assert [n.op_type for n in shipped.graph.node] == [n.op_type for n in fresh.graph.node]
    assert "MatMulIntegerToFloat" in {n.op_type for n in shipped.graph.node}
    weights = {i.name: numpy_helper.to_array(i) for i in fresh.graph.initializer}
    for init in shipped.graph.initializer:
        np.testing.assert_array_equal(numpy_helper.to_array(init), weights[init.name])


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
