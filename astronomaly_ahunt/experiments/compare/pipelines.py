"""The pipelines ``astronomaly-ahunt compare --data`` puts side by side.

Each method is a function ``(data_dir, output_dir, seed, image_size) ->``
the dict an Astronomaly script's ``run_pipeline()`` returns, over the
cutouts in ``data_dir/images``, so that one page replay drives them all:

- ``ahunt``: :func:`~astronomaly_ahunt.ahunt_pipeline` with no catalogue;
- ``static``: Astronomaly's own static pipeline on flattened pixels
  (isolation forest, ``ScoreConverter``, ``NeighbourScore``);
- ``aadforest``: coniferest's ``AADForest`` on flattened pixels, refitted on
  every label at each Retrain (:class:`AADForestLearning`);
- ``random``: a fresh seeded random order after each Retrain
  (:class:`RandomOrder`), what labelling at random finds.
"""

import os

import numpy as np
import pandas as pd

from .data import PAGE_METHODS
from ..datasets import resize
from ..methods import astronomaly_available, coniferest_available
from ...stages.astronomaly_compat import AhuntStage
from ...stages.image_folder import image_folder
from ...stages.page import INTERESTING_FROM, MAX_SCORE, UNLABELLED
from ...stages.session import with_saved_labels

DISPLAY_SIZE = 128


def pixel_features(dataset, image_size=None):
    """Every cutout of ``dataset`` as grey pixels over 255 (a constant scale,
    so that a faint cutout stays faint), resized to ``image_size`` px by area
    averaging and flattened, NaN as 0: one row per object id."""
    rows = []
    for idx in dataset.index:
        x = np.asarray(dataset.get_sample(idx), dtype=np.float32) / 255.0
        x = x[..., :3].mean(axis=-1) if x.ndim == 3 else x
        if image_size is not None:
            x = resize(x[np.newaxis], image_size)[0]
        rows.append(np.nan_to_num(x).ravel())
    x = np.stack(rows)
    return pd.DataFrame(x, index=pd.Index(dataset.index, dtype=str),
                        columns=[f"pixel_{i}" for i in range(x.shape[1])])


def rescale(score):
    """Higher-is-weirder scores put on the page's 0-5, as ``ScoreConverter`` does."""
    score = np.asarray(score, dtype=float)
    span = score.max() - score.min()
    return MAX_SCORE * (score - score.min()) / span if span > 0 else np.zeros_like(score)


class _AsksTopUnlabelled(AhuntStage):
    """A Retrain stage after which the page shows its own top unlabelled
    objects first; it sees the features and the labels, nothing else. As an
    AHUNT stage it never serves a cached output (that would replay an
    earlier session's ranking) and replaces the files it writes atomically."""

    column_to_sort_by = None
    show_unlabelled_first = True

    def __init__(self, random_state=0, **kwargs):
        super().__init__(random_state=random_state, **kwargs)
        self.random_state = random_state

    def combine_data_frames(self, features, ml_df):
        return features.join(ml_df[["human_label"]], how="inner")

    @staticmethod
    def split_labels(data):
        """(features as an array, human labels as integers)."""
        return (data.drop(columns="human_label").to_numpy(dtype=np.float32),
                data["human_label"].to_numpy(dtype=float).astype(int))


def aad_scores(x, human_labels, n_trees, seed):
    """coniferest's AADForest fitted on ``x`` with every label given so far
    (``>= INTERESTING_FROM`` an anomaly, other labels normal, -1 unknown);
    returns its anomaly score on 0-5, higher = more anomalous."""
    from coniferest.aadforest import AADForest
    from coniferest.label import Label
    labels = np.where(human_labels >= INTERESTING_FROM, int(Label.ANOMALY), int(Label.REGULAR))
    labels[human_labels == UNLABELLED] = int(Label.UNKNOWN)
    forest = AADForest(n_trees=n_trees, n_subsamples=min(256, len(x)), random_seed=seed,
                       n_jobs=1).fit(x, labels)
    # coniferest scores like scikit-learn: lower is more anomalous
    return rescale(-forest.score_samples(x))


class AADForestLearning(_AsksTopUnlabelled):
    """coniferest's AADForest refitted on every label at each Retrain.

    Returns ``trained_score`` (0-5), the forest's anomaly score with the
    weights learnt from the labels; the page then asks the top unlabelled.

    Parameters
    ----------
    n_trees : int
    random_state : int
        The forest's seed, the same every round so that only the labels move it.
    """

    column_to_sort_by = "trained_score"

    def __init__(self, n_trees=100, random_state=0, **kwargs):
        super().__init__(n_trees=n_trees, random_state=random_state, **kwargs)
        self.n_trees = n_trees

    def _execute_function(self, data):
        x, labels = self.split_labels(data)
        return pd.DataFrame({"trained_score": aad_scores(x, labels, self.n_trees,
                                                         self.random_state)},
                            index=data.index)


