"""The split suite: every class in turn rare, one table and one plot."""

import json
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from astronomaly_ahunt.cli import main
from astronomaly_ahunt.experiments.compare.suite import (SUITES, per_method, per_split,
                                                         suite_splits, summary_text)


def rounds(split, method, seed, found, first):
    """Two rounds of 20 labels of one run, ``found`` after each."""
    return [{"split": split, "method": method, "seed": seed, "round": r + 1,
             "labels": 20 * (r + 1), "found": f, "first_found": first if f else None,
             "seconds_retrain": 0.1} for r, f in enumerate(found)]


def test_suites_make_each_class_rare_among_all_the_others():
    digits = SUITES["digits"]
    assert len(digits) == 10 and len(SUITES["fmnist"]) == 10 and len(SUITES["first"]) == 4
    split = digits["digit_rare_8"]
    assert split.rare == "8" and split.normal == ("0", "1", "2", "3", "4", "5", "6", "7", "9")
    assert (split.n_normal, split.n_rare, split.size) == (60, 25, 8)
    assert SUITES["fmnist"]["fmnist_rare_tshirttop"].rare == "T-shirt/top"
    assert all(s.crop == 100 for s in SUITES["first"].values())
    assert not any("-" in name for suite in SUITES.values() for name in suite)
    with pytest.raises(ValueError, match="suite digits has no split digit_rare_x"):
        suite_splits("digits", ["digit_rare_1", "digit_rare_x"])


def test_summary_gives_totals_worst_seeds_first_finds_and_wins():
    table = pd.DataFrame(
        rounds("a", "ahunt", 0, [3, 9], 4) + rounds("a", "ahunt", 1, [0, 5], 31)
        + rounds("a", "random", 0, [1, 2], 12) + rounds("a", "random", 1, [0, 0], None)
        + rounds("b", "ahunt", 0, [0, 0], None) + rounds("b", "ahunt", 1, [0, 1], 40)
        + rounds("b", "random", 0, [2, 2], 7) + rounds("b", "random", 1, [1, 3], 9))
    splits = per_split(table).set_index(["split", "method"])
    assert splits.loc[("a", "ahunt"), ["total", "worst", "per_seed"]].tolist() == [14, 5, "9/5"]
    # a run that never found one counts as never (41 = beyond the 40 labels)
    assert splits.loc[("a", "random"), "first_found"] == (12 + 41) / 2
    assert splits.loc[("b", "ahunt"), "first_within_40"] == 1
    methods = per_method(splits.reset_index())
    assert methods.loc["ahunt", "splits won"] == "1 of 2"
    assert methods.loc["random", "worst split"] == "a (2)"
    assert methods.loc["ahunt", "first find within 40 labels"] == "3 of 4 runs"
    text = summary_text(table, "toy", [0, 1])
    assert "9/5 (14; 17.5)" in text and "suite toy: seeds 0 1" in text


@pytest.fixture
def workdir():
    # Astronomaly's log parser splits on '-', which pytest's tmp_path is full of
    path = Path(tempfile.mkdtemp(prefix="suite_", dir="/tmp"))
    yield path
    shutil.rmtree(path)


def test_suite_command_runs_the_chosen_splits_and_writes_table_summary_and_plot(workdir,
                                                                               capsys):
    tmp_path = workdir
    out = tmp_path / "out"
    args = ["compare", "--suite", "digits", "--splits", "digit_rare_3", "--methods", "random",
            "--seeds", "0", "--rounds", "2", "--labels", "10", "--output-dir", str(out),
            "--data-dir", str(tmp_path / "data")]
    assert main(args) == 0
    table = pd.read_csv(out / "suite.csv")
    assert set(table["split"]) == {"digit_rare_3"} and table["labels"].tolist() == [10, 20]
    assert "random" in (out / "summary.txt").read_text()
    assert (out / "suite.png").stat().st_size > 10_000
    record = json.loads((out / "run.json").read_text())
    assert len(record["commit"]) == 40 and record["dirty"] in (True, False)
    assert main(args) == 2
    assert "already holds results (suite.csv)" in capsys.readouterr().err
    assert main(["compare", "--splits", "digit_rare_3", "--data", "digits"]) == 2
    assert "--splits chooses splits of a --suite" in capsys.readouterr().err
