"""Human-in-the-loop learning: the page's Retrain runs an AHUNT round.

Astronomaly's frontend calls, on Retrain::

    frame = active_learning.combine_data_frames(features, anomaly_scores)
    output = active_learning.run(frame)      # every column copied to anomaly_scores
    # then sorts by active_learning.column_to_sort_by

:class:`AhuntActiveLearning` reads ``human_label`` from ``frame``, tells the
engine the labelled classes, retrains the CNN, writes the new latent
features into the frontend's own ``features`` frame (and the
``visualisation`` frame) in place, saves the session, and returns
``trained_score``, ``predicted_user_score`` and ``acquisition`` for every object.
"""

import numpy as np
import pandas as pd

from .anomaly_detection import MAX_SCORE, frontend_score
from .astronomaly_compat import PipelineStage
from .label_mapping import UNLABELLED
from ..engine.questions import choose_questions
from .visualisation import latent_projection


class AhuntActiveLearning(PipelineStage):
    """One AHUNT round per Retrain.

    Parameters
    ----------
    session : AhuntSession
        ``AhuntFeatures.session_``.
    features : pandas.DataFrame, optional
        The features frame the pipeline returns; updated in place.
    visualisation : pandas.DataFrame, optional
        The visualisation frame the pipeline returns; updated in place.
    n_questions : int
        How many next-round questions ``acquisition`` ranks first.
    column_to_sort_by : str
    show_unlabelled_first : bool
    random_state : int
        Seeds the question strategy's random choices, per round.
    """

    def __init__(self, session, features=None, visualisation=None, n_questions=10,
                 column_to_sort_by="acquisition", show_unlabelled_first=True, random_state=0,
                 **kwargs):
        # every object must come back from run, so no row is dropped for a NaN
        super().__init__(**{"n_questions": n_questions, "random_state": random_state,
                            "drop_nans": False, **kwargs})
        # each round's output depends on the labels and the model, not on the kwargs
        self.args_same = False
        self.session = session
        self.features = features
        self.visualisation = visualisation
        self.n_questions = n_questions
        self.column_to_sort_by = column_to_sort_by
        self.show_unlabelled_first = show_unlabelled_first
        self.random_state = random_state

    def combine_data_frames(self, features, ml_df):
        """The frame the frontend hands to :meth:`run`: features and scores side by side."""
        return pd.concat((features, ml_df), axis=1, join="inner")

    def _execute_function(self, data):
        session, hunter = self.session, self.session.hunter
        session.positions(data.index)  # unknown ids fail before anything changes
        labelled = self._labelled(data)
        where = session.positions(labelled.index)
        mapping = session.label_mapping
        names = np.array([mapping.class_of(v) for v in labelled.to_numpy()])
        changed = np.array([hunter.labels_.get(i) != n for i, n in zip(labelled.index, names)])
        if changed.any():
            hunter.tell(labelled.index[changed].tolist(), names[changed],
                        x=session.images[where[changed]])
        hunter.retrain()
        latent, proba = session.latent_and_proba()
        self._update_in_place(latent)
        session.save()
        print(f"AHUNT round {hunter.round_}: {int(changed.sum())} new label(s), "
              f"{len(hunter.labels_)} in all; classes {hunter.taxonomy_.classes}")
        return self._scores(proba, exclude=where)

    def _labelled(self, data):
        if "human_label" not in data.columns:
            raise ValueError("the frame has no 'human_label' column: label at least one "
                             "object (0-5) before Retrain")
        labels = data["human_label"]
        self.session.label_mapping.check_labels(labels)
        labels = labels.astype(int)
        labelled = labels[labels != UNLABELLED]
        if labelled.empty:
            raise ValueError("no object is labelled (every human_label is -1): label at "
                             "least one object (0-5) before Retrain")
        labelled.index = labelled.index.astype(str)
        return labelled

    def _update_in_place(self, latent):
        ids = self.session.ids
        if self.features is not None:
            columns = [c for c in self.features.columns if str(c).startswith("latent_")]
            self.features.loc[ids, columns] = latent
        if self.visualisation is not None:
            view = latent_projection(pd.DataFrame(latent, index=ids), self.random_state)
            self.visualisation.loc[ids, list(self.visualisation.columns[:2])] = view.to_numpy()

    def _scores(self, proba, exclude):
        session, hunter = self.session, self.session.hunter
        mapping = session.label_mapping
        trained = frontend_score(hunter, proba)
        classes = hunter.taxonomy_.classes
        unnamed = mapping.lowest_interesting_value()
        values = np.array([unnamed if c == hunter.taxonomy_.reserve else mapping.value_of(c, 0)
                           for c in classes], dtype=float)
        exclude = set(exclude.tolist()) | set(session.positions(list(hunter.labels_)).tolist())
        n_q = min(self.n_questions, len(session.ids) - len(exclude))
        questions, _ = choose_questions(
            proba, hunter.taxonomy_.interest_weights(), n_q, hunter.strategy,
            known=hunter.known_columns(),
            exclude=sorted(exclude), rng=np.random.default_rng([self.random_state, hunter.round_]))
        acquisition = trained.copy()
        # the next round's questions above every score, in the engine's order
        acquisition[questions] = MAX_SCORE + (n_q - np.arange(n_q)) / max(n_q, 1)
        return pd.DataFrame({"trained_score": trained,
                             "predicted_user_score": values[proba.argmax(axis=1)],
                             "acquisition": acquisition}, index=session.ids)
