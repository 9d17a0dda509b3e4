"""Feature extraction: the AHUNT CNN's latent space as Astronomaly features.

:class:`AhuntFeatures` reads every object of a Dataset, trains the round-0
model (or resumes a saved session) and returns the 64 latent features per
object, computed in batches. It owns the :class:`~.session.AhuntSession`
that the scoring and human-in-the-loop stages share.
"""

import numpy as np
import pandas as pd

from .astronomaly_compat import PipelineStage
from ..engine.hunter import Hunter
from .label_mapping import LabelMapping
from .session import SESSION_DIR, AhuntSession, positions

NORMAL_CLASS = "normal"


def to_model_input(sample, greyscale=True, image_size=None):
    """One cutout as float32 (h, w, c) scaled to [0, 1].

    RGB(A) becomes one grey channel when ``greyscale`` (a PNG read by
    Astronomaly is RGB even when grey); ``image_size`` (h, w) resizes.
    NaNs are left for the caller to report.
    """
    x = np.asarray(sample, dtype=np.float32)
    if x.ndim == 2:
        x = x[..., np.newaxis]
    if x.ndim != 3:
        raise ValueError(f"a cutout must be 2-d or 3-d (h, w, channels); got shape {x.shape}")
    if greyscale and x.shape[-1] in (3, 4):
        x = x[..., :3].mean(axis=-1, keepdims=True)
    if image_size is not None and tuple(x.shape[:2]) != tuple(image_size):
        import tensorflow as tf
        x = tf.image.resize(x, image_size).numpy()
    low, high = np.nanmin(x), np.nanmax(x)
    return (x - low) / (high - low) if high > low else np.zeros_like(x)


class AhuntFeatures(PipelineStage):
    """The latent features of the AHUNT CNN for every object of a Dataset.

    Parameters
    ----------
    known_labels : pandas.Series, optional
        Object id -> normal class name (e.g. morphologies from a catalogue):
        the round-0 training set. Without it, round 0 learns a single class
        ``'normal'`` from ``n_initial`` objects drawn at random, and the
        reserve class stands for everything unlike them (the paper's
        suggestion for data with no class labels).
    hunter : Hunter, optional
        The unfitted engine to use (``Hunter(random_state=random_state)`` by
        default). Ignored when ``output_dir`` holds a saved session, which
        is resumed instead; delete ``<output_dir>/ahunt_session`` to start over.
    label_mapping : LabelMapping, optional
        What the page's labels 0-5 mean (:meth:`LabelMapping.default`).
    n_initial : int
        Largest round-0 sample when there are no ``known_labels``.
    greyscale : bool
        Average colour channels into one.
    image_size : (int, int), optional
        Resize every cutout; needed when they differ in size.
    random_state : int
        Seeds the round-0 sample and the default Hunter.
    **kwargs
        Astronomaly's stage kwargs (``output_dir``, ``drop_nans`` ...).

    Attributes
    ----------
    session_ : AhuntSession
    skipped_ : dict
        Object id -> why it was left out (an unreadable file).
    """

    def __init__(self, known_labels=None, hunter=None, label_mapping=None, n_initial=2000,
                 greyscale=True, image_size=None, random_state=0, **kwargs):
        super().__init__(n_initial=n_initial, greyscale=greyscale, image_size=image_size,
                         random_state=random_state, **kwargs)
        # the CNN changes every round, so a cached output is never reused
        self.args_same = False
        self.known_labels = known_labels
        self.hunter = hunter
        self.label_mapping = label_mapping or LabelMapping.default()
        self.n_initial = n_initial
        self.greyscale = greyscale
        self.image_size = image_size
        self.random_state = random_state

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
        """(ids, images) of every readable object; unreadable ones go to ``skipped_``."""
        ids, images, self.skipped_, with_nan = [], [], {}, []
        for idx in dataset.index:
            try:
                x = to_model_input(dataset.get_sample(idx), self.greyscale, self.image_size)
            except Exception as err:  # any reader's failure on one bad file
                self.skipped_[str(idx)] = f"{type(err).__name__}: {err}"
                continue
            if not np.isfinite(x).all():
                with_nan.append(str(idx))
                if not self.drop_nans:
                    raise ValueError(f"object '{idx}' has NaN or infinite pixels; pass "
                                     f"drop_nans=True to set them to 0")
                x = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
            ids.append(str(idx))
            images.append(x)
        if self.skipped_:
            print(f"AhuntFeatures: WARNING: {len(self.skipped_)} object(s) could not be read "
                  f"and are left out: " + "; ".join(f"{i} ({why})" for i, why in
                                                    list(self.skipped_.items())[:5]))
        if with_nan:
            print(f"AhuntFeatures: WARNING: NaN pixels set to 0 in {len(with_nan)} object(s), "
                  f"first {with_nan[:5]}")
        if not images:
            raise ValueError("no object of the dataset could be read")
        shapes = {x.shape for x in images}
        if len(shapes) > 1:
            raise ValueError(f"cutouts come in {len(shapes)} shapes ({sorted(shapes)[:3]} ...); "
                             f"pass image_size=(h, w) to resize them to one")
        return ids, np.stack(images)

    def _session(self, ids, images):
        directory = f"{self.output_dir.rstrip('/')}/{SESSION_DIR}"
        hunter = AhuntSession.saved_hunter(directory)
        if hunter is not None:
            print(f"AhuntFeatures: resuming the session in {directory} at round "
                  f"{hunter.round_} with {len(hunter.labels_)} labelled objects")
            return AhuntSession(hunter, ids, images, directory, self.label_mapping)
        hunter = self.hunter if self.hunter is not None else Hunter(random_state=self.random_state)
        x0, y0, ids0 = self._round0(ids, images)
        # round-0 objects are also in the pool: with their ids, one the user
        # labels later stops training as a round-0 normal
        hunter.fit_initial(x0, y0, ids=ids0)
        session = AhuntSession(hunter, ids, images, directory, self.label_mapping)
        session.save()
        return session

    def _round0(self, ids, images):
        if self.known_labels is not None:
            known = pd.Series(self.known_labels)
            where = positions(ids, known.index)
            return images[where], known.astype(str).to_numpy(), np.asarray(ids)[where]
        rng = np.random.default_rng(self.random_state)
        n = min(self.n_initial, len(ids))
        where = np.sort(rng.choice(len(ids), size=n, replace=False))
        print(f"AhuntFeatures: no known_labels given: round 0 learns one class "
              f"'{NORMAL_CLASS}' from {n} objects drawn at random; the reserve class "
              f"stands for everything unlike them until you label anomalies")
        return images[where], np.full(n, NORMAL_CLASS), np.asarray(ids)[where]
