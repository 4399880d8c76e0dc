"""``python -m affectlens.runs [NAME]``: execute the run spec read from standard input (JSON), and
print one JSON line with the outcome: ``{"status": "complete" | "stopped" | "failed", "error":
{type, message, hint} | null}``. The service runs its jobs so: a child process it can stop,
whose result it reads as data, never from its log. ``NAME`` only labels the process (``ps``)."""

from __future__ import annotations

import json
import os
import signal
import sys


def main() -> int:
    from affectlens.runs import RunError, RunSpec, execute

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    status, error, code = "complete", None, 0
    try:
        execute(RunSpec.parse(sys.stdin.read()))
    except BaseException as exc:  # every way a run ends is reported as data
        error = RunError.of(exc)
        status = "stopped" if error.type == "interrupted" else "failed"
        code = 143 if status == "stopped" else 2 if error.type.startswith("invalid") else 1
    sys.stdout.write(json.dumps({"status": status, "error": error.model_dump() if error else None}) + "\n")
    sys.stdout.flush()
    return code


if __name__ == "__main__":
    sys.exit(main())
