"""One labelling session: the Hunter, the images it sees by object id, and
where the session is saved so that a stopped server resumes it.

The session is written with :meth:`Hunter.save` (model ``.keras``,
taxonomy with interest weights, round, labelled ids and their images),
whose ``hunter.json`` is replaced last and atomically: a server killed in
the middle of a Retrain resumes at the last finished round. Labels given
since then live in the frontend's ``ml_scores.csv``, which
:func:`with_saved_labels` reads back, so no label is lost either way.
"""

import json
import os
import warnings
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from ..engine.hunter import Hunter
from ..engine.atomic_files import atomic_write
from ..engine.persistence import PREVIOUS_STATE_FILE, STATE_FILE
from ..engine.morphology import SHAPE_DIMS
from ..engine.questions import PIXEL_FIT_SAMPLE, PoolPixels, pixel_features, projected
from .anomaly_detection import page_scores
from .cutout_store import CHUNK_SIZE, StoredImages
from .label_journal import journal_path, read_journal
from .label_mapping import NOT_INTERESTING
from .page import ML_SCORES, UNLABELLED, not_a_label

SESSION_DIR = "ahunt_session"
PASS_FILE = "latest_pass.npz"
# unlabelled objects drawn each Retrain for a Hunter's consistency term: as
# many as the pseudo-normals, which the training set is balanced to
UNLABELLED_DRAW = 1_000
# chunks of the store the pseudo-normals are drawn from each round (8 x 4,096 objects)
DRAW_CHUNKS = 8


