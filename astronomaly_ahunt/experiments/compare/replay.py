"""Astronomaly's frontend calls, replayed without a browser or a server.

:class:`FrontendReplay` makes, on a pipeline script's dict, the calls the
frontend's ``Controller`` makes when a person labels, presses Retrain and
looks at the sorted list, in the same order and with the same data. With
Astronomaly installed its real ``Controller`` can do the same (see the tests);
this one works without it. :func:`replay` labels the page's top objects
from a truth table, round by round, as a person would.
"""

import os
import time
import warnings

import numpy as np
import pandas as pd

from ...stages.page import ML_SCORES, UNLABELLED


class FrontendReplay:
    """The frontend's session over ``pipeline`` (what ``run_pipeline()`` returned)."""

    def __init__(self, pipeline):
        self.features = pipeline["features"]
        self.anomaly_scores = pipeline["anomaly_scores"]
        self.active_learning = pipeline.get("active_learning")
        # opening the page sorts by score
        self.sort("score", show_unlabelled_first=False)

    def label(self, idx, label):
        """``POST /label``: store the label and rewrite ``ml_scores.csv``."""
        if self.active_learning is None:
            raise RuntimeError("the pipeline has no active_learning stage, so /label fails")
        scores = self.anomaly_scores
        if "human_label" not in scores.columns:
            scores["human_label"] = [UNLABELLED] * len(scores)
        scores.loc[idx, "human_label"] = float(label)
        stored = scores.astype({"human_label": "int"})
        path = os.path.join(self.active_learning.output_dir, ML_SCORES)
        self.active_learning.save(stored, path, file_format="csv")

    def retrain(self):
        """``/retrain``: run the stage, copy every column it returns, re-sort.
        Returns False, as the page's 'failed', when nothing is labelled."""
        scores = self.anomaly_scores
        if "human_label" not in scores.columns or (scores["human_label"] != UNLABELLED).sum() == 0:
            return False
        stage = self.active_learning
        output = stage.run(stage.combine_data_frames(self.features, scores))
        for column in output.columns:
            scores[column] = output.loc[scores.index, column]
        self.sort(stage.column_to_sort_by, stage.show_unlabelled_first)
        return True

    def sort(self, column, show_unlabelled_first):
        """``/sort``: the page's list is the frame's order, sorted in place
        as the Controller sorts it (stages holding the frame see the order)."""
        scores = self.anomaly_scores
        if column not in scores.columns:
            return
        with warnings.catch_warnings():
            # pandas 3.1 deprecates inplace; the Controller still sorts in place
            warnings.simplefilter("ignore", DeprecationWarning)
            if show_unlabelled_first and "human_label" in scores.columns:
                scores.sort_values(["human_label", column], ascending=[True, False],
                                   inplace=True)
            else:
                scores.sort_values(column, ascending=False, inplace=True)

    def next_unlabelled(self, n):
        """The first ``n`` unlabelled ids of the page's current order."""
        scores = self.anomaly_scores
        if "human_label" not in scores.columns:
            return scores.index[:n].tolist()
        return scores.index[np.asarray(scores["human_label"] == UNLABELLED)][:n].tolist()


def read_truth(path):
    """A csv of object id, label (0-5) as a Series indexed by string ids."""
    table = pd.read_csv(path, index_col=0)
    truth = table.iloc[:, 0].astype(int)
    truth.index = truth.index.astype(str)
    return truth


def replay(run_pipeline, truth_path, rounds, per_round, interesting):
    """Rounds of ``per_round`` labels on what ``run_pipeline()`` returns; one
    record per round, with ``first_found`` the label (1 = the first) that
    named the first interesting object, None before it. The truth table is
    read after ``run_pipeline()``, which may write it."""
    page = FrontendReplay(run_pipeline())
    truth = read_truth(truth_path)
    records, found, spent, first = [], 0, 0, None
    for r in range(1, rounds + 1):
        asked = page.next_unlabelled(per_round)
        missing = [i for i in asked if i not in truth.index]
        if missing:
            raise ValueError(f"the truth table {truth_path} has no label for {missing[:5]}")
        for obj in asked:
            page.label(obj, truth[obj])
        hits = (truth[asked] >= interesting).to_numpy()
        if first is None and hits.any():
            first = spent + int(hits.argmax()) + 1
        found += int(hits.sum())
        spent += len(asked)
        start = time.perf_counter()
        page.retrain()
        records.append({"round": r, "labels": spent, "found": found, "first_found": first,
                        "seconds_retrain": time.perf_counter() - start})
    return records
