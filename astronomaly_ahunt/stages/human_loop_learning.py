"""Human-in-the-loop learning: the page's Retrain runs an AHUNT round.

Astronomaly's frontend calls, on Retrain::

    frame = active_learning.combine_data_frames(features, anomaly_scores)
    output = active_learning.run(frame)      # every column copied to anomaly_scores
    # then sorts by active_learning.column_to_sort_by

and on every label ``active_learning.save(anomaly_scores, .../ml_scores.csv)``,
which appends the labels that changed to the label journal
(:mod:`.label_journal`) instead of rewriting every object.

:class:`AhuntActiveLearning` checks every label and id first, has the
session run the round (:meth:`.session.AhuntSession.run_round`: labels set
back to -1 taken back, the labelled classes told, fresh pseudo-normals, the
CNN retrained, every object scored, the next questions chosen, the session
saved; on any failure, back to its last finished round), then writes the new
latent features into the frontend's own ``features`` frame (and the
``visualisation`` frame) in place, saves the page's labels, and returns
``score``, ``trained_score``, ``predicted_user_score`` and ``acquisition``
for every object.
"""

import itertools
import os
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .astronomaly_compat import SAVE_LOCK, AhuntStage
from .label_journal import append_labels, clear_journal, journal_path
from .page import LABEL_VALUES, ML_SCORES, UNLABELLED, not_a_label
from .visualisation import latent_projection

# a label unset sooner than this after it was recorded was lost to presses at
# once in the server's frame, not taken back by Delete Labels
RACE_WINDOW = 1.0