def positions(session_ids, ids):
    """Positions of ``ids`` among ``session_ids``; ``ValueError`` naming unknown ones."""
    if not (isinstance(session_ids, pd.Index) and pd.api.types.is_string_dtype(session_ids)):
        # a session's own Index is kept as it is: it caches its hash table
        session_ids = pd.Index(np.asarray(session_ids).astype(str))
    if isinstance(ids, pd.Index) and ids.equals(session_ids):
        # a frame in the session's own order (the features'): a few ms
        # against 0.3-0.6 s for a lookup of 10^6 string ids
        return np.arange(len(ids))
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
    scoring : DaskScoring, optional
        Where a pass over all objects runs (in this process by default).
    data_key : str, optional
        The cutout store's fingerprint: the last pass is saved with the
        session, and reused on restart, only when there is one.
    """

    def __init__(self, hunter, ids, images, directory, label_mapping, pseudo_normals=0,
                 random_state=0, scoring=None, data_key=None):
        self.hunter = hunter
        self.ids = pd.Index(np.asarray(ids).astype(str))
        self.images = images
        self.directory = Path(directory)
        self.label_mapping = label_mapping
        self.pseudo_normals = pseudo_normals
        self.random_state = random_state
        self.scores = None
        self.scoring = scoring
        self.data_key = data_key
        self._attach_interest()
        self._pass = self._saved_pass()
        self._pixels = None
        self._last_lookup = None

    @classmethod
    def open(cls, directory, ids, images, label_mapping, fitted_hunter, pseudo_normals=0,
             random_state=0, **options):
        """The session saved in ``directory``, resumed; else a new one on the
        Hunter ``fitted_hunter()`` returns fitted on round 0, saved at once
        with its first pass over all objects, so that a restart before any
        Retrain scores nothing. ``options`` go to the constructor."""
        hunter = cls.saved_hunter(directory)
        if hunter is not None:
            print(f"AHUNT: resuming the session in {directory} at round {hunter.round_} with "
                  f"{len(hunter.labels_)} labelled objects")
            return cls(hunter, ids, images, directory, label_mapping, pseudo_normals,
                       random_state, **options)
        session = cls(fitted_hunter(), ids, images, directory, label_mapping, pseudo_normals,
                      random_state, **options)
        session.latent_and_proba()
        session.save()
        return session

    def _attach_interest(self):
        # the interest policy is the label mapping's, not saved with the Hunter
        taxonomy = self.hunter.taxonomy_
        taxonomy.interest = self.label_mapping.interest_policy(taxonomy.reserve)

    def round_rng(self, *stream):
        """This round's generator: seeded by the session's seed and the
        round, so a restart draws and asks what the running session would;
        a ``stream`` number gives a draw of its own that leaves the others as
        they were."""
        return np.random.default_rng([self.random_state, self.hunter.round_, *stream])

    def run_round(self, labels, n_questions):
        """One Retrain, in its one order: take back the labels now -1, tell
        the Hunter the new or changed ones, draw fresh pseudo-normals,
        retrain, score every object, choose the next questions and save.
        ``labels`` holds the page's label of every object (-1: none).
        Returns (page scores, latent features, labels taken back, labels
        told); if anything fails the session goes back to its last saved
        round and the error is raised."""
        try:
            taken_back, told = self._tell(labels)
            self.draw_pseudo_normals()
            unlabelled = self.draw_unlabelled()
            self.hunter.retrain(None if unlabelled is None else self.images[unlabelled])
            latent, proba = self.latent_and_proba()
            scores = page_scores(self, latent, proba, n_questions)
            self.save()
        except BaseException:
            self.hunter = self.saved_hunter(self.directory)
            self._attach_interest()
            raise
        return scores, latent, taken_back, told

    def _tell(self, labels):
        hunter, mapping = self.hunter, self.label_mapping
        labelled = labels[labels != UNLABELLED]
        taken_back = [i for i in hunter.labels_ if labels.get(str(i), UNLABELLED) == UNLABELLED]
        hunter.forget(taken_back)
        names = np.array([mapping.class_of(v) for v in labelled.to_numpy()])
        changed = np.array([hunter.labels_.get(i) != n for i, n in zip(labelled.index, names)],
                           dtype=bool)
        if changed.any():
            ids = labelled.index[changed]
            hunter.tell(ids.tolist(), names[changed], x=self.images[self.positions(ids)],
                        kinds=mapping.kinds())
        return len(taken_back), int(changed.sum())

    def pixel_features(self):
        """:func:`..engine.questions.pixel_features` of every object: computed
        once, in one pass over the store, and kept beside it (a store read
        anew drops it)."""
        if self._pixels is not None:
            return self._pixels
        path = getattr(self.images, "path", None)
        cache = None if path is None else \
            Path(path).parent / f"pixel_features-{self.random_state}.npz"
        if cache is not None and cache.exists():
            with np.load(cache) as saved:
                self._pixels = PoolPixels(**{name: saved[name] for name in PoolPixels.ARRAYS
                                             if name in saved})
            # a cache from a version with other shape features, or without the
            # principal components a pool with shapes (whose finds are turned,
            # then projected) had its pixels projected on, is computed anew
            shape = self._pixels.shape
            needs_basis = shape is not None and projected(self.images.shape)
            if len(self._pixels.pixels) == len(self.ids) and (
                    shape is None or shape.shape[1] == SHAPE_DIMS) \
                    and (self._pixels.components is not None or not needs_basis):
                return self._pixels
        size = getattr(self.images, "chunk_size", CHUNK_SIZE)
        # the projection's sample from a few chunks (a survey's would read them all)
        fit_rows = self._draw(np.arange(len(self.ids)), np.random.default_rng(self.random_state),
                              PIXEL_FIT_SAMPLE)
        self._pixels = pixel_features(self.images, self.random_state, size, fit_rows)
        if cache is not None:
            atomic_write(cache, lambda f: np.savez(f, **self._pixels.arrays()))
        return self._pixels

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
        where = self._draw(candidates, self.round_rng(), self.pseudo_normals)
        hunter.set_initial(self.images[where], np.full(len(where), NOT_INTERESTING),
                           ids=self.ids[where])

    def draw_unlabelled(self):
        """Sorted positions of up to ``UNLABELLED_DRAW`` unlabelled objects
        drawn at random for the Hunter's consistency term, the same again in
        the same round (None when the Hunter has no such term)."""
        if not self.hunter.consistency:
            return None
        candidates = np.setdiff1d(np.arange(len(self.ids)),
                                  self.positions(list(self.hunter.labels_)))
        return self._draw(candidates, self.round_rng(1), UNLABELLED_DRAW)

    def _draw(self, candidates, rng, n):
        """Sorted positions of up to ``n`` of ``candidates``."""
        size = getattr(self.images, "chunk_size", None)
        if size and len(self.ids) > DRAW_CHUNKS * size:
            # a row read from the store costs its whole chunk: a draw over a
            # million objects would read them all; a fresh few chunks each round
            chunks = rng.choice(-(-len(self.ids) // size), DRAW_CHUNKS, replace=False)
            candidates = candidates[np.isin(candidates // size, chunks)]
        return np.sort(rng.choice(candidates, size=min(n, len(candidates)), replace=False))

    def positions(self, ids):
        return positions(self.ids, ids)

    def lookup(self, ids):
        """Positions of the Index ``ids`` among the session's, -1 where one is
        not an object of it; the last lookup is kept while the ids are the
        same: the page hands over its frame, in one order, with every press,
        and one lookup of 10^6 string ids takes 0.3-0.6 s (comparing them
        with the last ones, a few ms)."""
        last = self._last_lookup
        if last is None or not (last[0] is ids or last[0].equals(ids)):
            self._last_lookup = (ids, self.ids.get_indexer(ids.astype(str)))
        return self._last_lookup[1]

    def latent_and_proba(self, where=None):
        """Latent features and class probabilities of the objects at positions
        ``where`` (all by default), a chunk of the images at a time: every
        pass of the stages over the objects goes through here.

        A pass over all objects runs on ``scoring`` when it is set (see
        :mod:`.dask_scoring`), and is kept until the model changes, so the
        features, the scores and a restart share one pass.
        """
        if where is not None:
            where = np.asarray(where)
            if not np.array_equal(where, np.arange(len(self.ids))):
                return self._in_chunks(lambda rows, out: self._read(where[rows], out),
                                       len(where))
        if self._pass is None or self._pass[0] != self._model_state():
            if self.scoring is not None:
                latent, proba = self.scoring.latent_and_proba(self.hunter, self.images)
            else:
                latent, proba = self._in_chunks(self._read, len(self.ids))
            self._pass = (self._model_state(), latent, proba)
        return self._pass[1], self._pass[2]

    def _in_chunks(self, rows_of, n):
        """The model's outputs for ``rows_of(rows, out)``, chunk by chunk; the
        next chunk is read from the store while the model scores this one,
        the two into two buffers in turn (``out``; None for images in memory)."""
        size = getattr(self.images, "chunk_size", CHUNK_SIZE)
        chunks = [slice(start, min(start + size, n)) for start in range(0, n, size)]
        stored = isinstance(self.images, StoredImages)
        # the store's pixels were checked (finite, one shape) when it was written:
        # checking each chunk again costs seconds a pass at 10^6
        score = self.hunter.net_.predict if stored else self.hunter.latent_and_proba
        buffers = [np.empty((size,) + tuple(self.images.shape[1:]), np.float16)
                   if stored and len(chunks) > 1 else None for _ in range(2)]
        parts = []
        with ThreadPoolExecutor(1) as reader:
            pending = reader.submit(rows_of, chunks[0], buffers[0]) if chunks else None
            for k in range(len(chunks)):
                batch = pending.result()
                if k + 1 < len(chunks):
                    pending = reader.submit(rows_of, chunks[k + 1], buffers[(k + 1) % 2])
                parts.append(score(batch))
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def _read(self, where, out=None):
        """Pixels at ``where`` as the store holds them (float16, into ``out``
        when given), else as given."""
        if isinstance(self.images, StoredImages):
            return self.images.read(where, out=out)
        return self.images[where]

    def _model_state(self):
        # the weights change only in a retrain (which counts a round) and the
        # head in a new class; a session's Hunter is never fitted afresh (a
        # failed Retrain puts a reloaded one in its place, with another id)
        return id(self.hunter), self.hunter.round_, len(self.hunter.taxonomy_)

    def save(self):
        """The Hunter, then the last pass over all objects when it is this
        model's, so that a restart need not score every object again."""
        self.hunter.save(self.directory)
        if self.data_key is None or self._pass is None or \
                self._pass[0] != self._model_state():
            return
        key = np.array([self._saved_model_file(), self.data_key])
        atomic_write(self.directory / PASS_FILE,
                     lambda f: np.savez(f, latent=self._pass[1], proba=self._pass[2], key=key))

    def _saved_model_file(self):
        return json.loads((self.directory / STATE_FILE).read_text())["model_file"]

    def _saved_pass(self):
        path = self.directory / PASS_FILE
        if self.data_key is None or not path.exists() or \
                not (self.directory / STATE_FILE).exists():
            return None
        try:
            with np.load(path) as saved:
                if saved["key"].tolist() != [self._saved_model_file(), self.data_key] or \
                        len(saved["latent"]) != len(self.ids):
                    return None
                return self._model_state(), saved["latent"], saved["proba"]
        except (ValueError, KeyError, OSError, zipfile.BadZipFile) as err:
            # a cache: a file cut by a kill costs one pass over the objects, not the start
            print(f"WARNING: {path} cannot be read ({type(err).__name__}: {err}); every "
                  f"object is scored again")
            return None

    @staticmethod
    def saved_hunter(directory):
        """The Hunter saved in ``directory``: its last round, or the one before
        when a file of the last is damaged, with a warning; None when there
        is none yet, or none can be read (a warning says so, and a new
        session learns the page's labels again at the next Retrain)."""
        if not any((Path(directory) / name).exists()
                   for name in (STATE_FILE, PREVIOUS_STATE_FILE)):
            return None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            try:
                hunter = Hunter.load(directory)
            except ValueError as err:
                print(f"WARNING: {err}; a new session starts, and learns the page's labels "
                      f"again at the next Retrain")
                return None
        for warning in caught:
            print(f"WARNING: {warning.message}")
        return hunter

    def labels_as_values(self):
        """The session's labels as label values (a Series id -> 0-5)."""
        mapping = self.label_mapping
        labels = {i: mapping.value_of(c, None) for i, c in self.hunter.labels_.items()}
        return pd.Series({i: v for i, v in labels.items() if v is not None}, dtype=int)


