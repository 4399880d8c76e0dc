"""Affective polarization of reply threads (``affectlens polarization``).

Reply threads go in (posts with ids and parent ids); each post gets a stance on a topic,
agreement with the post it answers and whether it shows hostility toward the other side —
offline with the embedded model, or with any OpenAI-compatible LLM — and a rule set turns a
reply and its parent into a score (the FAB@ASONAM 2025 table, ``asonam2025@1``, by default).
Beside it: the in-group/out-group hostility gap and Hohmann & Coscia's α, and windows
around events. docs/polarization.md walks through an example and every choice.

    from affectlens.polarization import analyze, aggregate, report
    run = analyze("threads.jsonl", "runs/climate", topics=["climate"])
    figures = aggregate("runs/climate", events="events.csv")
"""

from affectlens.polarization.aggregate import Aggregate, aggregate
from affectlens.polarization.report import report
from affectlens.polarization.rules import Facts, RuleSet, list_rules, load_rules
from affectlens.polarization.threads import ThreadColumns, Threads, read_threads
from affectlens.polarization.topics import Topic, list_topics, load_topic
from affectlens.polarization.work import RunResult, analyze, score_run

__all__ = [
    "Aggregate",
    "Facts",
    "RuleSet",
    "RunResult",
    "ThreadColumns",
    "Threads",
    "Topic",
    "aggregate",
    "analyze",
    "list_rules",
    "list_topics",
    "load_rules",
    "load_topic",
    "read_threads",
    "report",
    "score_run",
]