class AhuntActiveLearning(AhuntStage):
    """One AHUNT round per Retrain.

    Parameters
    ----------
    session : AhuntSession
        ``AhuntFeatures.session_``.
    features : pandas.DataFrame, optional
        The features frame the pipeline returns; updated in place.
    visualisation : pandas.DataFrame, optional
        The visualisation frame the pipeline returns; updated in place.
    anomaly_scores : pandas.DataFrame, optional
        The frame the pipeline returns as ``anomaly_scores`` (the page's):
        a label the page sets outside 0-5, or on an id that is not in the
        data, is taken out of it again when the page saves it.
    n_questions : int
        How many next-round questions ``acquisition`` (and ``score``) rank first.
    column_to_sort_by : str
    show_unlabelled_first : bool
    random_state : int
        Seeds the question strategy's random choices, per round.
    """

    def __init__(self, session, features=None, visualisation=None, anomaly_scores=None,
                 n_questions=20, column_to_sort_by="acquisition", show_unlabelled_first=True,
                 random_state=0, **kwargs):
        # every object must come back from run, so no row is dropped for a NaN
        super().__init__(**{"n_questions": n_questions, "random_state": random_state,
                            "drop_nans": False, **kwargs})
        self.session = session
        self.features = features
        self.visualisation = visualisation
        self.anomaly_scores = anomaly_scores
        self.n_questions = n_questions
        self.column_to_sort_by = column_to_sort_by
        self.show_unlabelled_first = show_unlabelled_first
        self.random_state = random_state
        # each save draws a ticket; each recorded label keeps its save's
        self._tickets = itertools.count(1)
        self._recorded = None
        if anomaly_scores is not None and "human_label" in anomaly_scores.columns:
            self._reset_record(anomaly_scores["human_label"])
        self._refused = set()

    def _reset_record(self, labels, ticket=0, at=-np.inf):
        """The labels as last recorded (ml_scores.csv and the journal), one
        per object of the session in its order, from ``labels`` (a Series by
        id, in any order): a copy, since the page's frame changes in place
        with every press; with the ticket and the time each was recorded at."""
        where = self.session.lookup(labels.index)
        known = where >= 0
        self._recorded = np.full(len(self.session.ids), UNLABELLED, dtype=int)
        self._recorded[where[known]] = labels.to_numpy().astype(int)[known]
        self._recorded_by = np.full(len(self._recorded), ticket, dtype=np.int64)
        self._recorded_at = np.full(len(self._recorded), at, dtype=float)

    def save(self, output, filename, file_format=""):
        """Astronomaly's save. The page's ``ml_scores.csv`` is checked first
        (a label that is not -1 or 0-5, or on an unknown id, is refused), and
        only its changed labels are recorded, in the label journal."""
        if os.path.basename(filename) == ML_SCORES and "human_label" in output.columns:
            # the server hands over a copy of its frame, made just before this
            # call: the ticket orders the copies, the lock the records
            press = _page_press()
            call = _SaveCall(next(self._tickets), time.monotonic(),
                             None if press is None else str(press[1]))
            with SAVE_LOCK:
                if press is not None:
                    output = self._repair_press(output, *press)
                self._record_presses(self._refuse_bad_labels(output, call), call)
            return
        super().save(output, filename, file_format)

    def _repair_press(self, output, page, idx, label):
        """The press ``idx`` -> ``label`` written again, under the lock, into
        the page's own frame ``page`` and the copy ``output``: Astronomaly
        sets it unlocked, and two presses at once can lose one of the two
        (pandas writes the whole column back). Follows the page's frame,
        which a Random sort replaces."""
        self.anomaly_scores = page
        # Index's "in" keeps its hash table; get_indexer converts 10^6 ids each call
        if str(idx) not in self.session.ids or label not in LABEL_VALUES:
            return output  # refused below, as it stands
        page.loc[idx, "human_label"] = label
        if idx in output.index:
            output.loc[idx, "human_label"] = int(label)
        return output

    def _record_presses(self, frame, call):
        """Append to the journal the labels of ``frame`` that differ from the
        recorded ones: O(objects) in memory, O(changes) on disk. Not when a
        save with a later ticket (a newer copy of the page's frame) recorded
        that object; and when the press being saved is known, only its own
        label and the unsets of Delete Labels (most of the labels, each more
        than ``RACE_WINDOW`` after it was recorded): every press has its own
        save, and any other difference is the server's own race (its frame,
        set unlocked, can lose or revert labels given at the same moment)."""
        values = frame["human_label"].to_numpy().astype(int)
        with SAVE_LOCK:
            if self._recorded is None:
                self._reset_record(self.session.labels_as_values())
            recorded = self._recorded
            at = self.session.lookup(frame.index)
            mask = (at >= 0) & (values != recorded[np.maximum(at, 0)])
            where, ids, values = at[mask], frame.index[mask], values[mask]
            # the page unsets labels only by Delete Labels: all of them, seconds
            # after they were given; presses at once in the server's unlocked
            # frame can unset a few, given moments before
            unset = values == UNLABELLED
            old = call.entered - self._recorded_at[where] >= RACE_WINDOW
            delete = unset & old & \
                (2 * int((unset & old).sum()) > int((recorded != UNLABELLED).sum()))
            wanted = (~unset | delete) if call.press_id is None else \
                ((np.asarray(ids.astype(str)) == call.press_id) & ~unset) | delete
            keep = wanted & (self._recorded_by[where] <= call.ticket)
            where, ids, values = where[keep], ids[keep], values[keep]
            append_labels(journal_path(self.output_dir), pd.Series(values, index=ids))
            recorded[where] = values
            self._recorded_by[where] = call.ticket
            self._recorded_at[where] = time.monotonic()

    def _refuse_bad_labels(self, frame, call):
        """``frame`` without labels the session cannot take; they are also
        taken out of the page's frame, so they block nothing later. A label
        or id refused for the first time raises, after the other labels are
        recorded, so the page's request fails with the reason; one refused
        before is left out silently (after the page's Random sort its frame
        is a new one, which a refusal cannot reach until the next Retrain)."""
        labels, unknown, bad = self._unknown_and_bad(frame)
        if not (bad.any() or unknown.any()):
            return frame
        _clean_page_frame(self.anomaly_scores, frame.index[unknown], frame.index[bad])
        problems = {(str(i), f"label {v}") for i, v in zip(labels.index[bad], labels[bad])}
        problems |= {(str(i), "not an object of this data set") for i in labels.index[unknown]}
        new, self._refused = sorted(problems - self._refused), self._refused | problems
        frame = frame[~unknown].copy()
        frame.loc[bad[~unknown], "human_label"] = UNLABELLED
        if not new:
            return frame
        self._record_presses(frame, call)
        raise ValueError(f"label refused for {len(new)} object(s) "
                         f"({'; '.join(f'{i}: {why}' for i, why in new[:5])}): labels are -1 "
                         f"(none) or 0-5, on the objects the page shows. Nothing else changed")

    def _unknown_and_bad(self, frame):
        """(``frame``'s labels as numbers, a mask of its ids that are not the
        session's, a mask of its other labels that are not -1 or 0-5); a
        frame with no labels yet has none to refuse."""
        labels = pd.to_numeric(frame["human_label"], errors="coerce") \
            if "human_label" in frame.columns else pd.Series(UNLABELLED, index=frame.index)
        unknown = self.session.lookup(frame.index) < 0
        bad = not_a_label(labels) & ~unknown
        return labels, unknown, bad

    def combine_data_frames(self, features, ml_df):
        """The frame the frontend hands to :meth:`run`: features and scores
        side by side. Every id of both must be an object of the session.
        ``ml_df`` is the page's frame itself: kept as :attr:`anomaly_scores`,
        after any row of an unknown id or label outside -1 and 0-5 that a
        refused press left in it (after a Random sort) is taken out."""
        _, unknown, bad = self._unknown_and_bad(ml_df)
        unknown, bad = ml_df.index[unknown], ml_df.index[bad]
        if len(unknown) or len(bad):
            print(f"AHUNT: WARNING: {len(unknown)} unknown id(s) and {len(bad)} label(s) "
                  f"outside -1 and 0-5, refused earlier, taken out of the page's list: "
                  f"{list(unknown[:3]) + list(bad[:3])}")
            _clean_page_frame(ml_df, unknown, bad)
        self.session.positions(features.index)
        self._restore_lost_presses(ml_df)
        self.anomaly_scores = ml_df
        return pd.concat((features, ml_df), axis=1, join="inner")

    def _restore_lost_presses(self, page):
        """Labels recorded (acknowledged) but unset in the page's frame by
        the server's own race, put back before the round trains on it;
        after Delete Labels the frame stands."""
        with SAVE_LOCK:
            if self._recorded is None or "human_label" not in page.columns:
                return
            at = self.session.lookup(page.index)
            recorded = np.where(at >= 0, self._recorded[np.maximum(at, 0)], UNLABELLED)
            shown = page["human_label"].to_numpy()
            # Delete Labels reaches the record with the next press, and a
            # Retrain with every label unset never reaches this stage
            lost = (shown == UNLABELLED) & (recorded != UNLABELLED)
            if lost.any():
                print(f"AHUNT: {int(lost.sum())} acknowledged label(s) the server's frame had "
                      f"lost to presses at the same moment put back: "
                      f"{list(page.index[lost][:5])}")
                page.loc[page.index[lost], "human_label"] = recorded[lost]

    def _execute_function(self, data):
        session = self.session
        # unknown ids fail before anything changes; the page's frame is the one
        # its presses came with, so its lookup is usually kept already
        if (session.lookup(data.index) < 0).any():
            session.positions(data.index)  # raises, naming them
        labels = self._labels(data)
        scores, latent, taken_back, told = session.run_round(labels, self.n_questions)
        self._update_in_place(latent)
        self._save_page_labels(labels)
        hunter = session.hunter
        print(f"AHUNT round {hunter.round_}: {told} new label(s), {taken_back} taken back, "
              f"{len(hunter.labels_)} in all; classes {hunter.taxonomy_.classes}")
        return self._in_page_order(scores.assign(score=scores["acquisition"]))

    def _in_page_order(self, frame):
        """``frame`` (the session's order) on the page's own index, when the
        page holds the session's objects only: the Controller copies each
        returned column with ``.loc[page.index]``, a lookup of every id per
        column, seconds at survey scale, unless the index is already the page's."""
        page = self.anomaly_scores
        if page is None:
            return frame
        at = self.session.lookup(page.index)
        if (at < 0).any():
            return frame
        return pd.DataFrame({c: frame[c].to_numpy()[at] for c in frame.columns},
                            index=page.index)

    def _labels(self, data):
        """The page's labels of every object (-1: none), checked."""
        if "human_label" not in data.columns:
            raise ValueError("the frame has no 'human_label' column: label at least one "
                             "object (0-5) before Retrain")
        labels = data["human_label"]
        self.session.label_mapping.check_labels(labels)
        labels = labels.astype(int)
        labels.index = labels.index.astype(str)
        if (labels == UNLABELLED).all():
            raise ValueError("no object is labelled (every human_label is -1): label at "
                             "least one object (0-5) before Retrain")
        return labels

    def _save_page_labels(self, labels):
        """``ml_scores.csv`` written whole as the page's labels now stand
        (Delete Labels changes them in memory only, and a restart must not
        bring them back), and the journal emptied, in one step for presses.
        The labels alone, all a restart reads back (Astronomaly's example
        scripts too): the page's other columns hold the last round's scores
        at this moment, and writing them as text took seconds at survey scale."""
        frame = self.anomaly_scores if self.anomaly_scores is not None else labels.to_frame()
        frame = frame[["human_label"]].astype({"human_label": int})
        with SAVE_LOCK:
            super().save(frame, os.path.join(self.output_dir, ML_SCORES), "csv")
            clear_journal(journal_path(self.output_dir))
            # a copy of the page's frame made before this one takes nothing back
            self._reset_record(frame["human_label"], next(self._tickets), time.monotonic())

    def _update_in_place(self, latent):
        ids = self.session.ids
        if self.features is not None:
            columns = [c for c in self.features.columns if str(c).startswith("latent_")]
            self.features.loc[_rows(self.features, ids), columns] = latent
        if self.visualisation is not None:
            # copy=False: pandas 3 copies an array by default
            view = latent_projection(pd.DataFrame(latent, index=ids, copy=False),
                                     self.random_state)
            self.visualisation.loc[_rows(self.visualisation, ids),
                                   list(self.visualisation.columns[:2])] = view.to_numpy()