def with_saved_labels(anomalies, output_dir, session=None):
    """``anomalies`` with a ``human_label`` column restored after a restart.

    The labels are exactly those of ``<output_dir>/ml_scores.csv``, which
    the Retrain stage writes whole at every Retrain (a label taken back
    stays taken back), followed by the label journal's presses since
    (:mod:`.label_journal`). Labels that are not -1 or 0-5, or that name
    objects not in ``anomalies``, are skipped with a warning. Only when that
    file is missing, unreadable or cut short (it lacks its last newline, or
    holds fewer objects than the session) do the session's own labels (as of
    its last Retrain, when that file was written) stand in. Unlabelled
    objects get -1, so the page's Retrain never meets a missing column.
    """
    anomalies = anomalies.copy()
    labels = pd.Series(UNLABELLED, index=anomalies.index, dtype=int)
    given = _read_page_labels(os.path.join(output_dir, ML_SCORES),
                              None if session is None else len(session.ids))
    if given is None and session is not None:
        given = session.labels_as_values()
    pressed = read_journal(journal_path(output_dir))
    if not pressed.empty:
        given = pressed if given is None else pd.concat([given, pressed])
        given = given[~given.index.duplicated(keep="last")]
    if given is not None:
        bad = pd.Series(not_a_label(pd.to_numeric(given, errors="coerce")), index=given.index)
        unknown = pd.Series(labels.index.get_indexer(given.index) < 0,  # isin: slow on strings
                            index=given.index)
        for what, mask in (("a value that is not -1 or a page label 0-5", bad),
                           ("an id that is not in the data set", unknown & ~bad)):
            if mask.any():
                print(f"WARNING: {ML_SCORES}: {int(mask.sum())} label(s) skipped for {what}: "
                      + ", ".join(f"{i}: {v}" for i, v in given[mask].head(5).items()))
        given = given[~bad & ~unknown]
        labels[given.index] = given.astype(int)
        restored = int((given != UNLABELLED).sum())
        if restored:
            # Delete Labels reaches no stage: only a press or a Retrain after it is seen
            print(f"AHUNT: {restored} label(s) restored from the last save (a Delete Labels "
                  f"with no label press or Retrain after it is not seen)")
    anomalies["human_label"] = labels
    return anomalies


def _read_page_labels(path, n_objects=None):
    """The ``human_label`` column of the page's csv as a Series (NaN -> -1),
    or None when there is no readable, whole one (it is written whole, so a
    missing last newline, or fewer rows than ``n_objects``, means cut)."""
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        f.seek(max(os.path.getsize(path) - 1, 0))
        ends_whole = f.read(1) == b"\n"
    try:
        if not ends_whole:
            raise ValueError("it does not end with a newline: cut short")
        csv = pd.read_csv(path, index_col=0)
        if n_objects is not None and len(csv) < n_objects:
            raise ValueError(f"it holds {len(csv)} of the session's {n_objects} objects: "
                             f"cut short")
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError,
            ValueError) as err:
        print(f"WARNING: {path} cannot be read ({type(err).__name__}: {err}); the labels "
              f"of the last Retrain are used instead, with the presses since")
        return None
    if "human_label" not in csv.columns:
        return None
    csv.index = csv.index.astype(str)
    return pd.to_numeric(csv["human_label"], errors="coerce").fillna(UNLABELLED)
