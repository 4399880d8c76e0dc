"""Recall and speed of the face detector on FER-2013 dev crops and on composed scenes, side by side.

    python benchmarks/face_detector.py [--data-dir ../shared/data] [--stride 3] [--scenes 40]

- **FER-2013 dev crops**: every ``stride``-th dev image (48×48, the face fills the frame); a
  crop counts as found when any face is detected.
- **Composed scenes**: 1024×768 canvases of smooth noise, each with four dev faces pasted at
  random places, at sides drawn from 40 to 240 pixels (small faces included), a quarter of
  them mirrored; a pasted face counts as found when a detected box's centre falls inside it
  and the box is 0.4–2.0 times its side. Boxes that match no pasted face are false positives.
  The pasted crops are tight, so this is harder than a photo of a person (no hair, no neck).

The settings compared: the default (frontal cascade at scale step 1.1, profile cascades at
1.3) and dearer and cheaper ones. No profile-labelled face set is available here, so profile recall is not measured
separately (FER-2013 holds some turned faces). Figures go into docs/faces.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from affectlens.benchmark import cpu_info
from affectlens.media.faces import FaceDetector


def dev_images(data_dir: Path, stride: int) -> list[np.ndarray]:
    import cv2

    files = sorted((data_dir / "fer2013" / "dev").glob("*/*.jpg"))[::stride]
    return [cv2.imread(str(f), cv2.IMREAD_GRAYSCALE) for f in files]


def scenes(faces: list[np.ndarray], count: int, seed: int = 7) -> list[tuple[np.ndarray, list[tuple[int, int, int]]]]:
    import cv2

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        noise = rng.uniform(60, 200, (24, 32)).astype(np.float32)
        canvas = cv2.resize(noise, (1024, 768), interpolation=cv2.INTER_CUBIC).clip(0, 255).astype(np.uint8)
        placed: list[tuple[int, int, int]] = []
        while len(placed) < 4:
            side = int(rng.choice([40, 56, 80, 120, 170, 240]))
            x, y = int(rng.integers(0, 1024 - side)), int(rng.integers(0, 768 - side))
            if any(abs(x - px) < (side + ps) / 2 + 10 and abs(y - py) < (side + ps) / 2 + 10 for px, py, ps in placed):
                continue
            face = faces[int(rng.integers(len(faces)))]
            face = face[:, ::-1] if rng.random() < 0.25 else face
            canvas[y : y + side, x : x + side] = cv2.resize(face, (side, side), interpolation=cv2.INTER_LINEAR)
            placed.append((x, y, side))
        out.append((canvas, placed))
    return out


def measure(detector: FaceDetector, crops: list[np.ndarray], composed: list) -> dict:
    started = time.perf_counter()
    found = sum(bool(detector.detect(c)) for c in crops)
    crop_ms = (time.perf_counter() - started) / len(crops) * 1000
    hits = total = false = 0
    by_side: dict[int, list[int]] = {}
    started = time.perf_counter()
    for canvas, placed in composed:
        boxes = detector.detect(canvas)
        used = set()
        for x, y, side in placed:
            total += 1
            tally = by_side.setdefault(side, [0, 0])
            tally[1] += 1
            for k, b in enumerate(boxes):
                cx, cy = b.x + b.w / 2, b.y + b.h / 2
                if k not in used and x <= cx <= x + side and y <= cy <= y + side and 0.4 <= b.w / side <= 2.0:
                    hits += 1
                    tally[0] += 1
                    used.add(k)
                    break
        false += len(boxes) - len(used)
    scene_ms = (time.perf_counter() - started) / len(composed) * 1000
    return {
        "dev_crop_recall": round(found / len(crops), 3),
        "dev_crops": len(crops),
        "ms_per_crop": round(crop_ms, 1),
        "scene_recall": round(hits / total, 3),
        "scene_faces": total,
        "scene_recall_by_side": {side: round(h / n, 2) for side, (h, n) in sorted(by_side.items())},
        "false_positives_per_scene": round(false / len(composed), 2),
        "ms_per_scene": round(scene_ms, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--stride", type=int, default=3)
    parser.add_argument("--scenes", type=int, default=40)
    args = parser.parse_args()
    import cv2

    crops = dev_images(args.data_dir, args.stride)
    composed = scenes(dev_images(args.data_dir, 7), args.scenes)
    settings = {
        "default: frontal step 1.1 + profile step 1.3": FaceDetector(),
        "frontal + profile, both step 1.1": FaceDetector(profile_scale_factor=1.1),
        "frontal step 1.1 + profile step 1.2": FaceDetector(profile_scale_factor=1.2),
        "frontal + profile, both step 1.2": FaceDetector(scale_factor=1.2, profile_scale_factor=1.2),
        "frontal only, step 1.1": FaceDetector(profile=False),
        "frontal only, step 1.2": FaceDetector(scale_factor=1.2, profile=False),
    }
    results = {name: measure(d, crops, composed) for name, d in settings.items()}
    cpu = cpu_info()
    print(json.dumps({"cpu": cpu, "opencv": cv2.__version__, "python": platform.python_version(),
                      "date": time.strftime("%Y-%m-%d"), "results": results}, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
