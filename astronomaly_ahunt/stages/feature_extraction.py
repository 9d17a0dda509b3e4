"""Feature extraction: the AHUNT CNN's latent space as Astronomaly features.

:class:`AhuntFeatures` reads every object of a Dataset, trains the round-0
model (or resumes a saved session) and returns the 64 latent features per
object, computed in batches. It owns the :class:`~.session.AhuntSession`
that the scoring and human-in-the-loop stages share.
"""

import numpy as np
import pandas as pd

from .astronomaly_compat import AhuntStage
from .cutout_store import (CHUNK_SIZE, MAX_INPUT_SIDE, STORE_DIR, CutoutStore,
                           default_input_size)
from ..engine.hunter import Hunter
from ..engine.presets import SURVEY_SETTINGS, page_settings
from .label_mapping import NOT_INTERESTING, LabelMapping
from .session import SESSION_DIR, AhuntSession, positions


class AhuntFeatures(AhuntStage):
    """The latent features of the AHUNT CNN for every object of a Dataset.

    Parameters
    ----------
    known_labels : pandas.Series, optional
        Object id -> normal class name (e.g. morphologies from a catalogue):
        the round-0 training set. Without it (the usual case), round 0
        learns a single class ``'normal'`` (the class of the page's label 0)
        from ``n_initial`` objects drawn at random, the paper's suggestion
        for data with no class labels; these pseudo-normals are drawn again
        after every Retrain from the objects the model then finds least
        interesting, leaving out every labelled one, so the interesting
        objects do not stay among them.
    hunter : Hunter, optional
        The unfitted engine to use (by default ``Hunter(**page_settings(n, side),
        random_state=random_state)`` for the ``n`` objects read, ``side`` px wide:
        ``PAGE_SETTINGS``, strided from ``STRIDE_FROM_SIDE`` px, or ``SURVEY_SETTINGS``
        from ``SURVEY_FROM`` objects on, see :mod:`..engine.presets`;
        its backbone is pretrained on ``n_initial`` cutouts drawn at random when
        its ``pretrain_epochs`` > 0). Ignored when ``output_dir`` holds a saved session, which
        is resumed instead; delete ``<output_dir>/ahunt_session`` to start over.
    label_mapping : LabelMapping, optional
        What the page's labels 0-5 mean (:meth:`LabelMapping.default`).
    n_initial : int
        Largest sample of cutouts for pretraining and for the pseudo-normals.
    greyscale : bool
        Average colour channels into one.
    image_size : (int, int), optional
        Resize every cutout; needed when they differ in size. By default
        cutouts up to ``MAX_INPUT_SIDE`` (128) px a side are kept as they
        are and larger ones shrunk to it (:func:`.cutout_store.default_input_size`).
    random_state : int
        Seeds the round-0 sample and the default Hunter.
    chunk_size : int
        Cutouts per chunk of the store and per pass of the model: what
        bounds the memory a pass over all objects takes.
    scoring_cluster : str or int, optional
        Read the cutouts into the store and score every object on
        ``dask.distributed`` (the ``dask`` extra): a scheduler address, or a
        number of workers for a ``LocalCluster`` on this machine. By default
        both run here (the first read in forked processes).
    **kwargs
        Astronomaly's stage kwargs (``output_dir``, ``drop_nans`` ...).

    Attributes
    ----------
    session_ : AhuntSession
    skipped_ : dict
        Object id -> why it was left out (an unreadable file).
    store_ : CutoutStore
        The objects' pixels on disk, in ``<output_dir>/ahunt_cutouts``.
    """

    def __init__(self, known_labels=None, hunter=None, label_mapping=None, n_initial=1000,
                 greyscale=True, image_size=None, random_state=0, chunk_size=CHUNK_SIZE,
                 scoring_cluster=None, **kwargs):
        super().__init__(n_initial=n_initial, greyscale=greyscale, image_size=image_size,
                         random_state=random_state, chunk_size=chunk_size,
                         scoring_cluster=scoring_cluster, **kwargs)
        self.known_labels = known_labels
        self.hunter = hunter
        self.label_mapping = label_mapping or LabelMapping.default()
        self.n_initial = n_initial
        self.greyscale = greyscale
        self.image_size = image_size
        self.random_state = random_state
        self.chunk_size = chunk_size
        self.scoring_cluster = scoring_cluster
        self._dask = None

    def run_on_dataset(self, dataset=None):
        ids, images = self.read(dataset)
        session = self._session(ids, images)
        hunter = session.hunter
        self.labels = [f"latent_{k:02d}" for k in range(hunter.latent_dim)]
        features = pd.DataFrame(session.latent_and_proba()[0], index=session.ids,
                                columns=self.labels)
        self.save(features, self.output_file)
        self.session_ = session
        return features

    def read(self, dataset):
        """(ids, images) of every readable object, ``images`` read from the
        :class:`~.cutout_store.CutoutStore` in ``output_dir``; unreadable
        objects go to ``skipped_``."""
        size = self.image_size
        sample = None if size is not None else _first_readable(dataset)
        if sample is not None:
            size = default_input_size(sample)
            if size is not None:
                print(f"AhuntFeatures: cutouts larger than {MAX_INPUT_SIDE} px are shrunk to "
                      f"{size[0]}x{size[1]} for the CNN (pass image_size to choose)")
        store = CutoutStore.build(dataset, f"{self.output_dir.rstrip('/')}/{STORE_DIR}",
                                  self.greyscale, size, self.drop_nans, self.chunk_size,
                                  client=None if self.scoring_cluster is None else
                                  self._dask_scoring().client)
        self.skipped_ = store.skipped
        if self.skipped_:
            print(f"AhuntFeatures: WARNING: {len(self.skipped_)} object(s) could not be read "
                  f"and are left out: " + "; ".join(f"{i} ({why})" for i, why in
                                                    list(self.skipped_.items())[:5]))
        if store.with_nan:
            print(f"AhuntFeatures: WARNING: NaN pixels set to 0 in {len(store.with_nan)} "
                  f"object(s), first {store.with_nan[:5]}")
        self.store_ = store
        return store.ids, store.images

    def _session(self, ids, images):
        directory = f"{self.output_dir.rstrip('/')}/{SESSION_DIR}"
        pseudo_normals = self.n_initial if self.known_labels is None else 0
        return AhuntSession.open(directory, ids, images, self.label_mapping,
                                 lambda: self._fitted_hunter(ids, images), pseudo_normals,
                                 self.random_state, **self._session_options(directory))

    def _fitted_hunter(self, ids, images):
        """A new session's Hunter, fitted on round 0: the catalogue's known
        labels, or one class of objects drawn at random when there are none."""
        hunter = self.hunter if self.hunter is not None else \
            self._default_hunter(len(ids), max(images.shape[1:3]))
        sample = self._sample(len(ids))
        if self.known_labels is not None:
            known = pd.Series(self.known_labels)
            where = positions(ids, known.index)
            x0, y0 = images[where], known.astype(str).to_numpy()
        else:
            print(f"AhuntFeatures: no known_labels given: round 0 learns one class "
                  f"'{NOT_INTERESTING}' from {len(sample)} objects drawn at random, drawn "
                  f"again after every Retrain from those the model finds least interesting; "
                  f"the reserve class stands for everything unlike them")
            where = sample
            x0, y0 = images[where], np.full(len(where), NOT_INTERESTING)
        # round-0 objects are also in the pool: with their ids, one the user
        # labels later stops training as a round-0 normal
        return hunter.fit_initial(x0, y0, ids=np.asarray(ids)[where], unlabelled=images[sample])

    def _default_hunter(self, n, side):
        settings = page_settings(n, side)
        if settings is SURVEY_SETTINGS:
            print(f"AhuntFeatures: {n} objects: SURVEY_SETTINGS (strided convolutions from "
                  f"28 px, at most 500 examples a class), since every Retrain rescores every "
                  f"object; pass hunter=Hunter(**PAGE_SETTINGS) for the small-pool settings")
        return Hunter(**settings, random_state=self.random_state)

    def _session_options(self, directory):
        scoring = None if self.scoring_cluster is None else self._dask_scoring()
        return {"scoring": scoring, "data_key": self.store_.fingerprint}

    def _dask_scoring(self):
        """The one connection to the Dask cluster, for the first read and the scoring."""
        if self._dask is None:
            from .dask_scoring import MODEL_DIR, DaskScoring
            self._dask = DaskScoring(self.scoring_cluster, f"{self.output_dir.rstrip('/')}/"
                                                           f"{SESSION_DIR}/{MODEL_DIR}")
        return self._dask

    def _sample(self, n):
        """Sorted positions of up to ``n_initial`` objects drawn at random."""
        rng = np.random.default_rng(self.random_state)
        return np.sort(rng.choice(n, size=min(self.n_initial, n), replace=False))


def _first_readable(dataset, tries=10):
    """The first of ``dataset``'s first ``tries`` samples that can be read
    (the store reports the others), or None."""
    for idx in dataset.index[:tries]:
        try:
            return dataset.get_sample(idx)
        except Exception:  # any reader's failure on one bad file
            continue
    return None
