"""Text from users never becomes markup or control codes; the environment never crashes the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from affectlens.io.terminal import safe, visible

ESC = "\x1b"
TRICKY = [
    "this is [/bold] bad [/] and [red]red[/red] :smile:",
    f"retitle {ESC}]0;pwned\x07 and clear {ESC}[2J done",
    "bidi \u202etxet desrever\u202c and a\rcarriage return",
]


def test_visible_keeps_length_and_shows_controls():
    for text in TRICKY:
        shown = visible(text)
        assert len(shown) == len(text) and ESC not in shown and "\r" not in shown and "\u202e" not in shown
    assert visible(f"{ESC}]0;x\x07") == "␛]0;x␇"
    assert safe("[red]x[/red]") == "\\[red]x\\[/red]"


@pytest.mark.parametrize("explain", [False, True])
def test_markup_and_escape_codes_in_texts_are_shown_as_text(cli, explain):
    r = cli("analyze", *TRICKY, "--backend", "fake", *(["--explain"] if explain else []))
    assert r.code == 0, r.err
    assert "[/bold]" in r.out and "[red]red[/red]" in r.out and ":smile:" in r.out
    assert ESC not in r.out and "\r" not in r.out and "\u202e" not in r.out
    assert "␛]0;pwned␇" in r.out.replace("\n", "").replace("│", "").replace(" ", "") or "␛" in r.out


def test_conversation_table_is_safe_too(cli, tmp_path):
    src = tmp_path / "c.jsonl"
    rows = [{"conversation_id": "[bold]c[/]", "speaker": "[/]", "text": t} for t in TRICKY]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    r = cli("conversation", "analyze", str(src), "--backend", "fake")
    assert r.code == 0, r.err
    assert "[/bold]" in r.out and ESC not in r.out


def test_help_keeps_every_bracketed_word(cli):
    analyze = cli("analyze", "--help").out
    assert "[backends.NAME]" in analyze and "[default: text]" in analyze and "parrott[-secondary|-tertiary]" in analyze
    assert "[default: the" in cli("conversation", "analyze", "--help").out


def _run(args, **kw):
    env = {**os.environ, "COLUMNS": "120", **kw.pop("env", {})}
    return subprocess.run([sys.executable, "-m", "affectlens", *args], capture_output=True, env=env, **kw)


def test_no_color_and_the_no_color_variable():
    forced = {"FORCE_COLOR": "1", "TERM": "xterm-256color"}
    colored = _run(["analyze", "so happy", "--backend", "fake"], env=forced)
    assert b"\x1b[" in colored.stdout  # colours when a terminal is assumed
    for args, env in ((["--no-color"], forced), ([], {**forced, "NO_COLOR": "1"})):
        plain = _run([*args, "analyze", "so happy", "--backend", "fake"], env=env)
        assert plain.returncode == 0 and b"\x1b[3" not in plain.stdout and b"\x1b[9" not in plain.stdout


def test_a_closed_pipe_ends_quietly_with_exit_0(tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("".join(f"so happy {i}\n" for i in range(3000)))
    command = f"{sys.executable} -m affectlens analyze -i {src} --backend fake -f jsonl -q | head -2"
    done = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
    assert len(done.stdout.splitlines()) == 2 and done.stderr == b""


def test_closed_stdin_and_stdout(tmp_path):
    closed_in = subprocess.run(
        ["bash", "-c", f"{sys.executable} -m affectlens analyze -i - <&-"], capture_output=True
    )
    assert closed_in.returncode == 2 and b"standard input is closed" in closed_in.stderr
    assert b"internal error" not in closed_in.stderr
    closed_out = subprocess.run(
        ["bash", "-c", f"{sys.executable} -m affectlens analyze 'so happy' --backend fake >&-"], capture_output=True
    )
    assert closed_out.returncode == 0 and b"Traceback" not in closed_out.stderr


def test_a_full_disk_is_one_line_and_exit_1(tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("".join(f"so happy {i}\n" for i in range(3000)))
    done = _run(["analyze", "-i", str(src), "--backend", "fake", "-o", "/dev/full", "-f", "jsonl"])
    assert done.returncode == 1
    errors = [line for line in done.stderr.decode().splitlines() if line.startswith("affectlens: error:")]
    assert errors == ["affectlens: error: cannot write '/dev/full': No space left on device"]
    assert b"internal error" not in done.stderr


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("/proc/affectlens-nowhere/out.jsonl", "No such file or directory"),  # not even root can create it
        ("{file}/out.jsonl", "is a file, not a folder"),
    ],
)
def test_an_output_that_cannot_be_created_is_one_line_and_exit_1(tmp_path, target, reason):
    (tmp_path / "file").write_text("x")
    target = target.format(file=tmp_path / "file")
    done = _run(["analyze", "so happy", "--backend", "fake", "-o", target])
    assert done.returncode == 1, done.stderr.decode()
    errors = [line for line in done.stderr.decode().splitlines() if line.startswith("affectlens: error:")]
    assert len(errors) == 1 and reason in errors[0] and b"internal error" not in done.stderr
