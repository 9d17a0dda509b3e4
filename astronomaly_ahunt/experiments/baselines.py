"""What AHUNT is compared with (paper section 2.1, and two active peers).

- static active learning: AHUNT with the backbone frozen after round 0,
  so the oracle's answers only move the head
  (:meth:`~.model.AhuntNet.freeze_backbone`, used by
  :class:`~.runners.HunterRunner`);
- isolation forest on raw pixels (:class:`ForestRunner`), and on a CNN's
  latent space (:func:`isolation_forest`, reported by the CNN's runner);
- coniferest's AADForest and PineForest (optional: ``pip install
  coniferest``), active forests fed the same ``n_q`` oracle answers a
  round as AHUNT, on raw pixels (:class:`ConiferestRunner`);
- Astronomaly's own active learning, ``NeighbourScore`` (Lochner &
  Bassett 2021), on raw pixels with an isolation forest's score as its
  anomaly score (optional: needs Astronomaly; :class:`NeighbourScoreRunner`).

The forests hear only "anomaly or not": any class outside round 0's
normal classes is an anomaly.
"""

import contextlib
import io
import logging
import tempfile
import time

import numpy as np
import pandas as pd

from ..engine.questions import isolation_forest
from .runners import Evaluation, Step


def _flat(x):
    return np.asarray(x, dtype=np.float32).reshape(len(x), -1)


class ForestRunner:
    """Isolation forest on raw pixels: asks nothing, learns nothing, refitted
    on everything seen each round."""

    def __init__(self, name="iforest-raw"):
        self.name = name
        self.outputs = (name,)

    def start(self, x0, names0, seed):
        self.seed_, self.round_ = seed, 0

    def step(self, x, ids, n_q, oracle):
        self.round_ += 1
        return Step()

    def evaluate(self, x_seen):
        t0 = time.perf_counter()
        score, decision = isolation_forest(x_seen, self.seed_ + self.round_)
        return {self.name: Evaluation(score, decision, seconds=time.perf_counter() - t0)}


class _AskingRunner:
    """What every baseline that asks the oracle keeps: round 0's normal class
    names (anything else is an anomaly), the pixels seen and one answer per
    object seen."""

    def start(self, x0, names0, seed):
        self.normal_ = set(np.asarray(names0).tolist())
        self.seed_, self.round_ = seed, 0
        self.x_ = np.zeros((0,) + (_flat(x0[:1]).shape[1],), np.float32)
        self.labels_ = np.zeros(0, dtype=int)


class ConiferestRunner(_AskingRunner):
    """coniferest's AADForest or PineForest as an active anomaly detector.

    Each round it scores the new objects with last round's forest, asks
    the oracle about the ``n_q`` most anomalous ones, and refits on
    everything seen with every answer so far.

    Parameters
    ----------
    name : str
    kind : {'aad', 'pine'}
    n_trees : int
    """

    def __init__(self, name, kind, n_trees=100):
        from coniferest.aadforest import AADForest  # noqa: F401 -- fail early, with the name
        if kind not in ("aad", "pine"):
            raise ValueError(f"unknown coniferest model {kind!r}; choose 'aad' or 'pine'")
        self.name, self.kind, self.n_trees = name, kind, n_trees
        self.outputs = (name,)

    def start(self, x0, names0, seed):
        super().start(x0, names0, seed)
        self.model_ = None

    def step(self, x, ids, n_q, oracle):
        from coniferest.label import Label
        flat = _flat(x)
        t0 = time.perf_counter()
        model = self.model_ if self.model_ is not None else \
            self._fit(flat, np.zeros(len(flat), dtype=int))
        # coniferest scores like scikit-learn: lower is more anomalous
        asked_pos = np.argsort(model.score_samples(flat), kind="stable")[:n_q]
        asked = np.asarray(ids)[asked_pos]
        t1 = time.perf_counter()
        names = np.asarray(oracle(asked)).tolist()
        answers = np.full(len(flat), int(Label.UNKNOWN))
        answers[asked_pos] = [int(Label.REGULAR) if n in self.normal_ else int(Label.ANOMALY)
                              for n in names]
        self.x_ = np.concatenate([self.x_, flat])
        self.labels_ = np.concatenate([self.labels_, answers])
        self.round_ += 1
        self.model_ = self._fit(self.x_, self.labels_)
        return Step(asked, t1 - t0, time.perf_counter() - t1)

    def _fit(self, x, labels):
        from coniferest.aadforest import AADForest
        from coniferest.label import Label
        from coniferest.pineforest import PineForest
        # trees subsample 256 objects, or all of them in a smaller first round
        common = {"n_trees": self.n_trees, "n_subsamples": min(256, len(x)),
                  "random_seed": self.seed_ + self.round_, "n_jobs": 1}
        if self.kind == "aad":
            return AADForest(**common).fit(x, labels)
        known = labels != int(Label.UNKNOWN)
        forest = PineForest(**common)
        if not known.any():
            return forest.fit(x)
        return forest.fit_known(x, known_data=x[known], known_labels=labels[known])

    def evaluate(self, x_seen):
        t0 = time.perf_counter()
        score = -self.model_.score_samples(_flat(x_seen))
        return {self.name: Evaluation(score, seconds=time.perf_counter() - t0)}


