"""Steering a local model along an emotion direction, measured by affectlens itself.

``affectlens steer MODEL --directions DIR --emotion joy --layer L`` adds ``strength × d`` to the
output of decoder layer ``L`` at every position while the model continues :data:`PROMPTS`
(neutral sentence openings written for this; greedy decoding, so a strength's texts are
reproducible), where ``d`` is the emotion's difference-of-means direction from
``affectlens probe`` rescaled to the layer's mean token norm (a strength of 1 adds a vector as
long as a typical hidden state). Each continuation is read by the embedded text model in the
Ekman taxonomy; per strength: the mean score of the emotion and the mean valence, each with a
95% bootstrap interval over the prompts, the share whose dominant emotion it is, and examples.

Outputs: ``steer-EMOTION.json`` and ``steer-EMOTION.png`` (the curve with its intervals).
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from affectlens import __version__
from affectlens.errors import InputError

__all__ = ["PROMPTS", "run_steer"]

PROMPTS = [
    "Today I went to the store and",
    "When I opened the letter,",
    "The meeting this morning was",
    "My neighbour told me that",
    "After the game, we",
    "I looked at the results and",
    "The train was late again, so",
    "She called me last night to say",
    "When I got home,",
    "The weather this weekend",
    "My brother sent me a message:",
    "At work, my manager",
    "The new restaurant on our street",
    "I read the news this morning and",
    "Our holiday plans",
    "The doctor looked at me and",
    "My phone rang and",
    "The package finally arrived and",
    "We talked about the move, and",
    "Walking home in the evening, I",
]
_RESAMPLES = 2000


def _ci(values: np.ndarray, seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(_RESAMPLES, len(values)))].mean(axis=1)
    return [round(float(v), 4) for v in np.percentile(means, [2.5, 97.5])]


def run_steer(
    model_path: str | Path,
    directions_dir: str | Path,
    output: str | Path,
    *,
    emotion: str,
    layer: int,
    strengths: list[float],
    max_new_tokens: int = 24,
    prompts: list[str] | None = None,
    threads: int | None = None,
) -> dict[str, Any]:
    import torch

    from affectlens.api import get_analyzer
    from affectlens.interp.model import load_model

    stored = np.load(Path(directions_dir) / "directions.npz")
    names = [str(n) for n in stored["labels"]]
    if emotion not in names:
        raise InputError(f"no direction for {emotion!r}", hint=f"one of {', '.join(names)}")
    vectors = stored["directions"]
    if not 1 <= layer < vectors.shape[0]:
        raise InputError(f"layer {layer} is not a decoder layer of this model", hint=f"1 to {vectors.shape[0] - 1}")
    local = load_model(model_path, threads=threads)
    direction = vectors[layer, names.index(emotion)]
    unit = torch.tensor(direction / np.linalg.norm(direction) * float(stored["token_norm"][layer]))
    block = local.layers[layer - 1]  # hidden state `layer` is the output of decoder block layer - 1
    prompts = prompts or PROMPTS
    analyzer = get_analyzer("embedded")
    started = time.perf_counter()
    curve = []
    for strength in strengths:
        delta = (strength * unit).to(torch.float32)

        def add(_module: Any, _inputs: Any, output: Any, delta: Any = delta) -> Any:
            if isinstance(output, tuple):
                return (output[0] + delta, *output[1:])
            return output + delta

        handle = block.register_forward_hook(add)
        try:
            texts = [_continue(local, prompt, max_new_tokens) for prompt in prompts]
        finally:
            handle.remove()
        analyses = analyzer.analyze_batch(texts, taxonomy="ekman")
        score = np.array([a.scores.get(emotion, 0.0) for a in analyses])
        valence = np.array([a.vad.valence for a in analyses])
        curve.append({
            "strength": strength,
            "emotion_score": round(float(score.mean()), 4), "emotion_ci95": _ci(score, 1),
            "valence": round(float(valence.mean()), 4), "valence_ci95": _ci(valence, 2),
            "dominant_share": round(float(np.mean([a.dominant == emotion for a in analyses])), 4),
            "examples": [f"{p} …{t}" for p, t in list(zip(prompts, texts))[:3]],
        })  # fmt: skip
    result = {
        "model": local.id,
        "emotion": emotion,
        "layer": layer,
        "method": {"direction": "difference of means (affectlens probe), scaled to the layer's mean token norm",
                   "decoding": f"greedy, {max_new_tokens} new tokens", "prompts": len(prompts),
                   "measured_by": analyzer.backend_id + " (Ekman)"},
        "curve": curve,
        "versions": {"affectlens": __version__, "python": platform.python_version(), "torch": torch.__version__},
        "seconds": round(time.perf_counter() - started, 1),
    }  # fmt: skip
    folder = Path(output)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"steer-{emotion}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _plot(result, folder / f"steer-{emotion}.png")
    return result


def _continue(local: Any, prompt: str, max_new_tokens: int) -> str:
    import torch

    encoded = local.tokenizer(prompt, return_tensors="pt")
    with torch.no_grad():
        out = local.model.generate(
            **encoded, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=local.tokenizer.pad_token_id
        )
    return str(local.tokenizer.decode(out[0, encoded["input_ids"].shape[1] :], skip_special_tokens=True)).strip()


def _plot(result: dict[str, Any], path: Path) -> None:
    from affectlens.plots import pyplot, save

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.4))
    x = [p["strength"] for p in result["curve"]]
    for key, colour, label in (("emotion_score", "tab:blue", f"{result['emotion']} score"), ("valence", "tab:orange", "valence")):
        y = np.array([p[key] for p in result["curve"]])
        ci = np.array([p["emotion_ci95" if key == "emotion_score" else "valence_ci95"] for p in result["curve"]])
        ax.plot(x, y, marker="o", color=colour, label=label)
        ax.fill_between(x, ci[:, 0], ci[:, 1], color=colour, alpha=0.2)
    ax.axhline(0, color="grey", linewidth=0.5)
    ax.set(xlabel="steering strength (× the layer's mean token norm)", ylabel="mean over prompts (95% interval)")
    ax.legend(fontsize=8)
    save(plt, fig, f"Steering toward {result['emotion']} at layer {result['layer']}\n{result['model']}", path)
