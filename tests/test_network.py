"""Nothing at run time touches the network: loading the model, analysing, the CLI."""

from affectlens.analyzers.embedded import EmbeddedAnalyzer
from affectlens.cli.app import main


def test_analysis_works_with_sockets_blocked(no_network, capsys):
    analyzer = EmbeddedAnalyzer()  # a fresh load, not the cached one
    a = analyzer.analyze("I am thrilled with the results!", taxonomy="plutchik")
    assert a.labels
    try:
        main(["analyze", "offline and happy", "-f", "jsonl"])
    except SystemExit as exc:
        assert exc.code in (0, None)
    assert '"offline and happy"' in capsys.readouterr().out
    assert no_network == []


def test_the_guard_really_blocks(no_network):
    import socket

    try:
        socket.create_connection(("example.com", 80), timeout=1)
    except OSError as exc:
        assert "network access attempted" in str(exc)
    assert no_network
