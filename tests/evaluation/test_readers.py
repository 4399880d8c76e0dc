from pathlib import Path

import numpy as np
import pytest

from affectlens.errors import DatasetError
from affectlens.evaluation.datasets.readers import read_emobank, read_goemotions, resolve_data_dir

NAMES = (
    "admiration amusement anger annoyance approval caring confusion curiosity desire disappointment "
    "disapproval disgust embarrassment excitement fear gratitude grief joy love nervousness optimism "
    "pride realization relief remorse sadness surprise neutral"
)


def write_goemotions(root: Path, rows: str) -> Path:
    folder = root / "goemotions"
    folder.mkdir(parents=True)
    (folder / "emotions.txt").write_text(NAMES.replace(" ", "\n"))
    for split in ("train", "dev", "test"):
        (folder / f"{split}.tsv").write_text(rows, encoding="utf-8")
    return root


def test_goemotions_quoted_texts_and_multi_labels(tmp_path):
    rows = 'Lol ""weed"" is fine\t1\tid0\n"Lol ""Weapons grade"", I love it"\t1,18\tid1\nplain\t27\tid2\n'
    data = read_goemotions(write_goemotions(tmp_path, rows), "dev")
    assert data.texts[1] == 'Lol "Weapons grade", I love it'
    assert data.labels[1] == ["amusement", "love"]
    assert data.ids == ["id0", "id1", "id2"]
    gold = data.indicator()
    assert gold.shape == (3, 28) and gold[1].sum() == 2 and gold[2, 27] == 1


def test_goemotions_bad_label_id(tmp_path):
    with pytest.raises(DatasetError, match="bad label ids"):
        read_goemotions(write_goemotions(tmp_path, "text\t99\tid\n"), "dev")


def test_missing_files_and_splits(tmp_path):
    with pytest.raises(DatasetError, match="not found"):
        read_goemotions(tmp_path, "dev")
    with pytest.raises(DatasetError, match="no split 'validation'"):
        read_goemotions(tmp_path, "validation")


def test_emobank_scale_and_empty_rows(tmp_path):
    (tmp_path / "emobank").mkdir()
    (tmp_path / "emobank" / "emobank.csv").write_text(
        "id,split,V,A,D,text\na,train,5,3,1,great\nb,test,1,3,3,awful\nc,train,3,3,3,\n", encoding="utf-8"
    )
    data = read_emobank(tmp_path, "train")
    assert data.texts == ["great"] and data.skipped == 1
    np.testing.assert_allclose(data.vad, [[1.0, 0.0, -1.0]])


def test_data_dir_resolution(tmp_path, monkeypatch):
    monkeypatch.setenv("AFFECTLENS_DATA_DIR", str(tmp_path))
    assert resolve_data_dir() == tmp_path
    assert resolve_data_dir(tmp_path / ".") == tmp_path / "."
    with pytest.raises(DatasetError, match="does not exist"):
        resolve_data_dir(tmp_path / "nope")
    monkeypatch.delenv("AFFECTLENS_DATA_DIR")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DatasetError, match="no data directory"):
        resolve_data_dir()
