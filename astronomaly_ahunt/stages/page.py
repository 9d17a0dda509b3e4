"""What Astronomaly's page offers and expects, in one place: its label
buttons, the mark of an unlabelled object, which buttons mean
"interesting", the score scale it sorts by and the file its server keeps
them in. Free of heavy imports, so the command line can use them."""

import numpy as np

# the page's label buttons
LABEL_VALUES = tuple(range(6))
# Astronomaly's mark for "no label" (also what Delete Labels sets)
UNLABELLED = -1
# the page's buttons from this one up mean "interesting": the top half of 0-5
INTERESTING_FROM = 3
# the top of the page's score scale, as the buttons' values
MAX_SCORE = 5.0
# where Astronomaly's server writes the page's scores and labels
ML_SCORES = "ml_scores.csv"


def not_a_label(values):
    """A mask of ``values`` (numbers; NaN for what was not one) that are
    neither ``UNLABELLED`` nor one of the page's ``LABEL_VALUES``."""
    return ~np.isin(np.asarray(values, dtype=float), [UNLABELLED, *LABEL_VALUES])
