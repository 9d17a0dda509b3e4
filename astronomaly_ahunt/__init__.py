"""AHUNT for Astronomaly: anomaly hunting with a latent space that evolves
with the oracle's labels (Vafaei Sadr, Bassett & Sekyi)."""

from .augmentation import GALAXY, MNIST_LIKE, Augmentation, balance
from .hunter import Hunter
from .questions import STRATEGIES, choose_questions, split_questions
from .taxonomy import ByDiscoveryCount, FixedInterest, NewestAnomaly, Taxonomy
from .anomaly_detection import AhuntScore
from .feature_extraction import AhuntFeatures
from .human_loop_learning import AhuntActiveLearning
from .label_mapping import LabelMapping
from .pipeline import ahunt_pipeline

__all__ = ["AhuntActiveLearning", "AhuntFeatures", "AhuntScore", "Augmentation",
           "ByDiscoveryCount", "FixedInterest", "GALAXY", "Hunter", "LabelMapping", "MNIST_LIKE",
           "NewestAnomaly", "STRATEGIES", "Taxonomy", "ahunt_pipeline", "balance",
           "choose_questions", "split_questions"]
