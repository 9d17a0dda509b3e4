"""AHUNT for Astronomaly: anomaly hunting with a latent space that evolves
with the oracle's labels (Vafaei Sadr, Bassett & Sekyi)."""

from .augmentation import GALAXY, MNIST_LIKE, Augmentation, balance
from .hunter import Hunter
from .questions import STRATEGIES, choose_questions, split_questions
from .taxonomy import ByDiscoveryCount, FixedInterest, NewestAnomaly, Taxonomy

__all__ = ["Augmentation", "ByDiscoveryCount", "FixedInterest", "GALAXY", "Hunter",
           "MNIST_LIKE", "NewestAnomaly", "STRATEGIES", "Taxonomy", "balance",
           "choose_questions", "split_questions"]
