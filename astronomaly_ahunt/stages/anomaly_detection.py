"""Anomaly scoring: AHUNT's interest-weighted anomaly score on Astronomaly's
0-5 scale (higher = more interesting)."""

import pandas as pd

from .astronomaly_compat import PipelineStage

MAX_SCORE = 5.0


def frontend_score(hunter, proba):
    """``Hunter.score_from_proba`` (in [0, 1]) scaled to the page's 0-5.

    Not min-max rescaled, as Astronomaly's ``ScoreConverter`` does: a 5 means
    "certainly a class the user is hunting" in every round.
    """
    return MAX_SCORE * hunter.score_from_proba(proba)


class AhuntScore(PipelineStage):
    """A ``score`` column for every object of the features frame.

    The score is computed from the session's images, not from the frame's
    values, so a scaler placed after feature extraction changes nothing;
    ``drop_nans`` is off by default because a NaN must not hide an object.

    Parameters
    ----------
    session : AhuntSession
        ``AhuntFeatures.session_``.
    """

    def __init__(self, session, **kwargs):
        super().__init__(**{"drop_nans": False, **kwargs})
        # the model behind the score changes every round: never reuse a cached output
        self.args_same = False
        self.session = session

    def _execute_function(self, features):
        session = self.session
        _, proba = session.latent_and_proba(session.positions(features.index))
        return pd.DataFrame({"score": frontend_score(session.hunter, proba)}, index=features.index)
