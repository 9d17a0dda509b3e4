import warnings

import numpy as np

from astronomaly_ahunt.experiments.metrics import mcc, top_k


def test_mcc_values_and_no_warning_before_any_anomaly():
    # TP 1, FN 1, TN 1, FP 0: (1*1 - 0*1) / sqrt(1 * 2 * 1 * 2) = 0.5
    assert mcc([0, 1, 1], [0, 1, 0]) == 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert mcc([0, 0, 0], [0, 0, 0]) == 0.0  # a round before any anomaly arrived
        assert mcc([0, 1, 0], [0, 0, 0]) == 0.0


def test_top_k_marks_the_k_highest_and_breaks_ties_by_position():
    assert top_k(np.array([0.2, 0.9, 0.2, 0.5]), 2).tolist() == [False, True, False, True]
    assert top_k(np.array([0.3, 0.3, 0.3]), 1).tolist() == [True, False, False]
