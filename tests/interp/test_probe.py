"""Issue #22 (3): the probe and direction arithmetic on features whose signal is known (no model)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="probes need scikit-learn (affectlens[interp])")


def features_with_signal_in_later_layers(n_per_class: int = 60, hidden: int = 12, seed: int = 0):
    """Three layers: 0 pure noise, 1 the classes a little apart, 2 far apart."""
    rng = np.random.default_rng(seed)
    names = ["anger", "joy", "sadness"]
    labels = [name for name in names for _ in range(n_per_class)]
    centres = rng.normal(size=(len(names), hidden))
    x = rng.normal(size=(len(labels), 3, hidden))
    for i, name in enumerate(labels):
        x[i, 1] += 0.6 * centres[names.index(name)]
        x[i, 2] += 3.0 * centres[names.index(name)]
    return x.astype(np.float32), labels


def test_probes_find_the_signal_where_it_is_and_chance_where_it_is_not():
    from affectlens.interp.probe import fit_probes

    x, labels = features_with_signal_in_later_layers()
    layers = fit_probes(x, labels, folds=3)
    f1 = [row["probe"]["macro_f1"] for row in layers]
    chance = [row["chance"]["macro_f1"] for row in layers]
    assert f1[0] < 0.5 and abs(f1[0] - chance[0]) < 0.15  # noise: the probe is at the chance line
    assert f1[2] > 0.95 and chance[2] < 0.5  # a real signal: far above it
    assert f1[0] < f1[1] < f1[2]
    assert all(0 <= row["probe"]["macro_f1_sd"] < 0.2 for row in layers)


def test_directions_are_differences_of_means():
    from affectlens.interp.probe import directions

    x, labels = features_with_signal_in_later_layers()
    vectors, names = directions(x, labels)
    assert vectors.shape == (3, 3, x.shape[2]) and names == ["anger", "joy", "sadness"]
    y = np.asarray(labels)
    expected = x[y == "joy", 2].mean(axis=0) - x[y != "joy", 2].mean(axis=0)
    np.testing.assert_allclose(vectors[2, 1], expected, rtol=1e-5, atol=1e-5)
    # a text of the emotion projects further along its direction than the others do
    projection = x[:, 2] @ vectors[2, 1]
    assert projection[y == "joy"].mean() > projection[y != "joy"].mean()


def test_labelled_texts_keep_rows_with_a_text_and_a_label(tmp_path):
    from affectlens.errors import DatasetError
    from affectlens.interp.probe import labelled_texts

    path = tmp_path / "mine.csv"
    path.write_text("text,label\nI love it,joy\nawful,anger\n,joy\nno label here,\nyay,joy\n")
    assert labelled_texts(path) == (["I love it", "awful", "yay"], ["joy", "anger", "joy"])
    one = tmp_path / "one.csv"
    one.write_text("text,label\na,joy\nb,joy\n")
    with pytest.raises(DatasetError, match="fewer than two labels"):
        labelled_texts(one)
