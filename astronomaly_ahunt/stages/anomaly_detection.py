"""Anomaly scoring: AHUNT's interest-weighted anomaly score on Astronomaly's
0-5 scale (higher = more interesting), and the order the page shows."""

import numpy as np
import pandas as pd

from .astronomaly_compat import AhuntStage
from .page import MAX_SCORE


def frontend_score(hunter, proba):
    """``Hunter.score_from_proba`` (in [0, 1]) scaled to the page's 0-5.

    Not min-max rescaled, as Astronomaly's ``ScoreConverter`` does: a 5 means
    "certainly a class the user is hunting" in every round.
    """
    return MAX_SCORE * hunter.score_from_proba(proba)


def page_scores(session, latent, proba, n_questions, exclude=()):
    """``trained_score`` (the model's 0-5 score), ``acquisition`` (the same,
    with the next ``n_questions`` questions above every score, in the
    engine's order) and ``predicted_user_score`` (the page label of the
    most probable class) for every object of the session.

    Questions are chosen by the engine's own rule (strategy, reserve rule,
    interest weights) among objects not labelled and not in ``exclude``,
    seeded by the session's seed and round, so a restart asks the same.
    The trained scores are kept as ``session.scores`` for the next draw of
    pseudo-normals.
    """
    hunter, mapping = session.hunter, session.label_mapping
    trained = frontend_score(hunter, proba)
    session.scores = trained
    where = session.positions(list(hunter.labels_))
    exclude = np.union1d(np.asarray(exclude, dtype=int), where).astype(int)
    n_q = min(n_questions, len(session.ids) - len(exclude))
    # the explore rule turns a single find's cutout; the novelty rule keeps to the
    # latent space here, since it would measure each of a survey's cutouts against
    # thousands of normals in the pixels every Retrain
    images = session.images if hunter.reserve_strategy == "explore" else None
    questions, _ = hunter.choose(latent, proba, n_q, exclude=exclude, rng=session.round_rng(),
                                 pixels=session.pixel_features, images=images,
                                 labelled=dict(zip(where.tolist(), hunter.labels_.values())))
    acquisition = trained.copy()
    acquisition[questions] = MAX_SCORE + (n_q - np.arange(n_q)) / max(n_q, 1)
    unnamed = mapping.lowest_interesting_value()
    values = np.array([unnamed if c == hunter.taxonomy_.reserve else mapping.value_of(c, 0)
                       for c in hunter.taxonomy_.classes], dtype=float)
    return pd.DataFrame({"trained_score": trained, "acquisition": acquisition,
                         "predicted_user_score": values[proba.argmax(axis=1)]},
                        index=session.ids)


class AhuntScore(AhuntStage):
    """A ``score`` column for every object of the features frame: the order
    the page opens on, AHUNT's next questions first, then the model's score.

    The score is computed from the session's images, not from the frame's
    values, so a scaler placed after feature extraction changes nothing;
    ``drop_nans`` is off by default because a NaN must not hide an object.

    Parameters
    ----------
    session : AhuntSession
        ``AhuntFeatures.session_``.
    n_questions : int
        How many questions come first.
    """

    def __init__(self, session, n_questions=20, **kwargs):
        super().__init__(**{"drop_nans": False, "n_questions": n_questions, **kwargs})
        self.session = session
        self.n_questions = n_questions

    def _execute_function(self, features):
        session = self.session
        latent, proba = session.latent_and_proba()
        scores = page_scores(session, latent, proba, self.n_questions)
        return pd.DataFrame({"score": scores.loc[features.index.astype(str), "acquisition"]
                            .to_numpy()}, index=features.index)
