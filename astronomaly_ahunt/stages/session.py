"""One labelling session: the Hunter, the images it sees by object id, and
where the session is saved so that a stopped server resumes it.

The session is written with :meth:`Hunter.save` (model ``.keras``,
taxonomy with interest weights, round, labelled ids and their images),
whose ``hunter.json`` is replaced last and atomically: a server killed in
the middle of a Retrain resumes at the last finished round. Labels given
since then live in the frontend's ``ml_scores.csv``, which
:func:`with_saved_labels` reads back, so no label is lost either way.
"""

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..engine.hunter import Hunter
from .label_mapping import UNLABELLED

SESSION_DIR = "ahunt_session"
ML_SCORES = "ml_scores.csv"


def positions(session_ids, ids):
    """Positions of ``ids`` among ``session_ids``; ``ValueError`` naming unknown ones."""
    session_ids = pd.Index(np.asarray(session_ids).astype(str))
    ids = pd.Index(np.asarray(ids).astype(str))
    where = session_ids.get_indexer(ids)
    if (where < 0).any():
        unknown = ids[where < 0]
        raise ValueError(f"{len(unknown)} object id(s) are not in this AHUNT session "
                         f"(first: {list(unknown[:5])}); the session holds the "
                         f"{len(session_ids)} objects its feature extraction read")
    return where


class AhuntSession:
    """The state the three AHUNT stages share.

    Parameters
    ----------
    hunter : Hunter
        A fitted Hunter.
    ids : sequence of str
        Object ids, aligned with ``images``.
    images : array (n, h, w, c)
        The model's input for every object.
    directory : path
        Where the session is saved (``<output_dir>/ahunt_session``).
    label_mapping : LabelMapping
    """

    def __init__(self, hunter, ids, images, directory, label_mapping):
        self.hunter = hunter
        self.ids = pd.Index(np.asarray(ids).astype(str))
        self.images = images
        self.directory = Path(directory)
        self.label_mapping = label_mapping
        hunter.taxonomy_.interest = label_mapping.interest_policy(hunter.taxonomy_.reserve)

    def positions(self, ids):
        return positions(self.ids, ids)

    def latent_and_proba(self, where=None):
        """Latent features and class probabilities of the objects at positions
        ``where`` (all by default): every pass of the stages over the
        objects goes through here."""
        images = self.images if where is None else self.images[where]
        return self.hunter.latent_and_proba(images)

    def save(self):
        self.hunter.save(self.directory)

    @staticmethod
    def saved_hunter(directory):
        """The Hunter saved in ``directory``, or None when there is none yet."""
        if not (Path(directory) / "hunter.json").exists():
            return None
        return Hunter.load(directory)

    def labels_as_values(self):
        """The session's labels as label values (a Series id -> 0-5)."""
        mapping = self.label_mapping
        labels = {i: mapping.value_of(c, None) for i, c in self.hunter.labels_.items()}
        return pd.Series({i: v for i, v in labels.items() if v is not None}, dtype=int)


def with_saved_labels(anomalies, output_dir, session=None):
    """``anomalies`` with a ``human_label`` column restored after a restart.

    Labels come from ``<output_dir>/ml_scores.csv`` (the frontend rewrites it
    on every label) and, for objects it holds no label for, from the
    session's own labels. Every object gets -1 when unlabelled, so the
    page's Retrain never meets a missing column.
    """
    anomalies = anomalies.copy()
    labels = pd.Series(UNLABELLED, index=anomalies.index, dtype=int)
    if session is not None:
        saved = session.labels_as_values()
        saved = saved[saved.index.isin(labels.index)]
        labels[saved.index] = saved
    path = os.path.join(output_dir, ML_SCORES)
    if os.path.exists(path):
        csv = pd.read_csv(path, index_col=0)
        csv.index = csv.index.astype(str)
        if "human_label" in csv.columns:
            given = csv["human_label"].fillna(UNLABELLED).astype(int)
            given = given[(given != UNLABELLED) & given.index.isin(labels.index)]
            labels[given.index] = given
    anomalies["human_label"] = labels
    return anomalies
