"""The Softmax rewrite that makes the shipped graphs give the same bits on every CPU.

That it does is measured, not tested here, for it needs a CPU of the other class: under
``qemu-x86_64 -cpu Haswell`` on an AVX-512 VNNI CPU, every intermediate tensor of the shipped
encoder matched the native one bit for bit after the rewrite; before it they differed from
the first Softmax on (docs/benchmarks.md). What is tested: the rewrite computes softmax, and
every shipped graph has had it. That a text's answer does not depend on its batch is
tested on the shipped model (tests/analyzers/test_encoder.py).
"""

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402

from affectlens.training.export import portable_softmax  # noqa: E402

ASSETS = Path(__file__).resolve().parents[2] / "src" / "affectlens" / "assets"


def softmax_graph(axis: int, opset: int):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", "h", "t", "t"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", "h", "t", "t"])
    node = helper.make_node("Softmax", ["x"], ["y"], axis=axis)
    return helper.make_model(helper.make_graph([node], "g", [x], [y]), opset_imports=[helper.make_opsetid("", opset)])


@pytest.mark.parametrize(("axis", "opset"), [(-1, 17), (2, 17), (-1, 18)])
def test_the_rewrite_computes_softmax(axis, opset):
    model = softmax_graph(axis, opset)
    x = np.random.default_rng(1).normal(scale=8, size=(2, 3, 5, 5)).astype(np.float32)
    x[0, 0, 0, 1:] = -1e4  # a masked row, as attention masks make them
    (expected,) = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})
    assert portable_softmax(model) == 1
    onnx.checker.check_model(model)
    assert "Softmax" not in {n.op_type for n in model.graph.node}
    (got,) = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(got.sum(axis=axis), 1.0, rtol=1e-6)
    assert portable_softmax(model) == 0  # nothing left to rewrite


def test_old_opsets_are_refused():
    with pytest.raises(ValueError, match="opset 12"):
        portable_softmax(softmax_graph(-1, 12))


@pytest.mark.parametrize("graph", sorted(ASSETS.glob("*/encoder.onnx")), ids=lambda p: p.parent.name)
def test_every_shipped_encoder_is_portable(graph):
    ops = {n.op_type for n in onnx.load(str(graph)).graph.node}
    assert "Softmax" not in ops and {"Exp", "CumSum"} <= ops
    assert "portable" in json.loads((graph.parent / "MANIFEST.json").read_text(encoding="utf-8"))


def test_a_folder_without_a_model_is_one_clear_line(tmp_path, capsys):
    from affectlens.training.__main__ import main

    with pytest.raises(SystemExit) as exit_info:
        main(["portable", str(tmp_path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{tmp_path / 'encoder.onnx'}: no such file" in err
