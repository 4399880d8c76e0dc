from affectlens.errors import BackendError, InputError, MissingDependencyError, UnknownNameError, UserError


def test_exit_codes_follow_who_must_act():
    assert InputError("x").exit_code == 2
    assert UnknownNameError("taxonomy", "x", ["a"]).exit_code == 2
    assert BackendError("x").exit_code == 1


def test_messages_carry_the_fix():
    e = MissingDependencyError("pyarrow", "parquet", "reading Parquet files")
    assert isinstance(e, UserError)
    assert "pip install 'affectlens[parquet]'" in str(e)
    u = UnknownNameError("taxonomy", "ekmann", ["ekman", "plutchik"])
    assert "did you mean 'ekman'" in u.message
    assert u.hint == "choose one of: ekman, plutchik"
