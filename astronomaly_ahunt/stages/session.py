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
from .label_mapping import LABEL_VALUES, NOT_INTERESTING, UNLABELLED

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
    pseudo_normals : int
        How many pseudo-normal objects to draw before each Retrain (0: the
        round-0 examples stay, as with a catalogue).
    random_state : int
        Seeds each round's draw.
    """

    def __init__(self, hunter, ids, images, directory, label_mapping, pseudo_normals=0,
                 random_state=0):
        self.hunter = hunter
        self.ids = pd.Index(np.asarray(ids).astype(str))
        self.images = images
        self.directory = Path(directory)
        self.label_mapping = label_mapping
        self.pseudo_normals = pseudo_normals
        self.random_state = random_state
        self.scores = None
        hunter.taxonomy_.interest = label_mapping.interest_policy(hunter.taxonomy_.reserve)

    def draw_pseudo_normals(self):
        """Replace the round-0 examples by up to ``pseudo_normals`` objects
        drawn from the less interesting half by the last ``scores``, never a
        labelled one: an interesting object among round 0's random draw
        stops training as normal once the model ranks it above the median."""
        if not self.pseudo_normals or self.scores is None:
            return
        hunter = self.hunter
        candidates = np.setdiff1d(np.argsort(self.scores, kind="stable")[:len(self.ids) // 2],
                                  self.positions(list(hunter.labels_)))
        rng = np.random.default_rng([self.random_state, hunter.round_])
        where = np.sort(rng.choice(candidates, size=min(self.pseudo_normals, len(candidates)),
                                   replace=False))
        hunter.set_initial(self.images[where], np.full(len(where), NOT_INTERESTING),
                           ids=self.ids[where])

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

    The labels are exactly those of ``<output_dir>/ml_scores.csv``, which
    the page rewrites on every label and the Retrain stage on every Retrain
    (a label taken back stays taken back). Labels that are not -1 or 0-5,
    or that name objects not in ``anomalies``, are skipped with a warning.
    Only when that file is missing or unreadable do the session's own
    labels (as of its last Retrain) stand in. Unlabelled objects get -1, so
    the page's Retrain never meets a missing column.
    """
    anomalies = anomalies.copy()
    labels = pd.Series(UNLABELLED, index=anomalies.index, dtype=int)
    given = _read_page_labels(os.path.join(output_dir, ML_SCORES))
    if given is None and session is not None:
        given = session.labels_as_values()
    if given is not None:
        bad = ~given.isin([UNLABELLED, *LABEL_VALUES])
        unknown = ~given.index.isin(labels.index)
        for what, mask in (("a value that is not -1 or a page label 0-5", bad),
                           ("an id that is not in the data set", unknown & ~bad)):
            if mask.any():
                print(f"WARNING: {ML_SCORES}: {int(mask.sum())} label(s) skipped for {what}: "
                      + ", ".join(f"{i}: {v}" for i, v in given[mask].head(5).items()))
        given = given[~bad & ~unknown]
        labels[given.index] = given.astype(int)
    anomalies["human_label"] = labels
    return anomalies


def _read_page_labels(path):
    """The ``human_label`` column of the page's csv as a Series (NaN -> -1),
    or None when there is no readable one."""
    if not os.path.exists(path):
        return None
    try:
        csv = pd.read_csv(path, index_col=0)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as err:
        print(f"WARNING: {path} cannot be read ({type(err).__name__}: {err}); the labels "
              f"of the last Retrain are used instead")
        return None
    if "human_label" not in csv.columns:
        return None
    csv.index = csv.index.astype(str)
    return pd.to_numeric(csv["human_label"], errors="coerce").fillna(UNLABELLED)
