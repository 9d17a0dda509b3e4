"""AHUNT for Astronomaly: anomaly hunting with a latent space that evolves
with the oracle's labels (Vafaei Sadr, Bassett & Sekyi).

Three parts: :mod:`.engine` (the CNN, questions, taxonomy, the ask/tell
``Hunter``; no Astronomaly), :mod:`.stages` (Astronomaly pipeline stages
built on the engine) and :mod:`.experiments` (protocols, baselines,
benchmark, comparison).
"""

from .engine.augmentation import GALAXY, MNIST_LIKE, Augmentation, balance
from .engine.hunter import Hunter
from .engine.presets import PAGE_SETTINGS
from .engine.questions import STRATEGIES, choose_questions, split_questions
from .engine.taxonomy import ByDiscoveryCount, FixedInterest, NewestAnomaly, Taxonomy
from .stages.anomaly_detection import AhuntScore
from .stages.feature_extraction import AhuntFeatures
from .stages.human_loop_learning import AhuntActiveLearning
from .stages.image_folder import image_folder
from .stages.label_mapping import LabelMapping
from .stages.pipeline import ahunt_pipeline

__all__ = ["AhuntActiveLearning", "AhuntFeatures", "AhuntScore", "Augmentation",
           "ByDiscoveryCount", "FixedInterest", "GALAXY", "Hunter", "LabelMapping", "MNIST_LIKE",
           "NewestAnomaly", "PAGE_SETTINGS", "STRATEGIES", "Taxonomy", "ahunt_pipeline", "balance",
           "choose_questions", "image_folder", "split_questions"]
