"""Time `ConversationAnalyzer.analyze` on one long conversation (issue #5: 2,000 turns < 30 s).

    .venv/bin/python benchmarks/conversation.py [--turns 2000] [--runs 3] [--threads 2]

The conversation is built from the shipped benchmark texts, spoken in turn by two
speakers. Everything is timed: per-turn emotions in context, VAD, dynamics and causes.
Prints one JSON object (model load time, median and maximum wall time, turns per second).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from importlib import resources


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    texts = [t for t in (resources.files("affectlens") / "benchmark_texts.txt").read_text(encoding="utf-8").splitlines() if t]
    turns = [texts[i % len(texts)] for i in range(args.turns)]

    from affectlens.conversation.analyzer import Conversation, ConversationAnalyzer

    start = time.perf_counter()
    analyzer = ConversationAnalyzer(threads=args.threads)
    load = time.perf_counter() - start
    conversation = Conversation("bench", ["A" if i % 2 == 0 else "B" for i in range(args.turns)], turns)
    walls = []
    for _ in range(args.runs):
        start = time.perf_counter()
        result = analyzer.analyze(conversation)
        walls.append(time.perf_counter() - start)
    median = statistics.median(walls)
    print(
        json.dumps(
            {
                "turns": args.turns,
                "threads": args.threads,
                "cpus": os.cpu_count(),
                "machine": platform.machine(),
                "backend": result.backend,
                "load_s": round(load, 2),
                "median_s": round(median, 2),
                "max_s": round(max(walls), 2),
                "turns_per_s": round(args.turns / median, 1),
                "causes": len(result.causes),
                "shifts": len(result.dynamics.shifts),
            }
        )
    )


if __name__ == "__main__":
    main()
