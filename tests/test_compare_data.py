"""The catalogue-free data sets of ``astronomaly-ahunt compare --data``."""

import numpy as np
import pandas as pd
import pytest

from astronomaly_ahunt.experiments.compare.data import (SPLITS, Split, data_folder, split_of,
                                                        truth_path, write_compare_data)
from astronomaly_ahunt.experiments.example_data import CATALOGUE_FILE, write_cutouts

TINY = Split("digits", ("0", "1"), "2", 30, 4, 8, "digit")


def read_truth(folder):
    return pd.read_csv(truth_path(folder), index_col=0)["label"]


def test_a_split_is_written_with_its_counts_and_only_0_and_5(tmp_path):
    folder = write_compare_data(tmp_path, "digits", 3, TINY)
    truth = read_truth(folder)
    assert truth.value_counts().to_dict() == {0: 60, 5: 4}
    assert sorted(p.stem for p in (folder / "images").glob("*.png")) == sorted(truth.index)
    assert not (folder / CATALOGUE_FILE).exists()
    # the cutouts are the 8 px digits themselves, not blank files
    from PIL import Image
    with Image.open(folder / "images" / f"{truth.index[0]}.png") as image:
        assert image.size == (8, 8) and np.asarray(image).std() > 20


def test_a_data_set_is_reused_and_another_split_or_seed_gets_its_own_folder(tmp_path):
    folder = write_compare_data(tmp_path, "digits", 0, TINY)
    stamp = (folder / "written.json").stat().st_mtime_ns
    assert write_compare_data(tmp_path, "digits", 0, TINY) == folder
    assert (folder / "written.json").stat().st_mtime_ns == stamp
    other_rare = write_compare_data(tmp_path, "digits", 0, TINY.with_overrides(rare="3"))
    other_seed = write_compare_data(tmp_path, "digits", 1, TINY)
    assert len({folder, other_rare, other_seed}) == 3
    assert set(read_truth(other_rare).index) != set(read_truth(folder).index)
    assert set(read_truth(other_seed).index) != set(read_truth(folder).index)
    assert data_folder(tmp_path, "first-bent", SPLITS["first-bent"], 2).name == \
        "first_bent_seed2"


def test_rewriting_a_folder_with_other_settings_leaves_no_old_object(tmp_path, digits):
    def write(n_normal):
        return write_cutouts(tmp_path, lambda: digits, {"0": 0}, "2", 2, n_catalogue=0, seed=0,
                             size=8, prefix="digit", n_normal=n_normal)
    write(20)
    write(5)
    assert len(list((tmp_path / "images").glob("*.png"))) == len(read_truth(tmp_path)) == 7


def test_presets_have_a_few_hundred_objects_and_4_to_6_percent_rare(digits):
    for name, split in SPLITS.items():
        if split.n_normal is None:
            n_normal = sum(int((digits.y == digits.label_of(c)).sum()) for c in split.normal)
        else:
            n_normal = split.n_normal * len(split.normal)
        total = n_normal + split.n_rare
        assert 400 <= total <= 1000 and 0.04 <= split.n_rare / total <= 0.06, name
    assert SPLITS["digits32"] == SPLITS["digits"].with_overrides(size=32)


def test_a_split_asking_for_more_than_the_class_holds_or_unknown_is_refused(tmp_path):
    with pytest.raises(ValueError, match="asked for 500 objects of class '2' but the dataset "
                                         "has 177"):
        write_compare_data(tmp_path, "digits", 0, TINY.with_overrides(n_rare=500))
    with pytest.raises(ValueError, match="unknown compare data set 'mnist'; known: digits"):
        split_of("mnist")
    assert split_of("digits", rare="7").rare == "7"
