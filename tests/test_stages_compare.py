"""The compare command's round loop on a stand-in pipeline (no CNN)."""

import textwrap

import pandas as pd
import pytest

from astronomaly_ahunt.experiments.compare.results import summary_table
from astronomaly_ahunt.experiments.compare.scripts import MissingAstronomaly, compare

# A pipeline whose Retrain ranks objects by the id's number: it finds the
# interesting objects (ids 20-29) only after the first round.
SCRIPT = """
import os
import pandas as pd
from astronomaly_ahunt.stages.astronomaly_compat import FallbackPipelineStage

OUTPUT_DIR = os.environ["AHUNT_OUTPUT_DIR"]

class ById(FallbackPipelineStage):
    column_to_sort_by, show_unlabelled_first = "trained_score", True

    def combine_data_frames(self, features, ml_df):
        return pd.concat((features, ml_df), axis=1, join="inner")

    def _execute_function(self, data):
        return pd.DataFrame({"trained_score": data["x"]}, index=data.index)

def run_pipeline():
    ids = [f"obj{i}" for i in range(30)]
    features = pd.DataFrame({"x": range(30)}, index=ids, dtype=float)
    scores = pd.DataFrame({"score": [float(i % 7) for i in range(30)]}, index=ids)
    return {"dataset": None, "features": features, "anomaly_scores": scores,
            "active_learning": ById(output_dir=OUTPUT_DIR, force_rerun=True)}
"""


def test_compare_counts_interesting_objects_per_label_spent(tmp_path):
    script = tmp_path / "by_id.py"
    script.write_text(textwrap.dedent(SCRIPT))
    truth = pd.Series([0] * 20 + [5] * 10, index=[f"obj{i}" for i in range(30)], name="label")
    truth.to_csv(tmp_path / "truth.csv")
    out = str(tmp_path / "out").replace("-", "_")
    table = compare([script], tmp_path / "truth.csv", rounds=3, per_round=4, seeds=(0, 1),
                    output_dir=out, progress=lambda line: None)
    # round 1 labels the 4 best by score (i % 7 == 6: obj6, obj13, obj20, obj27 -> 2 found),
    # then the ranking by id hands over 4 interesting objects a round
    assert table[table.seed == 0]["found"].tolist() == [2, 6, 10]
    assert table["labels"].tolist() == [4, 8, 12] * 2
    assert summary_table(table).loc[12, "by_id"] == "10.0 (10/10)"


def test_a_script_needing_astronomaly_is_named_when_it_is_missing(tmp_path):
    script = tmp_path / "needs_it.py"
    script.write_text("from astronomaly.no_such_module import Stage\n")
    with pytest.raises(MissingAstronomaly, match="needs_it.py needs Astronomaly.*pip install -e"):
        compare([script], "truth.csv", output_dir=str(tmp_path).replace("-", "_"))