def _rows(frame, ids):
    """Every row of ``frame``, as ``ids`` orders them: all of it when it is in
    that order already (a lookup of 10^6 string ids takes 0.4 s)."""
    return slice(None) if frame.index.equals(ids) else ids


def _clean_page_frame(page, unknown, bad):
    """Drop the rows of ``unknown`` ids and unset the ``bad`` labels in the
    page's own frame ``page`` (in place: it is the Controller's object)."""
    if page is None:
        return
    with warnings.catch_warnings():
        # pandas 3.1 deprecates inplace, but only an in-place drop reaches
        # the Controller's frame
        warnings.simplefilter("ignore", DeprecationWarning)
        page.drop(index=unknown, inplace=True, errors="ignore")
    page.loc[page.index.intersection(bad), "human_label"] = UNLABELLED


@dataclass(frozen=True)
class _SaveCall:
    """One save of the page's labels: its ticket (the order the server's
    frame copies were made in), when it entered, and the id of the press
    being saved when the server's call says it."""

    ticket: int
    entered: float
    press_id: str | None


def _page_press():
    """(the page's frame, id, label) of the label press being saved, when
    the caller is Astronomaly's ``Controller.set_human_label`` (its /label
    route), else None. Its own arguments, since the frame it hands over may
    have lost the press to another one made at the same time."""
    caller = sys._getframe(2)
    if caller.f_code.co_name != "set_human_label":
        return None
    controller, idx, label = (caller.f_locals.get(k) for k in ("self", "idx", "label"))
    page = getattr(controller, "anomaly_scores", None)
    if not isinstance(page, pd.DataFrame) or idx is None or label is None:
        return None
    try:
        value = float(label)
    except (TypeError, ValueError):
        return None
    return page, idx, int(value) if value.is_integer() else value