class NeighbourScoreRunner(_AskingRunner):
    """Astronomaly's ``NeighbourScore`` as an active anomaly detector, on
    flattened pixels.

    Each round it scores everything seen plus the round's new objects (an
    isolation forest's score until the oracle has answered, then
    NeighbourScore's ``trained_score`` with every answer so far, from that
    score put on 0-5 by Astronomaly's ``ScoreConverter``), asks the
    oracle about the ``n_q`` new objects that score highest, and records
    the answers on Astronomaly's 0-5 scale: anomaly 5, normal 0.
    """

    ANOMALY, NORMAL, UNLABELLED = 5, 0, -1

    def __init__(self, name="neighbourscore"):
        from astronomaly.anomaly_detection import human_loop_learning  # noqa: F401 -- fail early
        self.name = name
        self.outputs = (name,)

    def step(self, x, ids, n_q, oracle):
        flat = _flat(x)
        t0 = time.perf_counter()
        n_old = len(self.x_)
        seen = np.concatenate([self.x_, flat])
        labels = np.concatenate([self.labels_, np.full(len(flat), self.UNLABELLED)])
        # counted before scoring, so that evaluate() uses this same round's forest seed
        self.round_ += 1
        score = self._score(seen, labels)[n_old:]
        asked_pos = np.argsort(-score, kind="stable")[:n_q]
        asked = np.asarray(ids)[asked_pos]
        t1 = time.perf_counter()
        names = np.asarray(oracle(asked)).tolist()
        labels[n_old + asked_pos] = [self.NORMAL if n in self.normal_ else self.ANOMALY
                                     for n in names]
        self.x_, self.labels_ = seen, labels
        return Step(asked, t1 - t0, time.perf_counter() - t1)

    def evaluate(self, x_seen):
        t0 = time.perf_counter()
        flat = _flat(x_seen)
        if len(flat) != len(self.labels_):
            raise ValueError(f"{self.name} has seen {len(self.labels_)} objects, "
                             f"asked to score {len(flat)}")
        score = self._score(flat, self.labels_)
        return {self.name: Evaluation(score, seconds=time.perf_counter() - t0)}

    def _score(self, flat, labels):
        score, _ = isolation_forest(flat, self.seed_ + self.round_)
        if not np.any(labels != self.UNLABELLED):
            return score
        from astronomaly.anomaly_detection.human_loop_learning import (NeighbourScore,
                                                                       ScoreConverter)
        features = pd.DataFrame(flat, columns=[f"pixel_{i}" for i in range(flat.shape[1])])
        with tempfile.TemporaryDirectory(prefix="neighbourscore_") as out, astronomaly_quiet():
            kwargs = {"output_dir": out, "save_output": False, "force_rerun": True}
            # NeighbourScore multiplies the score by a factor in (0, 1): on the raw forest
            # score (a narrow band near 0.5) that swamps the forest's ranking, so it gets
            # the 0-5 score Astronomaly's pipelines give it
            ml_scores = ScoreConverter(lower_is_weirder=False, **kwargs).run(
                pd.DataFrame({"score": score}))
            ml_scores["human_label"] = labels
            stage = NeighbourScore(**kwargs)
            frame = stage.combine_data_frames(features, ml_scores)
            # its RandomForestRegressor takes no seed and draws from NumPy's global
            # generator: seed that for reproducible runs, and leave it as it was
            state = np.random.get_state()
            np.random.seed(self.seed_ + self.round_)
            try:
                trained = stage.run(frame)["trained_score"]
            finally:
                np.random.set_state(state)
        return trained.to_numpy(dtype=float)


@contextlib.contextmanager
def astronomaly_quiet():
    """Keep an Astronomaly stage's progress prints out of our output, and undo
    its hold on the root logger: it sets the level, drops handlers whose file
    is not its own log (pytest's, say) and adds its own, which must be closed
    before the log's folder is removed."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        for handler in root.handlers:
            if handler not in handlers:
                handler.close()
        root.handlers = handlers
        root.setLevel(level)
