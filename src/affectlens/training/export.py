"""Export a fine-tuned checkpoint to the files the embedded backend loads.

- ``encoder.onnx``: the transformer traced from ``inputs_embeds`` + ``attention_mask`` to
  the last hidden states, with every weight MatMul quantised to int8 by
  :func:`quantize_per_token` and every Softmax spelled out by :func:`portable_softmax`.
- ``embeddings.npz``: the word-embedding table as int8 with one fp32 scale per row.
- ``heads.npz``: the linear emotion and VAD heads (VAD standardisation folded in).
- ``tokenizer.json``: the base model's tokenizer.

Every step is checked against the fp32 torch model on real texts; the figures are
returned and written into the manifest.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from affectlens.training.finetune import load_checkpoint

__all__ = ["export", "export_encoder", "make_portable", "portable_softmax", "quantize_per_token", "write_int8_probe"]


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1) + 1e-12)


def export(checkpoint: Path, base_model: Path, out_dir: Path, sample_texts: list[str]) -> dict[str, Any]:
    """Write the runtime files into ``out_dir``; return fidelity checks against torch fp32."""
    state = load_checkpoint(checkpoint)
    checks = export_encoder(state, checkpoint / "encoder_config.json", base_model, out_dir, sample_texts)
    vad_std, vad_mean = state["vad_std"].numpy(), state["vad_mean"].numpy()
    np.savez(
        out_dir / "heads.npz",
        emotion_w=state["emotion_head.weight"].numpy().T.astype(np.float32),
        emotion_b=state["emotion_head.bias"].numpy().astype(np.float32),
        vad_w=(state["vad_head.weight"].numpy().T * vad_std).astype(np.float32),
        vad_b=(state["vad_head.bias"].numpy() * vad_std + vad_mean).astype(np.float32),
    )
    shutil.copyfile(base_model / "tokenizer.json", out_dir / "tokenizer.json")
    return checks


def export_encoder(
    state: dict[str, Any],
    config_path: Path,
    base_model: Path,
    out_dir: Path,
    sample_texts: list[str],
    *,
    write_embeddings: bool = True,
) -> dict[str, Any]:
    """Write ``encoder.onnx`` (int8) and, unless told not to, ``embeddings.npz``; check both."""
    import torch
    from transformers import BertConfig, BertModel

    out_dir.mkdir(parents=True, exist_ok=True)
    config = BertConfig.from_json_file(str(config_path))
    config._attn_implementation = "eager"
    encoder = BertModel(config, add_pooling_layer=False).eval()
    encoder_state = {k[len("encoder.") :]: v for k, v in state.items() if k.startswith("encoder.")}
    missing, unexpected = encoder.load_state_dict(encoder_state, strict=False)
    unexpected = [k for k in unexpected if not k.startswith("pooler.")]
    if missing or unexpected:
        raise RuntimeError(f"checkpoint does not fit the encoder: missing {missing}, unexpected {unexpected}")

    class Wrapper(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, inputs_embeds: Any, attention_mask: Any) -> Any:
            return self.encoder(inputs_embeds=inputs_embeds, attention_mask=attention_mask).last_hidden_state

    wrapper = Wrapper().eval()
    table = encoder.embeddings.word_embeddings.weight.detach().numpy().astype(np.float32)

    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(base_model / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(128)
    tokenizer.enable_padding(pad_id=0)
    encs = tokenizer.encode_batch(sample_texts)
    ids = np.asarray([e.ids for e in encs], dtype=np.int64)
    mask = np.asarray([e.attention_mask for e in encs], dtype=np.int64)
    with torch.no_grad():
        reference = wrapper(torch.from_numpy(table[ids]), torch.from_numpy(mask)).numpy()

    with tempfile.TemporaryDirectory() as tmp:
        fp32_path = Path(tmp) / "encoder-fp32.onnx"
        torch.onnx.export(
            wrapper,
            (torch.from_numpy(table[ids[:2]]), torch.from_numpy(mask[:2])),
            str(fp32_path),
            input_names=["inputs_embeds", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={name: {0: "batch", 1: "tokens"} for name in ("inputs_embeds", "attention_mask", "last_hidden_state")},
            opset_version=17,
            dynamo=False,
        )
        fp32_diff = float(np.abs(_run_onnx(fp32_path, table[ids], mask) - reference).max())
        quantize_per_token(fp32_path, out_dir / "encoder.onnx")
        make_portable(out_dir / "encoder.onnx")

    scale = np.maximum(np.abs(table).max(axis=1), 1e-8) / 127.0
    q = np.clip(np.rint(table / scale[:, None]), -127, 127).astype(np.int8)
    if write_embeddings:
        np.savez(out_dir / "embeddings.npz", q=q, scale=scale.astype(np.float32))
    table_q = q.astype(np.float32) * scale[:, None].astype(np.float32)

    quantised = _run_onnx(out_dir / "encoder.onnx", table_q[ids], mask)
    m = mask[..., None]
    pooled_ref = (reference * m).sum(1) / m.sum(1)
    pooled_q = (quantised * m).sum(1) / m.sum(1)
    cos = _cosine(pooled_ref, pooled_q)
    return {
        "onnx_fp32_max_abs_diff": round(fp32_diff, 7),
        "int8_pooled_cosine_mean": round(float(cos.mean()), 5),
        "int8_pooled_cosine_min": round(float(cos.min()), 5),
        "embedding_table_rel_error": round(float(np.abs(table_q - table).mean() / np.abs(table).mean()), 5),
        "checked_on_texts": len(sample_texts),
    }


def _run_onnx(path: Path, embeds: np.ndarray, mask: np.ndarray) -> np.ndarray:
    from affectlens.analyzers.session import int8_session

    session = int8_session(path)
    (out,) = session.run(["last_hidden_state"], {"inputs_embeds": embeds.astype(np.float32), "attention_mask": mask})
    return out


def quantize_per_token(src: Path, dst: Path) -> int:
    """Rewrite every MatMul with a 2-D weight as an int8 matmul; return how many.

    Weights: symmetric int8, one scale per output column. Activations: symmetric int8 with
    one scale per token row, computed at run time from that row alone, stored as uint8
    with zero point 128 (the fast uint8 x int8 kernel). onnxruntime's own dynamic
    quantisation uses one scale per *tensor*, so a text's scores would depend on the other
    texts in its batch (measured: 9% of GoEmotions dev texts changed a label); per-token
    scales make every text's result independent of its batch, and are closer to fp32.

    Per matmul, tokens are flattened to rows ``[M, K]``; ``QuantizeLinear`` with a per-row
    scale (axis 0) quantises in one pass, and ``MatMulIntegerToFloat`` multiplies and
    applies the column scales in one kernel; the row scales are applied after it.
    """
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(src))
    graph = model.graph
    weights = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    constants = {
        "ptq_eps": np.array(1e-8, np.float32),
        "ptq_127": np.array(127.0, np.float32),
        "ptq_one": np.array(1.0, np.float32),
        "ptq_zero_point": np.array(128, np.uint8),
        "ptq_start": np.array([0], np.int64),
        "ptq_last": np.array([-1], np.int64),
        "ptq_axis1": np.array([1], np.int64),
    }
    graph.initializer.extend(numpy_helper.from_array(v, k) for k, v in constants.items())
    zero_points = numpy_helper.from_array(np.array([128], np.uint8))
    nodes: list[Any] = []
    quantized: dict[str, str] = {}  # activation name -> prefix of its quantised form
    count = 0
    for node in graph.node:
        weight = weights.get(node.input[1]) if node.op_type == "MatMul" else None
        if weight is None or weight.ndim != 2:
            nodes.append(node)
            continue
        rows_in, columns = weight.shape
        w_scale = np.maximum(np.abs(weight).max(axis=0), 1e-8) / 127.0
        w_q = np.clip(np.rint(weight / w_scale), -127, 127).astype(np.int8)
        w = f"ptq_w{count}_"
        count += 1
        graph.initializer.extend(
            [
                numpy_helper.from_array(w_q, w + "q"),
                numpy_helper.from_array(w_scale.astype(np.float32), w + "scale"),
                numpy_helper.from_array(np.array([-1, rows_in], np.int64), w + "rows_shape"),
                numpy_helper.from_array(np.array([columns], np.int64), w + "columns"),
            ]
        )
        source = node.input[0]
        if source not in quantized:  # Q, K and V share one input: quantise it once
            a = quantized[source] = f"ptq_a{len(quantized)}_"
            nodes += [
                helper.make_node("Shape", [source], [a + "shape"]),
                helper.make_node("Reshape", [source, w + "rows_shape"], [a + "rows"]),
                helper.make_node("Abs", [a + "rows"], [a + "abs"]),
                helper.make_node("ReduceMax", [a + "abs"], [a + "max"], axes=[1], keepdims=0),
                helper.make_node("Max", [a + "max", "ptq_eps"], [a + "max_safe"]),
                helper.make_node("Div", [a + "max_safe", "ptq_127"], [a + "scale"]),
                helper.make_node("Shape", [a + "scale"], [a + "count"]),
                helper.make_node("ConstantOfShape", [a + "count"], [a + "zero_points"], value=zero_points),
                helper.make_node("QuantizeLinear", [a + "rows", a + "scale", a + "zero_points"], [a + "q"], axis=0),
                helper.make_node("Unsqueeze", [a + "scale", "ptq_axis1"], [a + "row_scale"]),
                helper.make_node("Slice", [a + "shape", "ptq_start", "ptq_last"], [a + "lead"]),
            ]
        a = quantized[source]
        nodes += [
            helper.make_node(
                "MatMulIntegerToFloat",
                [a + "q", w + "q", "ptq_one", w + "scale", "ptq_zero_point"],
                [w + "columns_scaled"],
                domain="com.microsoft",
            ),
            helper.make_node("Mul", [w + "columns_scaled", a + "row_scale"], [w + "out_rows"]),
            helper.make_node("Concat", [a + "lead", w + "columns"], [w + "out_shape"], axis=0),
            helper.make_node("Reshape", [w + "out_rows", w + "out_shape"], [node.output[0]]),
        ]
    del graph.node[:]
    graph.node.extend(nodes)
    model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    used = {name for node in graph.node for name in node.input}
    kept = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    onnx.save(model, str(dst))
    return count


def portable_softmax(model: Any) -> int:
    """Spell out every ``Softmax`` of ``model`` (an ``onnx.ModelProto``, changed in place) with
    plain operators that give the same bits on every x86 CPU and for every batch; return how many.

    onnxruntime runs ``Softmax`` on kernels it picks by the CPU at run time (AVX2 or AVX-512),
    which differ in the last bit. A bit is enough: the next per-token requantisation rounds it
    to a different int8 step now and then, and six layers later a hidden state had moved by
    up to 0.06, a VAD value by up to 0.006 (docs/benchmarks.md). Here the row maximum
    (``ReduceMax``), the shift (``Sub``), ``Exp`` and the division are exact or element-wise.
    The row sum is the last element of a ``CumSum``, which adds strictly left to right: a
    vectorised ``ReduceSum`` groups its terms by the row's length, so a text's sum would
    change with the padding its batch gives it, while trailing zeros (padded positions) leave
    a running sum as it was.
    """
    from onnx import helper, numpy_helper

    graph = model.graph
    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    if opset < 13:  # Softmax normalised a flattened tail before 13
        raise ValueError(f"opset {opset}: portable_softmax needs opset 13 or later")
    nodes: list[Any] = []
    count = 0
    for node in graph.node:
        if node.op_type != "Softmax":
            nodes.append(node)
            continue
        axis = next((a.i for a in node.attribute if a.name == "axis"), -1)
        p = f"portable_softmax{count}_"
        count += 1
        constants = {"axis": np.array(axis, np.int64), "axes": np.array([axis], np.int64), "last": np.array([-1], np.int64)}
        constants["end"] = np.array([np.iinfo(np.int64).max], np.int64)
        graph.initializer.extend(numpy_helper.from_array(v, p + k) for k, v in constants.items())
        reduce_max = (
            helper.make_node("ReduceMax", [node.input[0], p + "axes"], [p + "max"], keepdims=1)
            if opset >= 18
            else helper.make_node("ReduceMax", [node.input[0]], [p + "max"], axes=[axis], keepdims=1)
        )
        nodes += [
            reduce_max,
            helper.make_node("Sub", [node.input[0], p + "max"], [p + "shifted"]),
            helper.make_node("Exp", [p + "shifted"], [p + "exp"]),
            helper.make_node("CumSum", [p + "exp", p + "axis"], [p + "running"]),
            helper.make_node("Slice", [p + "running", p + "last", p + "end", p + "axes"], [p + "sum"]),
            helper.make_node("Div", [p + "exp", p + "sum"], [node.output[0]]),
        ]
    del graph.node[:]
    graph.node.extend(nodes)
    return count


def make_portable(path: Path) -> int:
    """Rewrite the graph at ``path`` with :func:`portable_softmax`; return how many Softmax it had."""
    import onnx

    model = onnx.load(str(path))
    count = portable_softmax(model)
    if count:
        onnx.checker.check_model(model)
        onnx.save(model, str(path))
    return count


def write_int8_probe(path: Path) -> None:
    """The probe :mod:`affectlens.analyzers.session` runs to see whether this CPU's fast int8
    kernel saturates: ones ``[1, 1, 16]`` times a 0.5 matrix ``[16, 4]``, through
    :func:`quantize_per_token` — every activation quantises to 255 and every weight to 127,
    the products that overflow int16 pairs. The exact answer is 8 everywhere."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weight = np.full((16, 4), 0.5, dtype=np.float32)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", "t", 16])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", "t", 4])
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "int8_probe", [x], [y], [numpy_helper.from_array(weight, "w")]
    )
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "probe-fp32.onnx"
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(fp32))
        quantize_per_token(fp32, path)
