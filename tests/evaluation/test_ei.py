"""Issue #22 (2): EmoBench and EQ-Bench v2 — upstream scoring reproduced on answer files whose
scores are known, the upstream defects fixed apart, and runs against a scripted endpoint that
resume without repeating a request."""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.llm.conftest import ScriptedServer

pytest.importorskip("openai", reason="the openai backend needs affectlens[llm]")

PROMPTS = """sys:
  en: |
    # Instructions

    In this task, you are presented with a scenario, a question, and multiple choices.

    # Output
EU:
  en: |
    ## Scenario
    {scenario}

    ## Question 1
    What emotion(s) would {subject} ultimately feel in this situation?

    ## Choices for Question 1
    {emo_choices}

    ## Question 2
    Why would {subject} feel these emotions in this situation?

    ## Choices for Question 2
    {cause_choices}
EA:
  en: |
    ## Scenario
    {scenario}

    ## Question
    In this scenario, what is the most effective {q_type} for {subject}?

    ## Choices
    {choices}
"""
RESPONSE = """base:
  en: >
      Provide only one single correct answer to this question.
      The response should be in the following JSON format:
EA:
  en: |
    "answer": "<Respond with the corresponding letter numbering>"
EU:
  en: |
    "answer_q1": "<Respond to the Question 1 with the corresponding letter numbering>",
    "answer_q2": "<Respond to the Question 2 with the corresponding letter numbering>"
"""


