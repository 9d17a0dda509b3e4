"""The classes AHUNT knows, and how interested the user is in each.

Class order is the order of the CNN's output units and never changes: the
normal classes first, then the reserve class, then anomaly classes in the
order the oracle named them. Growing the taxonomy therefore only ever
appends an output unit, which keeps every trained weight in place.
"""

from dataclasses import dataclass

NORMAL = "normal"
RESERVE = "reserve"
ANOMALY = "anomaly"


@dataclass(frozen=True)
class NewestAnomaly:
    """Paper section 4: all interest on the reserve class until the first
    anomaly class exists, then all of it on the newest anomaly class."""

    def weights(self, reserve, anomalies):
        if not anomalies:
            return {reserve: 1.0}
        return {anomalies[-1]: 1.0}


@dataclass(frozen=True)
class ByDiscoveryCount:
    """Interest fixed by how many anomaly classes have been found so far.

    ``schedule[k]`` is a tuple ``(reserve, first anomaly, second anomaly, ...)``
    used while ``k`` anomaly classes exist; the last entry is reused once
    more classes have been found than the schedule lists, and classes the
    entry does not reach get weight 0. The paper's section 5 scenario is
    ``ByDiscoveryCount([(1.0,), (0.83, 0.17), (0.125, 0.125, 0.75)])``.
    """

    schedule: tuple

    def __post_init__(self):
        if len(self.schedule) == 0:
            raise ValueError("ByDiscoveryCount needs at least one entry")
        object.__setattr__(self, "schedule", tuple(tuple(float(w) for w in entry)
                                                   for entry in self.schedule))

    def weights(self, reserve, anomalies):
        entry = self.schedule[min(len(anomalies), len(self.schedule) - 1)]
        names = [reserve] + list(anomalies)
        return {name: w for name, w in zip(names, entry)}


@dataclass(frozen=True)
class FixedInterest:
    """Weights the user set by name; classes found later get weight 0."""

    by_class: tuple  # ((name, weight), ...) so the policy stays hashable

    def weights(self, reserve, anomalies):
        return dict(self.by_class)


class Taxonomy:
    """Named classes of three kinds (normal, reserve, anomaly) and the
    interest weights that split the oracle's questions between them.

    Parameters
    ----------
    normal_classes : sequence of str
        The classes labelled at round 0.
    reserve : str
        Name of the class that stands for anomalies not seen yet.
    interest : policy, optional
        An object with ``weights(reserve, anomalies) -> {name: weight}``;
        :class:`NewestAnomaly` (the paper's section 4) by default.
    """

    def __init__(self, normal_classes, reserve="reserve", interest=None):
        normal_classes = [str(c) for c in normal_classes]
        if len(normal_classes) == 0:
            raise ValueError("a taxonomy needs at least one normal class")
        if len(set(normal_classes)) != len(normal_classes):
            raise ValueError(f"normal classes repeat: {normal_classes}")
        if reserve in normal_classes:
            raise ValueError(f"the reserve name {reserve!r} is also a normal class")
        self.classes = normal_classes + [str(reserve)]
        self.kinds = [NORMAL] * len(normal_classes) + [RESERVE]
        self.reserve = str(reserve)
        self.interest = interest if interest is not None else NewestAnomaly()

    def __len__(self):
        return len(self.classes)

    def __contains__(self, name):
        return str(name) in self.classes

    def index(self, name):
        try:
            return self.classes.index(str(name))
        except ValueError:
            raise ValueError(f"unknown class {str(name)!r}; known: {self.classes}") from None

    @property
    def normal(self):
        return [c for c, k in zip(self.classes, self.kinds) if k == NORMAL]

    @property
    def anomalies(self):
        """Anomaly classes in the order the oracle named them."""
        return [c for c, k in zip(self.classes, self.kinds) if k == ANOMALY]

    def kind(self, name):
        return self.kinds[self.index(name)]

    def add_class(self, name, kind=ANOMALY):
        """Append a new class of ``kind`` ('anomaly' or 'normal': an
        uninteresting class named after round 0); returns its output index."""
        name = str(name)
        if name in self.classes:
            raise ValueError(f"class {name!r} exists already")
        if kind not in (NORMAL, ANOMALY):
            raise ValueError(f"class {name!r}: kind must be {NORMAL!r} or {ANOMALY!r}; "
                             f"got {kind!r}")
        self.classes.append(name)
        self.kinds.append(kind)
        return len(self.classes) - 1

    def set_interest(self, weights):
        """Fix the interest weights by class name (they are normalised).

        Classes not named get weight 0, and so will classes found later,
        until the weights are set again or a policy is given to
        :attr:`interest`.
        """
        self._validate(weights)
        self.interest = FixedInterest(tuple((str(k), float(v)) for k, v in weights.items()))

    def _validate(self, weights):
        for name, w in weights.items():
            kind = self.kind(name)  # raises on an unknown class
            if kind == NORMAL:
                raise ValueError(f"{name!r} is a normal class; interest weights are "
                                 f"for the reserve and anomaly classes only")
            if not w >= 0:  # catches NaN too
                raise ValueError(f"interest weight of {name!r} is {w}; weights must be >= 0")
        if sum(weights.values()) <= 0:
            raise ValueError("interest weights are all zero; at least one must be positive")

    def interest_weights(self):
        """Current weights over ``self.classes`` as a list summing to 1
        (0 for normal classes)."""
        raw = self.interest.weights(self.reserve, self.anomalies)
        raw = {k: v for k, v in raw.items() if k in self.classes}
        self._validate(raw)
        total = sum(raw.values())
        return [raw.get(c, 0.0) / total for c in self.classes]

    def to_dict(self):
        return {"classes": list(self.classes), "kinds": list(self.kinds),
                "reserve": self.reserve, "interest": _policy_to_dict(self.interest)}

    @classmethod
    def from_dict(cls, d):
        normal = [c for c, k in zip(d["classes"], d["kinds"]) if k == NORMAL]
        tax = cls(normal, reserve=d["reserve"],
                  interest=_policy_from_dict(d["interest"]))
        tax.classes, tax.kinds = list(d["classes"]), list(d["kinds"])
        return tax


def _policy_to_dict(policy):
    if isinstance(policy, NewestAnomaly):
        return {"policy": "newest"}
    if isinstance(policy, ByDiscoveryCount):
        return {"policy": "by_discovery_count", "schedule": [list(e) for e in policy.schedule]}
    if isinstance(policy, FixedInterest):
        return {"policy": "fixed", "weights": dict(policy.by_class)}
    raise TypeError(f"cannot save interest policy {policy!r}")


def _policy_from_dict(d):
    if d["policy"] == "newest":
        return NewestAnomaly()
    if d["policy"] == "by_discovery_count":
        return ByDiscoveryCount(d["schedule"])
    if d["policy"] == "fixed":
        return FixedInterest(tuple(d["weights"].items()))
    raise ValueError(f"unknown interest policy {d['policy']!r}")
