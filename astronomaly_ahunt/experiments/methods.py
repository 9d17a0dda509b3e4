"""Named methods a benchmark can compare, and the runners that run them.

Two pairs of methods come from one runner each, so that asking for both
costs one CNN: ``iforest-dynamic-latent`` is an isolation forest on the
latent space of the ``ahunt`` runner, and ``iforest-static-latent`` one on
the frozen (round-0) latent space of the ``static-al`` runner.
"""

import importlib

from ..engine.presets import CATALOGUE_SETTINGS, PAPER_SETTINGS, SEMI_SUPERVISED_SETTINGS

# The hunting settings chosen on fmnist-paper: each anomaly class's share of
# questions to its most probable members, the reserve class's to the most
# isolated objects of the CNN's latent space, batches of 64 and strided
# convolutions from 28 px. They find more anomalies there at a lower MCC,
# and lose up to 0.11 MCC on splits they were not chosen on
# (benchmarks/README.md), so they are a method to compare, not a preset.
TUNED_SETTINGS = {"strategy": "anomalous", "reserve_strategy": "latent-forest",
                  "downsample": "auto", "batch_size": 64}

# AHUNT variants: Hunter parameters on top of the protocol's and the user's.
AHUNT_VARIANTS = {
    "ahunt": {},
    "ahunt-anomalous": {"strategy": "anomalous"},
    "ahunt-random": {"strategy": "random"},
    "ahunt-focal": {"loss": "focal"},
    "ahunt-isomax": {"loss": "isomax"},
    "ahunt-paper": PAPER_SETTINGS,
    "ahunt-tuned": TUNED_SETTINGS,
    "ahunt-semi-supervised": SEMI_SUPERVISED_SETTINGS,
    "ahunt-catalogue": CATALOGUE_SETTINGS,
}
STATIC = "static-al"
# method -> the runner method that reports it
RIDERS = {"iforest-dynamic-latent": "ahunt", "iforest-static-latent": STATIC}
CONIFEREST = {"aadforest": "aad", "pineforest": "pine"}
# Astronomaly's own active learning; only where Astronomaly is installed
NEIGHBOURSCORE = "neighbourscore"
METHODS = tuple(AHUNT_VARIANTS) + (STATIC, "iforest-raw") + tuple(RIDERS) + tuple(CONIFEREST) \
    + (NEIGHBOURSCORE,)
DEFAULT_METHODS = ("ahunt", "ahunt-tuned", STATIC, "iforest-raw", "iforest-static-latent",
                   "iforest-dynamic-latent", "aadforest", "pineforest")


def _importable(module):
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def coniferest_available():
    return _importable("coniferest")


def astronomaly_available():
    return _importable("astronomaly.anomaly_detection.human_loop_learning")


def check_methods(methods):
    """The requested method names, validated; coniferest's and Astronomaly's
    need their packages."""
    methods = list(dict.fromkeys(methods))
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown methods {unknown}; known: {', '.join(METHODS)}")
    if not coniferest_available() and any(m in CONIFEREST for m in methods):
        raise ValueError("aadforest and pineforest need coniferest: pip install coniferest "
                         "(or leave them out of --methods)")
    if NEIGHBOURSCORE in methods and not astronomaly_available():
        raise ValueError("neighbourscore needs Astronomaly: install it from a clone of "
                         "https://github.com/MichelleLochner/astronomaly (pip install .), "
                         "or leave it out of --methods")
    return methods


def build_runners(methods, protocol, seed, hunter_params=None, snapshot_rounds=()):
    """One runner per CNN or forest the ``methods`` need, for one seed.

    ``hunter_params`` apply to every CNN after the protocol's own; the
    latent features of the ``ahunt`` runner are kept after
    ``snapshot_rounds``.
    """
    # here, not above: the command line reads the method names without loading
    # scikit-learn, and TensorFlow only when a CNN is run
    from ..engine.hunter import Hunter
    from .baselines import ConiferestRunner, ForestRunner, NeighbourScoreRunner
    from .runners import HunterRunner

    methods = check_methods(methods)
    owners = list(dict.fromkeys(RIDERS.get(m, m) for m in methods))
    base = {"augmentation": protocol.augmentation, **protocol.hunter_params,
            **(hunter_params or {})}
    runners = []
    for owner in owners:
        rider = next((r for r, o in RIDERS.items() if o == owner and r in methods), None)
        if owner in AHUNT_VARIANTS or owner == STATIC:
            params = {**base, **AHUNT_VARIANTS.get(owner, {})}
            hunter = Hunter(interest=protocol.interest_policy(), random_state=seed, **params)
            runners.append(HunterRunner(
                owner, hunter, frozen=owner == STATIC, latent_forest=rider,
                snapshot_rounds=snapshot_rounds if owner == "ahunt" else ()))
        elif owner == "iforest-raw":
            runners.append(ForestRunner(owner))
        elif owner == NEIGHBOURSCORE:
            runners.append(NeighbourScoreRunner(owner))
        else:
            runners.append(ConiferestRunner(owner, CONIFEREST[owner]))
    return runners
