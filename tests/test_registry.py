import pytest

from affectlens.errors import ProgrammingError, UnknownNameError
from affectlens.registry import Registry


def test_lazy_target_is_imported_on_first_get():
    reg: Registry[object] = Registry("thing")
    reg.register("dumps", "json:dumps")
    import json

    assert reg.get("dumps") is json.dumps
    assert reg.names() == ["dumps"]
    assert "dumps" in reg


def test_unknown_name_lists_close_matches_and_all_names():
    reg: Registry[object] = Registry("backend")
    reg.register("embedded", object())
    reg.register("openai", object())
    with pytest.raises(UnknownNameError) as info:
        reg.get("embeded")
    assert "did you mean 'embedded'" in str(info.value)
    assert "embedded, openai" in str(info.value.hint)


def test_duplicate_registration_is_a_programming_error_unless_replaced():
    reg: Registry[object] = Registry("thing")
    reg.register("a", 1)
    with pytest.raises(ProgrammingError):
        reg.register("a", 2)
    reg.register("a", 2, replace=True)
    assert reg.get("a") == 2
    reg.unregister("a")
    assert "a" not in reg


def test_targets_must_name_module_and_attribute():
    with pytest.raises(ProgrammingError):
        Registry("thing").register("x", "no_colon_here")


def test_builtin_backends_are_registered_without_importing_them():
    import subprocess
    import sys

    code = (
        "import sys; from affectlens.api import list_backends; t = list_backends(); "
        "assert t['embedded'] == 'affectlens.analyzers.embedded:EmbeddedAnalyzer', t; "
        "assert 'fake' in t; assert 'affectlens.analyzers.embedded' not in sys.modules; "
        "assert 'onnxruntime' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
