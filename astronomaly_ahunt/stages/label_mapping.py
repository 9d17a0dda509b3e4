"""What the frontend's label buttons 0-5 mean to AHUNT.

Astronomaly's page offers six labels, an interest scale. AHUNT needs class
names and interest weights, so a :class:`LabelMapping` turns each label
value into a class name, a kind and an interest weight. By default
(:meth:`LabelMapping.default`):

- 0 is "not interesting": the class ``normal``, the same class that round 0
  learns when there is no catalogue, so every 0 adds to the normal side;
- 1 and 2 are uninteresting too, each a class of its own (``label_1``,
  ``label_2``: a boring kind worth telling apart, such as artefacts), of
  kind normal and interest 0, so AHUNT learns them and never hunts them;
- 3, 4 and 5 are anomaly classes ``label_3`` ... ``label_5`` with interest
  1, 2 and 3: what the questions go to, the more the higher the label.
"""

from dataclasses import dataclass

import pandas as pd

from ..engine.taxonomy import ANOMALY, NORMAL, FixedInterest
from .page import INTERESTING_FROM, LABEL_VALUES, not_a_label

# the class label 0 stands for: round 0's class when there is no catalogue
NOT_INTERESTING = "normal"


@dataclass(frozen=True)
class LabelClass:
    """The class a label value stands for.

    ``kind`` 'normal' is an uninteresting class (interest must be 0); when
    its name is one of the round-0 classes the labels add examples to it.
    """

    name: str
    kind: str = ANOMALY
    interest: float = 1.0

    def __post_init__(self):
        if self.kind not in (NORMAL, ANOMALY):
            raise ValueError(f"class {self.name!r}: kind must be {NORMAL!r} or {ANOMALY!r}; "
                             f"got {self.kind!r}")
        if not self.interest >= 0:
            raise ValueError(f"class {self.name!r}: interest must be >= 0; got {self.interest}")
        if self.kind == NORMAL and self.interest != 0:
            raise ValueError(f"class {self.name!r} is normal, so its interest must be 0; "
                             f"got {self.interest}")


class LabelMapping:
    """Label value (0-5) -> :class:`LabelClass`, plus the reserve class's interest.

    Parameters
    ----------
    classes : dict
        ``{value: LabelClass or (name, kind, interest)}``; values not given
        keep their default class.
    reserve_interest : float
        Interest in anomalies nobody has labelled yet (> 0, so there is
        always something new to hunt).
    """

    def __init__(self, classes=None, reserve_interest=1.0):
        merged = dict(_DEFAULT)
        for value, cls in (classes or {}).items():
            if value not in LABEL_VALUES:
                raise ValueError(f"label value {value!r} is not one of the page's labels "
                                 f"{list(LABEL_VALUES)}")
            merged[value] = cls if isinstance(cls, LabelClass) else LabelClass(*cls)
        if not reserve_interest > 0:
            raise ValueError(f"reserve_interest must be > 0; got {reserve_interest}")
        kinds = {}
        for cls in merged.values():
            if kinds.setdefault(cls.name, cls) != cls:
                raise ValueError(f"class {cls.name!r} is given two kinds or interests: "
                                 f"{kinds[cls.name]} and {cls}")
        self.classes = merged
        self.reserve_interest = float(reserve_interest)

    @classmethod
    def default(cls):
        return cls()

    def class_of(self, value):
        return self.classes[int(value)].name

    def value_of(self, class_name, default):
        """The largest label value meaning ``class_name``, else ``default``."""
        values = [v for v, c in self.classes.items() if c.name == class_name]
        return max(values) if values else default

    def lowest_interesting_value(self):
        """The smallest label value with positive interest (what an unnamed
        anomaly is shown as), or the largest value if none has any."""
        values = [v for v, c in self.classes.items() if c.interest > 0]
        return min(values) if values else max(self.classes)

    def interest_policy(self, reserve):
        """Fixed interest weights over the reserve and the positive classes;
        classes the taxonomy does not hold yet are skipped until they appear."""
        if any(c.name == reserve for c in self.classes.values()):
            raise ValueError(f"a label class is named {reserve!r}, the reserve class's name")
        weights = {reserve: self.reserve_interest}
        weights.update({c.name: c.interest for c in self.classes.values() if c.interest > 0})
        return FixedInterest(tuple(weights.items()))

    def check_labels(self, human_label):
        """Raise ``ValueError`` naming the ids whose label is not -1 or 0-5."""
        values = pd.to_numeric(human_label, errors="coerce")
        bad = not_a_label(values)
        if bad.any():
            examples = ", ".join(f"{i}: {human_label[i]}" for i in human_label.index[bad][:5])
            raise ValueError(f"human_label must be -1 (unlabelled) or one of the page's labels "
                             f"0-5; {int(bad.sum())} object(s) have other values ({examples}). "
                             f"No label was used; fix these and Retrain again")

    def kinds(self):
        """Class name -> kind, as :meth:`Hunter.tell` takes it."""
        return {c.name: c.kind for c in self.classes.values()}

    def describe(self):
        return ", ".join(f"{v}: {c.name} ({c.kind}, interest {c.interest:g})"
                         for v, c in sorted(self.classes.items()))


_DEFAULT = {0: LabelClass(NOT_INTERESTING, NORMAL, 0.0)}
_DEFAULT.update({v: LabelClass(f"label_{v}", NORMAL, 0.0) for v in range(1, INTERESTING_FROM)})
_DEFAULT.update({v: LabelClass(f"label_{v}", ANOMALY, float(v - INTERESTING_FROM + 1))
                 for v in LABEL_VALUES[INTERESTING_FROM:]})
