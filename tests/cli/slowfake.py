"""``python tests/cli/slowfake.py ARGS``: the affectlens command with a ``slowfake`` backend —
the fake keyword backend taking ``$SLOWFAKE_DELAY`` seconds per batch — so a test can kill a
run in the middle on any machine."""

import os
import sys
import time

from affectlens.analyzers.fake import FakeAnalyzer
from affectlens.api import backends
from affectlens.cli.app import main


class SlowFake(FakeAnalyzer):
    name = "slowfake"

    def _analyze_texts(self, *args, **kwargs):
        time.sleep(float(os.environ.get("SLOWFAKE_DELAY", "0.05")))
        return super()._analyze_texts(*args, **kwargs)


if __name__ == "__main__":
    backends.register("slowfake", SlowFake)
    main(sys.argv[1:])
