"""AHUNT for Astronomaly: anomaly hunting with a latent space that evolves
with the oracle's labels (Vafaei Sadr, Bassett & Sekyi).

Three parts: :mod:`.engine` (the CNN, questions, taxonomy, the ask/tell
``Hunter``; no Astronomaly), :mod:`.stages` (Astronomaly pipeline stages
built on the engine) and :mod:`.experiments` (protocols, baselines,
benchmark, comparison).

The public names are imported on first use (PEP 562), so that
``import astronomaly_ahunt.cli`` and ``astronomaly-ahunt --help`` do not
load TensorFlow.
"""

import importlib

# public name -> the module that defines it
_PUBLIC = {
    "GALAXY": ".engine.augmentation", "MNIST_LIKE": ".engine.augmentation",
    "Augmentation": ".engine.augmentation", "balance": ".engine.augmentation",
    "Hunter": ".engine.hunter",
    "PAGE_SETTINGS": ".engine.presets", "SURVEY_SETTINGS": ".engine.presets",
    "page_settings": ".engine.presets",
    "STRATEGIES": ".engine.questions", "choose_questions": ".engine.questions",
    "split_questions": ".engine.questions",
    "ByDiscoveryCount": ".engine.taxonomy", "FixedInterest": ".engine.taxonomy",
    "NewestAnomaly": ".engine.taxonomy", "Taxonomy": ".engine.taxonomy",
    "AhuntScore": ".stages.anomaly_detection",
    "AhuntFeatures": ".stages.feature_extraction",
    "AhuntActiveLearning": ".stages.human_loop_learning",
    "image_folder": ".stages.image_folder",
    "LabelMapping": ".stages.label_mapping",
    "ahunt_pipeline": ".stages.pipeline",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name):
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_PUBLIC[name], __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC))