class RandomOrder(_AsksTopUnlabelled):
    """A new random order after each Retrain: labelling at random.

    The order is drawn from the seed and the number of labels given, so a
    restarted server asks what the running one would have asked.
    """

    column_to_sort_by = "random_order"

    def _execute_function(self, data):
        _, labels = self.split_labels(data)
        rng = np.random.default_rng([self.random_state, int((labels != UNLABELLED).sum())])
        return pd.DataFrame({"random_order": rng.permutation(len(data)).astype(float)},
                            index=data.index)


def _pixel_pipeline(data_dir, output_dir, image_size, score, active_learning):
    """The dict for a method on flattened pixels: ``score(features)`` gives
    round 0's 0-5 score, ``active_learning`` the Retrain stage."""
    dataset = image_folder(os.path.join(data_dir, "images"), output_dir,
                           display_image_size=DISPLAY_SIZE)
    features = pixel_features(dataset, image_size)
    anomalies = pd.DataFrame({"score": score(features)}, index=features.index)
    return {"dataset": dataset, "features": features,
            "anomaly_scores": with_saved_labels(anomalies, output_dir),
            "active_learning": active_learning}


def ahunt(data_dir, output_dir, seed, image_size):
    """AHUNT as a user without a catalogue runs it: its defaults, with the seed
    and the cutouts' size given."""
    from ...stages.pipeline import ahunt_pipeline
    dataset = image_folder(os.path.join(data_dir, "images"), output_dir,
                           display_image_size=DISPLAY_SIZE)
    return ahunt_pipeline(dataset, output_dir, known_labels=None, random_state=seed,
                          image_size=(image_size, image_size))


def static(data_dir, output_dir, seed, image_size):
    """Astronomaly's static pipeline on flattened pixels: its isolation
    forest, ``ScoreConverter`` to 0-5 and ``NeighbourScore`` on Retrain."""
    from astronomaly.anomaly_detection import human_loop_learning, isolation_forest
    # Astronomaly's isolation forest and NeighbourScore's random forest take no
    # seed and draw from numpy's global generator
    np.random.seed(seed)
    common = {"output_dir": output_dir, "force_rerun": True}
    dataset = image_folder(os.path.join(data_dir, "images"), output_dir,
                           display_image_size=DISPLAY_SIZE)
    features = pixel_features(dataset, image_size)
    anomalies = isolation_forest.IforestAlgorithm(**common).run(features)
    anomalies = human_loop_learning.ScoreConverter(**common).run(anomalies)
    return {"dataset": dataset, "features": features,
            "anomaly_scores": with_saved_labels(anomalies, output_dir),
            "active_learning": human_loop_learning.NeighbourScore(alpha=1, **common)}


def aadforest(data_dir, output_dir, seed, image_size, n_trees=100):
    """coniferest's AADForest in the page's loop: it asks its top unlabelled
    objects and learns from every answer at each Retrain."""
    def score(features):
        return aad_scores(features.to_numpy(np.float32), np.full(len(features), UNLABELLED),
                          n_trees, seed)
    return _pixel_pipeline(data_dir, output_dir, image_size, score,
                           AADForestLearning(n_trees=n_trees, random_state=seed,
                                             output_dir=output_dir))


def random_labelling(data_dir, output_dir, seed, image_size):
    """Labelling at random: a seeded random first page and a new random
    order after each Retrain."""
    def score(features):
        return MAX_SCORE * np.random.default_rng([seed, 0]).random(len(features))
    return _pixel_pipeline(data_dir, output_dir, image_size, score,
                           RandomOrder(random_state=seed, output_dir=output_dir))


PIPELINES = dict(zip(PAGE_METHODS, (ahunt, static, aadforest, random_labelling), strict=True))
# method -> (is its package importable, what to do when it is not)
REQUIREMENTS = {
    "static": (astronomaly_available,
               "needs Astronomaly, which is not on PyPI: git clone "
               "https://github.com/MichelleLochner/astronomaly && pip install -e astronomaly"),
    "aadforest": (coniferest_available, "needs coniferest: pip install coniferest"),
}


def available_methods():
    """(every method whose package is installed, [(method, how to install it)]
    for the others): what a comparison runs when no method is named."""
    missing = [(m, REQUIREMENTS[m][1]) for m in PIPELINES
               if m in REQUIREMENTS and not REQUIREMENTS[m][0]()]
    return [m for m in PIPELINES if m not in dict(missing)], missing


def check_pipelines(methods):
    """``methods`` validated before anything runs: a ``ValueError`` of one
    line names an unknown method or one whose package is missing."""
    unknown = [m for m in methods if m not in PIPELINES]
    if unknown:
        raise ValueError(f"unknown method(s) {', '.join(unknown)}; known: "
                         f"{', '.join(PIPELINES)}")
    for method in methods:
        available, remedy = REQUIREMENTS.get(method, (lambda: True, ""))
        if not available():
            raise ValueError(f"method {method} {remedy} (or leave it out of --methods)")
    return list(dict.fromkeys(methods))
