"""`affectlens conversation analyze`: outputs, plots, bad input."""

from __future__ import annotations

import json


def test_cli_writes_one_json_object_per_conversation(cli, tmp_path):
    out = tmp_path / "out.jsonl"
    r = cli("conversation", "analyze", "examples/conversation.jsonl", "-o", str(out), "--quiet")
    assert r.code == 0, r.err
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["conversation_id"] for r in rows] == ["support-1", "friends-1"]
    assert len(rows[0]["turns"]) == 7 and {"inertia", "contagion", "shifts", "escalations", "escalation"} <= set(
        rows[0]["dynamics"]
    )
    from affectlens.conversation.schema import ConversationAnalysis

    assert ConversationAnalysis.model_validate(rows[0]).conversation_id == "support-1"  # the output reads back


def test_cli_table_plot_and_bad_rows(cli, tmp_path):
    turns = tmp_path / "turns.jsonl"
    turns.write_text(
        '{"conversation_id": "a", "speaker": "x", "text": "I am so angry."}\n{"conversation_id": "a", "text": "no speaker"}\n'
        '{"conversation_id": "a", "speaker": "y", "text": "Calm down, please."}\n',
        encoding="utf-8",
    )
    plot = tmp_path / "a.png"
    r = cli("conversation", "analyze", str(turns), "--plot", str(plot))
    assert r.code == 0 and plot.stat().st_size > 1000
    assert "I am so angry." in r.out and "inertia" in r.out and "anger" in r.out
    assert "line 2 has no 'speaker': kept as turn 1" in r.err
    r = cli("conversation", "analyze", str(turns), "-f", "json")
    assert [[t["speaker"] for t in c["turns"]] for c in json.loads(r.out)] == [["x", None, "y"]]  # none renumbered


def test_cli_refuses_input_with_nothing_to_analyse(cli, tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text('{"conversation_id": "a"}\n', encoding="utf-8")
    r = cli("conversation", "analyze", str(empty))
    assert r.code == 2 and "no conversation to analyse" in r.err and "has no 'text' field" in r.err
    assert cli("conversation", "analyze", str(empty), "-f", "xml").code == 2
    assert cli("conversation", "analyze", str(tmp_path / "missing.jsonl")).code == 2


def test_llm_options_reach_an_llm_backend(cli, tmp_path, monkeypatch):
    from affectlens.api import clear_cache
    from tests.llm.conftest import ScriptedServer, emotions
    from tests.llm.loopback import serve

    monkeypatch.setenv("AFFECTLENS_CACHE_DIR", str(tmp_path / "cache"))
    clear_cache()
    src = tmp_path / "c.jsonl"
    src.write_text(
        '{"conversation_id": "a", "speaker": "x", "text": "I am thrilled"}\n'
        '{"conversation_id": "a", "speaker": "y", "text": "me too"}\n'
    )
    script = ScriptedServer()
    script.answers["reason"] = emotions(("joy", 0.9, []))
    with serve(script) as url:
        r = cli(
            "conversation", "analyze", str(src), "--backend", "openai", "-O", f"base_url={url}", "-O", "model=tiny", "-f", "json"
        )
    assert r.code == 0, r.err
    (result,) = json.loads(r.out)
    assert result["backend"].startswith("openai/tiny+zero-shot@1")
    assert [t["analysis"]["dominant"] for t in result["turns"]] == ["joy", "joy"]
    clear_cache()
    refused = cli("conversation", "analyze", str(src), "-O", "model=tiny")
    assert refused.code == 2 and "not the conversation model" in refused.err and "--backend openai" in refused.err


def test_a_missing_speaker_column_names_the_option(cli, tmp_path):
    src = tmp_path / "c.csv"
    src.write_text("conversation_id,who,text\n1,a,hi\n")
    r = cli("conversation", "analyze", str(src))
    assert r.code == 2 and "no column 'speaker'" in r.err and "--speaker-column" in r.err


def test_the_output_is_never_the_input(cli, tmp_path):
    src = tmp_path / "c.jsonl"
    src.write_text('{"conversation_id": "a", "speaker": "x", "text": "hi"}\n')
    r = cli("conversation", "analyze", str(src), "-o", str(src), "-f", "jsonl")
    assert r.code == 2 and "is the input file" in r.err
    assert src.read_text() == '{"conversation_id": "a", "speaker": "x", "text": "hi"}\n'
