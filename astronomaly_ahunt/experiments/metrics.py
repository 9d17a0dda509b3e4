"""The paper's metrics: MCC of 'predicted anomaly' against 'truly an anomaly'."""

import numpy as np
from sklearn.metrics import matthews_corrcoef


def mcc(truth, predicted):
    """Matthews correlation coefficient of two boolean arrays (0 when either is constant)."""
    truth, predicted = np.asarray(truth, bool), np.asarray(predicted, bool)
    # scikit-learn returns 0 too, but warns on every round before an anomaly class shows up
    if len(np.unique(truth)) < 2 or len(np.unique(predicted)) < 2:
        return 0.0
    return float(matthews_corrcoef(truth, predicted))


def top_k(score, k):
    """Boolean mask of the ``k`` highest scores (ties broken by position).

    The authors' released code thresholds at k = the number of true
    anomalies, which measures the ranking rather than the argmax decision.
    """
    mask = np.zeros(len(score), dtype=bool)
    mask[np.argsort(-np.asarray(score, float), kind="stable")[:int(k)]] = True
    return mask
