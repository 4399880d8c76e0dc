"""A deterministic keyword analyzer for tests and demos (no model, no network).

It finds a few dozen emotion words, scores their GoEmotions labels 0.9 (everything else
0.05; neutral 0.9 when nothing is found) and maps them to any taxonomy through the same
projection as the real backends. It is registered like any backend, as ``fake``.
"""

from __future__ import annotations

import re

import numpy as np

from affectlens.analyzers.base import AnalyzeOptions, Analyzer
from affectlens.reasoning.calibration import TaxonomyCalibration, logit
from affectlens.reasoning.projection import TaxonomyProjector
from affectlens.schema import VAD, Analysis, Evidence
from affectlens.taxonomy import Taxonomy, load_taxonomy

__all__ = ["FakeAnalyzer"]

KEYWORDS = {
    "happy": "joy",
    "glad": "joy",
    "joy": "joy",
    "love": "love",
    "thanks": "gratitude",
    "thank": "gratitude",
    "funny": "amusement",
    "lol": "amusement",
    "proud": "pride",
    "angry": "anger",
    "furious": "anger",
    "hate": "anger",
    "annoyed": "annoyance",
    "sad": "sadness",
    "heartbroken": "sadness",
    "cry": "sadness",
    "scared": "fear",
    "afraid": "fear",
    "terrified": "fear",
    "nervous": "nervousness",
    "wow": "surprise",
    "surprised": "surprise",
    "gross": "disgust",
    "disgusting": "disgust",
    "sorry": "remorse",
    "confused": "confusion",
    "why": "curiosity",
    "hope": "optimism",
    "relieved": "relief",
}
_WORD = re.compile(r"[\w']+")


class FakeAnalyzer(Analyzer):
    name = "fake"
    description = "deterministic keyword matcher for tests and demos (not a model)"

    def __init__(self) -> None:
        self.native = load_taxonomy("goemotions")
        self.projector = TaxonomyProjector(
            self.native, {"goemotions": TaxonomyCalibration.identity("goemotions", self.native.names)}
        )

    @property
    def backend_id(self) -> str:
        return "fake/keywords@1"

    def _analyze_texts(
        self, texts: list[str], ids: list[str | None], options: AnalyzeOptions, taxonomy: Taxonomy
    ) -> list[Analysis]:
        probs = np.full((len(texts), len(self.native.labels)), 0.05)
        hits: list[list[tuple[str, re.Match[str]]]] = []
        for row, text in enumerate(texts):
            found = [(KEYWORDS[m.group().lower()], m) for m in _WORD.finditer(text) if m.group().lower() in KEYWORDS]
            hits.append(found)
            for label, _ in found:
                probs[row, self.native.index(label)] = 0.9
            if not found:
                probs[row, self.native.index("neutral")] = 0.9
        native = self.projector.from_logits(logit(probs))
        decisions = self.projector.project(native, taxonomy)
        sentiments = self.projector.sentiment(native)
        out = []
        for row, text in enumerate(texts):
            anchors = [self.native.label(label).vad for label, _ in hits[row]] or [(0.0, 0.0, 0.0)]
            v, a, d = (float(x) for x in np.mean(anchors, axis=0))
            evidence = [
                Evidence(label=label, start=m.start(), end=m.end(), text=m.group(), weight=1.0)
                for label, m in hits[row]
                if taxonomy.name == self.native.name
            ]
            out.append(
                Analysis(
                    id=ids[row],
                    text=text,
                    taxonomy=taxonomy.id,
                    scores={n: round(float(s), 4) for n, s in zip(taxonomy.names, decisions.scores[row])},
                    labels=decisions.labels(row),
                    dominant=decisions.dominant(row),
                    vad=VAD(valence=v, arousal=a, dominance=d),
                    sentiment=sentiments[row],
                    evidence=evidence,
                    confidence=round(float(decisions.confidence[row]), 4),
                    backend=self.backend_id,
                )
            )
        return out
