"""What :func:`.simulate.run_rounds` drives: one runner per CNN or forest.

A runner is started on round 0's labelled normals, then every round it
may ask the oracle about the round's new objects (``step``) and it scores
everything seen so far (``evaluate``). One runner can report several
methods: the runner that trains AHUNT's CNN also scores an isolation
forest on that CNN's latent space, since that forest is nothing without
the CNN's rounds (the paper's "Iforest-latent-dynamic").

Every runner has the same three calls (``start``, ``step``, ``evaluate``),
so :func:`.simulate.run_rounds` runs any set of them on exactly the same
rounds.
"""

import time
from dataclasses import dataclass, field

import numpy as np

from ..engine.questions import isolation_forest


@dataclass
class Step:
    """What a runner did in a round before scoring.

    ``asked`` are the dataset ids put to the oracle (empty for methods that
    ask nothing); ``by_target`` counts questions per target class and how
    many hit what that class hunts (AHUNT only).
    """

    asked: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    seconds_select: float = 0.0
    seconds_retrain: float = 0.0
    by_target: dict = field(default_factory=dict)


@dataclass
class Evaluation:
    """One method's view of everything seen so far.

    score : array (n_seen,)
        Higher is more anomalous; top-k MCC and ROC AUC are computed on it.
    decision : bool array or None
        The method's own yes/no (argmax class for a CNN, the outlier
        threshold for an isolation forest); None if it has none.
    predicted_class : array of str or None
        For per-class MCC (the paper's Fig. 4).
    """

    score: np.ndarray
    decision: np.ndarray = None
    predicted_class: np.ndarray = None
    seconds: float = 0.0
    anomaly_classes: tuple = ()


class HunterRunner:
    """A :class:`~.hunter.Hunter` driven round by round.

    Parameters
    ----------
    name : str
        The method name its CNN's evaluation is reported under.
    hunter : Hunter
        Unfitted; ``random_state`` should be the run's seed.
    frozen : bool
        Freeze the backbone after round 0, so only the head learns from the
        oracle: the paper's static active learning.
    latent_forest : str or None
        Also report an isolation forest on the latent space under this name.
    snapshot_rounds : collection of int
        Rounds after which the latent features of everything seen are kept
        in ``snapshots_`` (for the paper's Fig. 1).
    """

    def __init__(self, name, hunter, frozen=False, latent_forest=None, snapshot_rounds=()):
        self.name = name
        self.hunter = hunter
        self.frozen = frozen
        self.latent_forest = latent_forest
        self.snapshot_rounds = set(snapshot_rounds)

    @property
    def outputs(self):
        return (self.name,) + ((self.latent_forest,) if self.latent_forest else ())

    def start(self, x0, names0, seed):
        self.hunter.fit_initial(x0, names0)
        if self.frozen:
            self.hunter.net_.freeze_backbone()
        self.seed_ = seed
        self.round_ = 0
        self.snapshots_ = {}

    def step(self, x, ids, n_q, oracle):
        hunter = self.hunter
        known_before = set(hunter.taxonomy_.classes)
        t0 = time.perf_counter()
        asked = hunter.ask(x, n_q, ids=ids)
        t1 = time.perf_counter()
        labels = oracle(asked)
        hunter.tell(asked, labels).retrain()
        t2 = time.perf_counter()
        self.round_ += 1
        return Step(asked, t1 - t0, t2 - t1,
                    _by_target(hunter.question_classes_, labels, hunter.taxonomy_, known_before))

    def evaluate(self, x_seen):
        hunter = self.hunter
        t0 = time.perf_counter()
        latent, proba = hunter.latent_and_proba(x_seen)
        anomaly_cols = hunter.anomaly_columns()
        classes = np.array(hunter.taxonomy_.classes)
        out = {self.name: Evaluation(
            score=proba[:, anomaly_cols].sum(axis=1),
            decision=anomaly_cols[proba.argmax(axis=1)],
            predicted_class=classes[proba.argmax(axis=1)],
            seconds=time.perf_counter() - t0,
            anomaly_classes=tuple(hunter.taxonomy_.anomalies))}
        if self.latent_forest:
            t1 = time.perf_counter()
            score, decision = isolation_forest(latent, self.seed_ + self.round_)
            out[self.latent_forest] = Evaluation(score, decision, seconds=time.perf_counter() - t1)
        if self.round_ in self.snapshot_rounds:
            self.snapshots_[self.round_] = latent
        return out


def _by_target(targets, labels, taxonomy, known_before):
    """Questions per target class and how many hit what that class hunts:
    its own members, or for the reserve class, an anomaly class not named
    before this round."""
    normal = set(taxonomy.normal)
    out = {}
    for target, label in zip(targets, labels):
        if target == taxonomy.reserve:
            hit = label not in normal and label not in known_before
        else:
            hit = label == target
        out[f"asked_{target}"] = out.get(f"asked_{target}", 0) + 1
        out[f"found_{target}"] = out.get(f"found_{target}", 0) + int(hit)
    return out
