"""Round protocols: which classes arrive when, how many, and how many
questions the oracle answers (the paper's Table 1 and section 5)."""

import json
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from pathlib import Path

from ..engine.taxonomy import ByDiscoveryCount, NewestAnomaly


@dataclass(frozen=True)
class AnomalyStream:
    """An anomaly class: ``per_round`` objects a round from ``first_round`` on."""

    label: str
    per_round: int
    first_round: int = 1


@dataclass(frozen=True)
class Protocol:
    """A simulated survey.

    Round 0 holds ``initial[i]`` labelled objects of normal class
    ``normal[i]``; each of rounds 1..``rounds`` adds ``per_round[i]``
    unlabelled normals of each class plus the anomaly streams that have
    started, and the oracle answers ``n_q`` questions about that round's
    objects. Class labels are names or numbers of the dataset's classes.
    ``interest`` is None for the paper's section 4 policy, or a
    :class:`~.taxonomy.ByDiscoveryCount` schedule as a list of tuples.
    ``image_size`` resizes datasets whose images are large (FIRST, Galaxy10).
    """

    name: str
    dataset: str
    normal: tuple
    initial: tuple
    per_round: tuple
    anomalies: tuple
    rounds: int
    n_q: int
    augmentation: str = "mnist"
    interest: tuple = None
    description: str = ""
    hunter_params: dict = field(default_factory=dict)
    image_size: int = None

    def __post_init__(self):
        object.__setattr__(self, "anomalies", tuple(
            a if isinstance(a, AnomalyStream) else AnomalyStream(**a) for a in self.anomalies))
        if not (len(self.normal) == len(self.initial) == len(self.per_round)):
            raise ValueError(f"protocol {self.name!r}: normal, initial and per_round must have "
                             f"one entry per normal class")
        if self.rounds < 1 or self.n_q < 0:
            raise ValueError(f"protocol {self.name!r}: needs rounds >= 1 and n_q >= 0")
        if not self.anomalies:
            raise ValueError(f"protocol {self.name!r} has no anomaly class")

    def interest_policy(self):
        return NewestAnomaly() if self.interest is None else ByDiscoveryCount(self.interest)

    def with_overrides(self, **changes):
        """A copy with the given fields changed (None values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def to_json(self):
        return json.dumps(asdict(self), indent=1)


PROTOCOLS = {p.name: p for p in [
    Protocol(
        name="digits", dataset="digits", normal=("0", "1"), initial=(40, 60), per_round=(8, 8),
        anomalies=(AnomalyStream("2", 2),), rounds=15, n_q=2,
        description="scikit-learn's 8x8 digits: normal 0 and 1, anomaly 2 (1 in 9 of each "
                    "round); the paper's MNIST protocol scaled to run in well under two "
                    "minutes on 2 CPU cores"),
    Protocol(
        name="mnist-paper", dataset="mnist", normal=("0", "1"), initial=(500, 900),
        per_round=(170, 200), anomalies=(AnomalyStream("2", 6),), rounds=30, n_q=5,
        description="the paper's Table 1 MNIST protocol; runs on any 28x28 set given with "
                    "--data (normal and anomaly classes by label)"),
    Protocol(
        name="fmnist-paper", dataset="fashion-mnist", normal=("T-shirt/top", "Trouser"),
        initial=(500, 900), per_round=(170, 200), anomalies=(AnomalyStream("Pullover", 6),),
        rounds=30, n_q=5,
        description="the paper's MNIST counts on Fashion-MNIST"),
    Protocol(
        name="cifar-paper", dataset="cifar10", normal=("airplane", "automobile"),
        initial=(400, 300), per_round=(140, 150), anomalies=(AnomalyStream("bird", 2),),
        rounds=30, n_q=10,
        description="the paper's Table 1 CIFAR-10 protocol; needs a local CIFAR-10 .npz "
                    "(--data)"),
    Protocol(
        name="desi-paper", dataset="galaxy10",
        normal=("Unbarred Tight Spiral", "Edge-on without Bulge"), initial=(500, 400),
        per_round=(66, 50), anomalies=(AnomalyStream("Merging", 15),), rounds=20, n_q=10,
        augmentation="galaxy", image_size=128,
        description="the paper's Table 1 DESI protocol on Galaxy10 DECaLS at 128 px; needs "
                    "a local Galaxy10_DECals.h5 (--data)"),
    Protocol(
        name="first-radio", dataset="first", normal=("FRI", "FRII"), initial=(120, 300),
        per_round=(18, 30), anomalies=(AnomalyStream("Bent", 6),), rounds=20, n_q=5,
        augmentation="galaxy", image_size=64,
        description="FIRST radio galaxies (PyPI firstgalaxydata, non-commercial use): "
                    "normal FRI and FRII, anomaly Bent (1 in 9 of each round), 64 px; "
                    "counts scaled so that 20 rounds fit the 495 FRI and 924 FRII"),
    Protocol(
        name="fmnist-two-anomalies", dataset="fashion-mnist", normal=("T-shirt/top", "Trouser"),
        initial=(500, 900), per_round=(170, 200),
        anomalies=(AnomalyStream("Pullover", 6, 1), AnomalyStream("Bag", 10, 10)),
        rounds=30, n_q=10, interest=((1.0,), (0.83, 0.17), (0.125, 0.125, 0.75)),
        description="the paper's section 5: a second anomaly class from round 10, interest "
                    "reserve 1.0 -> (reserve 0.83, first 0.17) -> (reserve 0.125, "
                    "first 0.125, second 0.75)"),
]}


def load_protocol(name_or_path):
    """A protocol by name (see :data:`PROTOCOLS`) or from a JSON file of its fields."""
    if name_or_path in PROTOCOLS:
        return PROTOCOLS[name_or_path]
    path = Path(name_or_path)
    if not path.is_file():
        raise ValueError(f"no protocol named {name_or_path!r} and no such file; "
                         f"known protocols: {', '.join(PROTOCOLS)}")
    try:
        fields_ = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON: {err.msg} at line {err.lineno}, column "
                         f"{err.colno}; fix the file (benchmarks/*.json are examples)") from None
    try:
        return protocol_from_dict(fields_)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None


def _check_fields(given, cls, what):
    """Name what is missing from or unknown to the fields of dataclass ``cls``."""
    if not isinstance(given, dict):
        raise ValueError(f"{what} must be a JSON object of fields, not {type(given).__name__}")
    known = {f.name for f in fields(cls)}
    required = [f.name for f in fields(cls)
                if f.default is MISSING and f.default_factory is MISSING]
    missing = [k for k in required if k not in given]
    unknown = [k for k in given if k not in known]
    if missing or unknown:
        problems = ([f"misses {', '.join(missing)}"] if missing else []) + \
                   ([f"has unknown field(s) {', '.join(unknown)}"] if unknown else [])
        raise ValueError(f"{what} {' and '.join(problems)}; its fields are "
                         f"{', '.join(required)} (required) and "
                         f"{', '.join(sorted(known - set(required)))}")


def protocol_from_dict(fields_):
    """A protocol from its fields as JSON gives them back (lists for tuples)."""
    _check_fields(fields_, Protocol, "the protocol")
    fields_ = dict(fields_)
    for key in ("normal", "initial", "per_round", "anomalies"):
        if not isinstance(fields_[key], list):
            raise ValueError(f"the protocol's {key} must be a list, not {fields_[key]!r}")
    for key in ("rounds", "n_q"):
        if not isinstance(fields_[key], int):
            raise ValueError(f"the protocol's {key} must be a whole number, not {fields_[key]!r}")
    for stream in fields_["anomalies"]:
        _check_fields(stream, AnomalyStream, "an entry of anomalies")
    for key in ("normal", "initial", "per_round"):
        fields_[key] = tuple(fields_[key])
    if fields_.get("interest") is not None:
        fields_["interest"] = tuple(tuple(e) for e in fields_["interest"])
    return Protocol(**fields_)
