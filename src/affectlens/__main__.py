"""``python -m affectlens``: the same as the ``affectlens`` command."""

from affectlens.cli.app import console_main

console_main()
