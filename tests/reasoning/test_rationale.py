from affectlens.reasoning.rationale import rationale


def test_quotes_only_verified_spans():
    text = rationale([("sadness", 0.48, []), ("anger", 0.91, ["furious", "how dare", "unfair"])], dominant=("anger", 0.91))
    assert text == "Reads mostly as anger (0.91) — 'furious', 'how dare'; also sadness (0.48)."


def test_no_labels_and_empty():
    assert rationale([], dominant=("joy", 0.31)) == "No label passes its threshold; the closest is joy (0.31)."
    assert rationale([], dominant=None).startswith("Nothing to read")
    assert rationale([("neutral", 0.8, [])], dominant=("neutral", 0.8)) == "Reads as neutral (0.80)."
