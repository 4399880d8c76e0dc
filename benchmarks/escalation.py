"""How often does the escalation rule fire on conversations that cannot escalate?

    python benchmarks/escalation.py --data-dir ../shared/data [--rules]

Escalation is a property of an exchange: turns that answer each other get more negative and
more aroused. Turns taken from *different* conversations do not answer each other, so any
escalation flagged in such a sequence is a false positive. Three populations, VAD from the
embedded model (what `conversation analyze` uses):

- **shuffled MELD**: MELD test dialogues' lengths, each turn drawn from a different scene
  (speakers drawn at random from the source turns);
- **shuffled threads**: 100 turns drawn from different scenes, among 2 to 4 speakers who take
  turns at random (a long thread where people speak again and again);
- **300 Reddit comments**: 300 GoEmotions test comments in a row, each by its own author;
- **real MELD**: MELD test dialogues as they are (how often the rule fires on real talk;
  not a false-positive rate — MELD has no escalation labels).

Beside them, ``benchmarks/data/escalation_checks.yaml``: 8 exchanges written to escalate and 8
that stay level (negative or not), a sanity check that a strict rule still fires. Prints
the share of conversations flagged per population and the checks caught, for the rule
used before this measurement, the shipped rule and, with ``--rules``, a grid (how the shipped
rule was chosen).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
from pathlib import Path

import numpy as np
import yaml

from affectlens.api import get_analyzer
from affectlens.conversation.dynamics import Escalation, EscalationRule, escalations
from affectlens.evaluation.datasets import datasets
from affectlens.evaluation.datasets.dialogues import read_meld


def vad_of(texts: list[str]) -> np.ndarray:
    return get_analyzer("embedded").predict_raw(texts).vad.astype(float)


def populations(data_dir: Path, seed: int, repeats: int) -> dict[str, list[tuple[list[str], np.ndarray]]]:
    rng = random.Random(seed)
    dialogues = read_meld(data_dir / "meld", "test")
    turns = [(d.id, s, t) for d in dialogues for s, t in zip(d.speakers, d.texts)]
    vad = vad_of([t for _, _, t in turns])
    by_scene: dict[str, list[int]] = {}
    for k, (scene, _, _) in enumerate(turns):
        by_scene.setdefault(scene, []).append(k)
    real, shuffled = [], []
    for d in dialogues:
        rows = by_scene[d.id]
        real.append(([turns[k][1] for k in rows], vad[rows]))
    for _ in range(repeats):
        for d in dialogues:
            scenes = rng.sample(sorted(by_scene), len(d.texts))  # one turn from each of len(d) scenes
            rows = [rng.choice(by_scene[s]) for s in scenes]
            shuffled.append(([turns[k][1] for k in rows], vad[rows]))
    threads = []
    for _ in range(repeats * 40):
        people = [f"p{n}" for n in range(rng.randint(2, 4))]
        rows = [rng.choice(by_scene[s]) for s in rng.sample(sorted(by_scene), 100)]
        threads.append(([rng.choice(people) for _ in rows], vad[rows]))
    comments = datasets.get("goemotions").load(data_dir, "test").texts
    comment_vad = vad_of(comments)
    reddit = []
    for _ in range(repeats * 20):
        rows = rng.sample(range(len(comments)), 300)
        reddit.append(([f"author{k}" for k in rows], comment_vad[rows]))
    checks = yaml.safe_load((Path(__file__).parent / "data" / "escalation_checks.yaml").read_text(encoding="utf-8"))
    hand = {kind: [((["A", "B"] * 10)[: len(t)], vad_of(t)) for t in checks[kind].values()] for kind in ("escalating", "level")}
    return {
        "shuffled MELD": shuffled,
        "shuffled threads": threads,
        "300 Reddit comments": reddit,
        "real MELD": real,
        "hand: escalating": hand["escalating"],
        "hand: level": hand["level"],
    }


def previous_rule(vad: np.ndarray, speakers: list[str | None]) -> list[tuple[int, int]]:
    """The rule before this measurement: 3 consecutive turns, whoever speaks, valence < 0 and
    arousal strictly rising."""
    return [
        (end - 2, end)
        for end in range(2, len(vad))
        if (vad[end - 2 : end + 1, 0] < 0).all() and (np.diff(vad[end - 2 : end + 1, 1]) > 0).all()
    ]


def flagged(population: list[tuple[list[str], np.ndarray]], rule: EscalationRule | None) -> float:
    def fires(vad: np.ndarray, speakers: list[str]) -> list[Escalation] | list[tuple[int, int]]:
        return previous_rule(vad, speakers) if rule is None else escalations(vad, speakers, rule)

    return float(np.mean([bool(fires(vad, speakers)) for speakers, vad in population]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rules", action="store_true", help="also a grid of rules")
    args = parser.parse_args()
    pops = populations(args.data_dir, args.seed, args.repeats)
    sizes = {name: len(p) for name, p in pops.items()}
    rules: list[EscalationRule | None] = [None, EscalationRule()]
    if args.rules:
        for turns, valence, rise, tolerance in itertools.product((3, 4), (0.0, -0.1), (0.15, 0.2, 0.25, 0.3), (0.0, 0.05, 0.1)):
            rules.append(EscalationRule(turns=turns, max_valence=valence, min_rise=rise, tolerance=tolerance))
    for n, rule in enumerate(rules):
        name = "previous: 3 turns in a row, whoever speaks" if rule is None else rule.describe()
        row = {"rule": ("shipped: " if n == 1 else "") + name, **{k: round(flagged(p, rule), 4) for k, p in pops.items()}}
        print(json.dumps(row))
    print(json.dumps({"conversations": sizes}))


if __name__ == "__main__":
    main()