def mini_emobench(root: Path) -> Path:
    """Four English EU items and one Chinese, two EA items, in the published format."""
    folder = root / "emobench"
    folder.mkdir(parents=True)
    (folder / "prompts.yaml").write_text(PROMPTS)
    (folder / "response.yaml").write_text(RESPONSE)
    emotions = ["Joy", "Anger", "Guilt", "Relief"]
    causes = ["She won", "She lost", "He left"]
    eu = [
        {"qid": str(n), "language": "en", "coarse_category": cat, "finegrained_category": "x", "scenario": f"Scenario {n}.",
         "subject": "Ana", "emotion_choices": emotions, "emotion_label": emotions[gold[0]], "cause_choices": causes,
         "cause_label": causes[gold[1]]}
        for n, (cat, gold) in enumerate([("cues", (0, 0)), ("cues", (1, 2)), ("beliefs", (3, 1)), ("beliefs", (2, 0))], 1)
    ]  # fmt: skip
    eu.append({**eu[0], "language": "zh"})
    (folder / "EU.jsonl").write_text("".join(json.dumps(r) + "\n" for r in eu))
    ea = [
        {"qid": str(n), "language": "en", "category": "Personal-Self", "question type": "Action", "scenario": f"Case {n}.",
         "subject": "Bo", "choices": ["Wait", "Talk to her", "Leave", "Shout"], "label": label}
        for n, label in ((1, "Talk to her"), (2, "Leave"))
    ]  # fmt: skip
    (folder / "EA.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ea))
    return root


EQ_PROMPT = """
Your task is to predict the likely emotional responses of a character in this dialogue:

Ana: You sold the house?
Bo: I had to.
[End dialogue]

At the end of this dialogue, Ana would feel...
Betrayed
Relieved
Curious
Sad

{GIVE}

{FORMAT}

First pass scores:
Betrayed: <score>
Relieved: <score>
Curious: <score>
Sad: <score>

Critique: <your critique here>

Revised scores:
Betrayed: <revised score>
Relieved: <revised score>
Curious: <revised score>
Sad: <revised score>

[End of answer]

Remember: zero is a valid score, meaning they are likely not feeling that emotion. You must score at least one emotion > 0.
""".format(
    GIVE="Give each of these possible emotions a score from 0-10 for the relative intensity that they are likely to be "
    "feeling each. Then critique your answer by thinking it through step by step. Finally, give your revised scores.",
    FORMAT="You must output in the following format, including headings (of course, you should give your own scores), "
    "with no additional commentary:",
)
NAMES = ["Betrayed", "Relieved", "Curious", "Sad"]
REFERENCE = [8, 0, 2, "6"]  # the published files mix ints and strings


def mini_eqbench(root: Path, n: int = 3) -> Path:
    folder = root / "eqbench_v2"
    folder.mkdir(parents=True)
    reference = {**{f"emotion{i}": name for i, name in enumerate(NAMES, 1)},
                 **{f"emotion{i}_score": s for i, s in enumerate(REFERENCE, 1)}}  # fmt: skip
    v1 = {**reference, "emotion1_score": 5, "emotion2_score": 0, "emotion3_score": 1, "emotion4_score": 4}
    questions = {
        str(i): {"prompt": EQ_PROMPT, "reference_answer": v1, "reference_answer_fullscale": reference} for i in range(1, n + 1)
    }
    (folder / "eq_bench_v2_questions_171.json").write_text(json.dumps(questions))
    return root


def scores_text(values, sep: str = ": ") -> str:
    return "\n".join(f"{name}{sep}{v}" for name, v in zip(NAMES, values))


# -- EQ-Bench v2: upstream scoring on known answers ---------------------------------------------


def test_eqbench_upstream_functions_on_known_answers():
    from affectlens.evaluation.ei import eqbench as eq

    reference = {
        **{f"emotion{i}": n for i, n in enumerate(NAMES, 1)},
        **{f"emotion{i}_score": s for i, s in enumerate(REFERENCE, 1)},
    }
    exact = dict(zip(NAMES, ["8", "0", "2", "6"]))
    assert eq.calculate_score_fullscale(reference, exact) == 10
    off_by_one = dict(zip(NAMES, ["9", "1", "3", "7"]))
    one = 6.5 / (1 + math.e ** (-1.2 * (1 - 4)))  # the S-curve at a difference of 1
    assert eq.calculate_score_fullscale(reference, off_by_one) == pytest.approx(10 - 0.7477 * 4 * one)
    far = dict(zip(NAMES, ["0", "10", "10", "0"]))  # differences 8, 10, 8, 6: linear beyond 5
    assert eq.calculate_score_fullscale(reference, far) == pytest.approx(10 - 0.7477 * 32)
    assert eq.calculate_score_fullscale(reference, {**exact, "Betrayed": "8", "betrayed": "1"}) is None  # five names
    assert eq.calculate_score_fullscale(reference, {k.lower(): v for k, v in exact.items()}) is None  # case-sensitive
    # the v1 check upstream uses to decide "parsed": an all-zero answer is not
    assert eq.calculate_score(reference, dict(zip(NAMES, "0000"))) is None
    # parsing: whitespace needed after the colon, decimals cut at the point
    first, revised = eq.parse_answers("Betrayed:5\nRelieved: 7.5\nCurious: 2", revise=False)
    assert first == {"Relieved": "7", "Curious": "2"} and revised == {}
    text = f"First pass scores:\n{scores_text([1, 2, 3, 4])}\nCritique: fine\nRevised scores:\n{scores_text([8, 0, 2, 6])}"
    first, revised = eq.parse_answers(text, revise=True)
    assert first == dict(zip(NAMES, "1234")) and revised == dict(zip(NAMES, "8026"))
    # the benchmark score: 100 × mean / 10 over parseable questions; an empty iteration still counts
    iteration = {"1": {"first_pass_score": 10.0, "revised_score": None}, "2": {"first_pass_score": 5.0, "revised_score": None},
                 "3": {"first_pass_score": None, "revised_score": None}}  # fmt: skip
    assert eq.calculate_eq_bench_score([iteration]) == (75.0, 2.0)
    assert eq.calculate_eq_bench_score([iteration, None]) == (37.5, 1.0)  # upstream's defect, reproduced
    revised_better = {"1": {"first_pass_score": 5.0, "revised_score": 9.0}}
    assert eq.calculate_eq_bench_score([revised_better]) == (90.0, 1.0)


def test_eqbench_prompt_without_revision_as_upstream_cuts_it(tmp_path):
    from affectlens.evaluation.ei.eqbench import EQBench

    (item, *_) = EQBench(mini_eqbench(tmp_path)).items()
    prompt = item.messages[0]["content"]
    assert "critique" not in prompt.lower() and "Revised scores" not in prompt and "First pass scores" not in prompt
    assert prompt.endswith("[End of answer]\n\nRemember: zero is a valid score, meaning they are likely not feeling that "
                           "emotion. You must score at least one emotion > 0.\n\nYour answer:\n")  # fmt: skip
    assert "Betrayed: <score>\nRelieved: <score>" in prompt
    revised = EQBench(tmp_path, revise=True).items()[0].messages[0]["content"]
    assert revised == EQ_PROMPT


def test_eqbench_our_reading_fixes_the_upstream_defects(tmp_path):
    from affectlens.evaluation.ei.eqbench import EQBench

    bench = EQBench(mini_eqbench(tmp_path))
    item = bench.items()[0]
    for text in ("**Betrayed**: 8\nrelieved:0\nCurious = 2\nSAD: 6", "Betrayed:8.0, Relieved:0, Curious:2, Sad:6"):
        parsed = bench.parse(item, text)
        assert parsed.answer == {"Betrayed": 8.0, "Relieved": 0.0, "Curious": 2.0, "Sad": 6.0}, text
        assert bench.score(item, parsed.answer) == 100.0
        assert bench.upstream_item(item, [text])["parsed"] is False  # upstream would drop it
    assert bench.parse(item, scores_text([7.5, 0, 2, 6])).answer["Betrayed"] == 7.5
    assert bench.parse(item, scores_text([0, 0, 0, 0])).ok  # a poor answer, but an answer
    assert "no score for Sad" in bench.parse(item, "Betrayed: 1\nRelieved: 2\nCurious: 3").reason
    assert "above 10" in bench.parse(item, scores_text([80, 0, 2, 6])).reason


# -- EmoBench: upstream scoring on known answers ----------------------------------------------


def test_emobench_prompts_as_upstream_builds_them(tmp_path):
    from affectlens.evaluation.ei.emobench import EmoBench

    items = EmoBench(mini_emobench(tmp_path), task="EU").items()
    assert [i.id for i in items] == ["1", "2", "3", "4"]  # English only
    system, user = items[1].messages
    assert system["content"].startswith("# Instructions\n\nIn this task")
    assert system["content"].endswith(
        "\nProvide only one single correct answer to this question. The response should be in the following JSON format:\n"
        '\n```json\n    {\n    "answer_q1": "<Respond to the Question 1 with the corresponding letter numbering>",\n'
        '"answer_q2": "<Respond to the Question 2 with the corresponding letter numbering>"\n\n    }\n``` \n    '
    )
    assert "A) Joy\nB) Anger\nC) Guilt\nD) Relief" in user["content"] and "C) He left" in user["content"]
    assert items[1].gold == ("B", "C") and items[1].group == "cues"
    ea = EmoBench(tmp_path, task="EA").items()
    assert "most effective Action for Bo" in ea[0].messages[1]["content"] and ea[1].gold == ("C",)


def test_emobench_scores_a_known_answer_file_both_ways(tmp_path):
    from affectlens.evaluation.ei.emobench import EmoBench, upstream_parse

    bench = EmoBench(mini_emobench(tmp_path), task="EU")
    items = bench.items()
    answers = [
        '```json\n{"answer_q1": "A", "answer_q2": "A"}\n```',  # right
        '{"answer_q1": "B", "answer_q2": "A"}',  # the cause is wrong
        'Sure: {"answer_q1": "D)", "answer_q2": "b) She lost"}',  # right, but upstream reads neither prose nor "D)"
        "I cannot decide.",  # no answer at all
    ]
    records = []
    for item, content in zip(items, answers):
        parsed = bench.parse(item, content)
        records.append({"id": item.id, "parsed": parsed.ok, "score": bench.score(item, parsed.answer) if parsed.ok else 0.0,
                        "upstream": bench.upstream_item(item, [content])})  # fmt: skip
    assert upstream_parse(answers[2]) is None and upstream_parse(answers[0]) == {"answer_q1": "A", "answer_q2": "A"}
    upstream = bench.upstream_score(items, records)
    assert upstream == {"beliefs": 0.0, "cues": 0.5, "Overall": 0.25}
    ours = bench.summary(items, records)
    assert ours["score"] == 0.5 and ours["score_usable_only"] == pytest.approx(2 / 3, abs=1e-4) and ours["unusable"] == 1
    assert ours["by_group"] == {"beliefs": {"score": 0.5, "n": 2}, "cues": {"score": 0.5, "n": 2}}
    # retries never fire upstream: only the first answer counts there
    assert bench.upstream_item(items[0], ["oops", answers[0]])["accuracy"] is False


@pytest.mark.data
def test_emobench_on_the_published_files(data_dir):
    from affectlens.evaluation.ei.emobench import EmoBench

    ea = EmoBench(data_dir, task="EA")
    items = ea.items()
    assert len(items) == 200 and {i.group for i in items} == {"Personal-Others", "Personal-Self", "Social-Others", "Social-Self"}
    records = [{"id": i.id, "parsed": True, "score": 1.0} for i in items]
    assert ea.summary(items, records)["same_letter_floor"] == 0.37  # C is the gold answer of 74 of 200 (SOURCE.txt)
    gold = [{"id": i.id, "upstream": ea.upstream_item(i, [json.dumps({"answer": i.gold[0]})])} for i in items]
    assert ea.upstream_score(items, gold)["Overall"] == 1.0
    assert len(EmoBench(data_dir, task="EU", language="zh").items()) == 200


@pytest.mark.data
def test_eqbench_reference_answers_score_100_on_the_published_files(data_dir):
    from affectlens.evaluation.ei.eqbench import EQBench

    bench = EQBench(data_dir)
    items = bench.items()
    assert len(items) == 171
    records = []
    for n, item in enumerate(items):
        text = "\n".join(f"{name}: {int(score)}" for name, score in item.gold.items()) if n % 2 == 0 else "no idea"
        parsed = bench.parse(item, text)
        records.append({"id": item.id, "parsed": parsed.ok, "score": bench.score(item, parsed.answer) if parsed.ok else 0.0,
                        "upstream": bench.upstream_item(item, [text])})  # fmt: skip
    assert bench.upstream_score(items, records) == {"score": 100.0, "parseable": 86.0, "n": 171}  # the unparseable dropped
    ours = bench.summary(items, records)
    assert (
        ours["score_usable_only"] == 100.0 and ours["score"] == pytest.approx(100 * 86 / 171, abs=1e-3) and ours["unusable"] == 85
    )


# -- runs against a scripted endpoint -----------------------------------------------------------


def _answering(letters: dict[str, str]):
    def answer(body):
        user = body["messages"][1]["content"]
        n = next(k for k in letters if f"Scenario {k}." in user)
        q1, q2 = letters[n]
        return {"answer_q1": q1, "answer_q2": q2}

    return answer


def test_a_run_records_every_item_compares_strategies_and_resumes(tmp_path):
    from affectlens.analyzers.openai_backend import OpenAIAnalyzer
    from affectlens.evaluation.ei.emobench import EmoBench
    from affectlens.evaluation.ei.runner import run_benchmark

    server = ScriptedServer()
    server.answers["emobench"] = _answering({"1": "AA", "2": "BC", "3": "DB", "4": "AA"})  # three of four right
    bench = EmoBench(mini_emobench(tmp_path / "data"), task="EU")

    def analyzer():
        return OpenAIAnalyzer(http_client=server.client(), base_url="http://scripted/v1", model="m", cache=False, backoff=0)

    strategies = ["zero-shot", "emotional-stimulus", "negative-stimulus"]
    result = run_benchmark(bench, analyzer(), strategies=strategies, folder=tmp_path / "run")
    assert len(server.requests) == 12
    stimulated = [r for r in server.requests if "matters a great deal" in r["messages"][1]["content"]]
    assert len(stimulated) == 4  # the emotional stimulus, appended to the prompt
    for strategy in strategies:
        ours = result["strategies"][strategy]["affectlens"]
        assert ours["score"] == 0.75 and ours["unusable"] == 0
        assert result["strategies"][strategy]["upstream"]["Overall"] == 0.75
    assert [c["difference"] for c in result["comparisons"]] == [0.0, 0.0]
    assert result["data"]["EU.jsonl"] and result["model"] == "m" and result["versions"]["affectlens"]
    records = [json.loads(line) for line in (tmp_path / "run" / "records.jsonl").read_text().splitlines()]
    assert len(records) == 12 and all(r["contents"] for r in records)
    again = run_benchmark(bench, analyzer(), strategies=strategies, folder=tmp_path / "run")
    assert len(server.requests) == 12 and again["strategies"] == result["strategies"]  # nothing asked twice
    from affectlens.errors import InputError

    with pytest.raises(InputError, match="holds another run"):
        run_benchmark(EmoBench(tmp_path / "data", task="EA"), analyzer(), folder=tmp_path / "run")


def test_unusable_answers_are_asked_again_and_counted_apart(tmp_path):
    from affectlens.analyzers.openai_backend import OpenAIAnalyzer
    from affectlens.evaluation.ei.emobench import EmoBench
    from affectlens.evaluation.ei.runner import run_benchmark

    server = ScriptedServer()
    replies = iter(['{"answer_q1": "maybe", "answer_q2": "A"}', '{"answer_q1": "A)", "answer_q2": "A"}'])

    def answer(body):
        user = body["messages"][1]["content"]
        if "Scenario 1." in user:
            return next(replies)
        return "I would rather not say."

    server.answers["emobench"] = answer
    analyzer = OpenAIAnalyzer(
        http_client=server.client(), base_url="http://s/v1", model="m", cache=False, backoff=0, parse_retries=1
    )
    result = run_benchmark(EmoBench(mini_emobench(tmp_path), task="EU"), analyzer, folder=tmp_path / "run")
    ours = result["strategies"]["zero-shot"]["affectlens"]
    assert ours["unusable"] == 3 and ours["score"] == 0.25 and ours["score_usable_only"] == 1.0
    assert result["strategies"]["zero-shot"]["upstream"]["Overall"] == 0.0  # upstream scores the first answer only
    retry = [r for r in server.requests if "Scenario 1." in r["messages"][1]["content"]][-1]["messages"]
    assert retry[-1]["role"] == "user" and "could not be used" in retry[-1]["content"] and "maybe" in retry[-1]["content"]
    assert analyzer.usage.parse_failures == 3 and len(server.requests) == 2 + 3 * 2


def test_eqbench_asks_for_free_text_without_a_response_format(tmp_path):
    from affectlens.analyzers.openai_backend import OpenAIAnalyzer
    from affectlens.evaluation.ei.eqbench import EQBench
    from affectlens.evaluation.ei.runner import run_benchmark

    server = ScriptedServer()
    server.answers["eqbench"] = scores_text([8, 0, 2, 6])
    analyzer = OpenAIAnalyzer(http_client=server.client(), base_url="http://s/v1", model="m", cache=False, backoff=0)
    result = run_benchmark(EQBench(mini_eqbench(tmp_path)), analyzer, folder=tmp_path / "run")
    assert all("response_format" not in r for r in server.requests)
    assert result["strategies"]["zero-shot"]["upstream"] == {"score": 100.0, "parseable": 3.0, "n": 3}
    assert result["strategies"]["zero-shot"]["affectlens"]["score"] == 100.0


def test_a_killed_run_resumes_without_repeating_a_request(tmp_path):
    """A real process killed while the endpoint holds its third request; the run started again
    asks only what was never answered."""
    from tests.llm.loopback import serve

    data = mini_emobench(tmp_path / "data")
    answered: list[str] = []
    hold = threading.Event()
    script = ScriptedServer()

    def answer(body):
        user = body["messages"][1]["content"]
        n = next(k for k in "1234" if f"Scenario {k}." in user)
        if len(answered) == 2 and not hold.is_set():  # the third request waits until the client is gone
            hold.wait(30)
            raise RuntimeError("the client was killed")
        answered.append(n)
        return {"answer_q1": "A", "answer_q2": "A"}

    script.answers["emobench"] = answer
    records = tmp_path / "run" / "records.jsonl"
    with serve(script) as url:
        command = [sys.executable, "-m", "affectlens", "eval", "emobench", "--data-dir", str(data), "--backend", "openai",
                   "-O", f"base_url={url}", "-O", "model=m", "-O", "concurrency=1", "-O", "timeout=60",
                   "--records", str(tmp_path / "run"), "--json"]  # fmt: skip
        env = {**__import__("os").environ, "AFFECTLENS_CACHE_DIR": str(tmp_path / "cache")}
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (records.exists() and len(records.read_text().splitlines()) >= 2):
            time.sleep(0.05)
        assert len(answered) == 2, process.stderr.read() if process.poll() is not None else answered
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        hold.set()
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert sorted(answered) == ["1", "2", "3", "4"]  # each item answered once over both runs
    result = json.loads(done.stdout)
    assert result["strategies"]["zero-shot"]["affectlens"]["n"] == 4
    assert len(records.read_text().splitlines()) == 4
    # this sitting asked two items; both sittings together, four
    assert result["usage"]["requests"] == 2 and result["usage_all_sittings"]["requests"] >= 4


def test_the_command_lists_the_benchmarks_and_refuses_what_it_cannot_run(cli, tmp_path):
    listed = cli("eval", "--list")
    assert listed.code == 0 and "emobench@1" in listed.out and "eqbench-v2@1" in listed.out
    data = mini_emobench(tmp_path)
    r = cli("eval", "emobench", "--data-dir", str(data), "--backend", "embedded")
    assert r.code == 2 and "asks a chat model" in r.err and "--backend openai" in r.err
    r = cli(
        "eval", "emobench", "--data-dir", str(data), "--task", "XX", "--backend", "openai", "-O", "base_url=http://127.0.0.1:9/v1"
    )
    assert r.code == 2 and "tasks EU and EA" in r.err
    r = cli(
        "eval", "emobench", "--data-dir", str(data), "--strategies", "zero-shot,nonsense", "-O", "base_url=http://127.0.0.1:9/v1"
    )
    assert r.code == 2 and "nonsense" in r.err  # an unknown strategy, before any request
    r = cli("probe", str(tmp_path / "no-such-model"), "-o", str(tmp_path / "p"), "--labelled", str(tmp_path / "x.csv"))
    assert r.code == 2 and "Traceback" not in r.err


def test_a_failed_request_is_asked_again_next_time_and_an_unreachable_endpoint_stops_the_run(tmp_path, cli):
    from affectlens.analyzers.openai_backend import OpenAIAnalyzer
    from affectlens.evaluation.ei.emobench import EmoBench
    from affectlens.evaluation.ei.runner import run_benchmark

    server = ScriptedServer()
    server.answers["emobench"] = _answering({"1": "AA", "2": "BC", "3": "DB", "4": "AA"})
    server.failures = [503, 503]  # the first request fails through its one retry
    bench = EmoBench(mini_emobench(tmp_path / "data"), task="EU")

    def analyzer():
        settings = {"base_url": "http://s/v1", "model": "m", "cache": False, "backoff": 0, "max_retries": 1, "concurrency": 1}
        return OpenAIAnalyzer(http_client=server.client(), **settings)

    first = run_benchmark(bench, analyzer(), folder=tmp_path / "run")["strategies"]["zero-shot"]
    assert first["not_answered"] == 1 and first["affectlens"]["n"] == 3 and "kept failing" in first["errors"][0]
    assert len((tmp_path / "run" / "records.jsonl").read_text().splitlines()) == 3  # the failed item is not recorded
    asked = len(server.requests)
    second = run_benchmark(bench, analyzer(), folder=tmp_path / "run")["strategies"]["zero-shot"]
    assert second["not_answered"] == 0 and second["affectlens"]["score"] == 0.75 and len(server.requests) == asked + 1
    r = cli("eval", "emobench", "--data-dir", str(tmp_path / "data"), "-O", "base_url=http://127.0.0.1:9/v1",
            "-O", "max_retries=0", "--records", str(tmp_path / "gone"))  # fmt: skip
    assert r.code == 1 and "cannot reach" in r.err and "the same command continues the run" in r.err
    assert not (tmp_path / "gone" / "records.jsonl").exists()
