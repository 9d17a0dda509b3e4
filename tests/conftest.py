import numpy as np
import pytest

from astronomaly_ahunt.experiments.datasets import load_digits_images


@pytest.fixture(scope="session")
def digits():
    return load_digits_images()


def subset(data, label, n, offset=0):
    """``n`` images of class ``label`` starting at ``offset`` among its members."""
    return np.flatnonzero(data.y == label)[offset:offset + n]


@pytest.fixture(scope="session")
def round0(digits):
    """40 labelled 0s and 40 labelled 1s."""
    idx = np.concatenate([subset(digits, 0, 40), subset(digits, 1, 40)])
    return digits.x[idx], digits.names(digits.y[idx])


@pytest.fixture(scope="session")
def pool(digits):
    """A later round: 20 0s, 20 1s and 5 2s, with their dataset positions as ids."""
    idx = np.concatenate([subset(digits, 0, 20, 40), subset(digits, 1, 20, 40),
                          subset(digits, 2, 5)])
    return digits.x[idx], idx


def small_hunter(**params):
    from astronomaly_ahunt import Hunter
    return Hunter(**{"random_state": 0, "epochs": 2, "initial_epochs": 3, **params})


@pytest.fixture(scope="session")
def cutouts(tmp_path_factory):
    """The digits as 8 px PNG cutouts (small enough for a small CNN): 360
    normal 0s and 1s and 12 2s (3 %) to hunt, with truth.csv."""
    from astronomaly_ahunt.experiments.example_data import write_digits_cutouts
    return write_digits_cutouts(tmp_path_factory.mktemp("digits"), n_anomalies=12, size=8)
