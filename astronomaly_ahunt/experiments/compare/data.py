"""Catalogue-free image sets for ``astronomaly-ahunt compare --data``.

Each set is a folder of PNG cutouts and a ``truth.csv`` holding what a user
would press on the page: 0 (not interesting) for every object of the normal
classes, 5 (interesting) for the few of the rare class. Nothing else is
known: no catalogue, so every method starts from the bare cutouts.

The command line lists the data sets and the methods
(:data:`~.pipelines.PIPELINES`) by the names here, which load no
pandas, so that ``--help`` answers at once.
"""

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from ..datasets import FIRST_SIZE, load_dataset

# what a person presses for an object of a normal class
NORMAL_PRESS = 0
# the methods ``compare --data`` and ``--suite`` replay on the page
PAGE_METHODS = ("ahunt", "static", "aadforest", "random")
# the suites of :mod:`.suite`, named here for the command line's --help
SUITE_NAMES = ("digits", "fmnist", "first", "first-fits")


@dataclass(frozen=True)
class Split:
    """Which classes of a labelled set are normal and which one is rare.

    Parameters
    ----------
    dataset : str
        A name :func:`~.datasets.load_dataset` knows ('digits',
        'fashion-mnist', 'first').
    normal : tuple of str
        The normal classes, by name.
    rare : str
        The rare (interesting) class.
    n_normal : int or None
        Objects drawn of each normal class; None takes every one.
    n_rare : int
        Objects drawn of the rare class.
    size : int
        Side of the written cutouts in pixels.
    prefix : str
        Start of every object id.
    crop : int, optional
        FIRST only: keep the central ``crop`` px before resizing.
    fits : bool
        FIRST only: write the cutouts as FITS files in linear flux with
        noise, at the survey's own size (300 px, or ``crop``), as a user
        holds them; the methods resize them to ``size``.
    """

    dataset: str
    normal: tuple
    rare: str
    n_normal: int | None
    n_rare: int
    size: int
    prefix: str
    crop: int | None = None
    fits: bool = False

    def describe(self):
        """One line a plot title or a log can carry: the classes, how many
        of each, the size and the crop."""
        each = "all" if self.n_normal is None else f"{self.n_normal} each"
        crop = f", central {self.crop} px" if self.crop else ""
        form = ", FITS" if self.fits else ""
        return (f"{self.dataset}: {', '.join(self.normal)} normal ({each}), "
                f"{self.rare} rare ({self.n_rare}); {self.size} px{crop}{form}")

    def with_overrides(self, **changes):
        """A copy with every change that is not None applied."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


# ~4-6 % rare, a few hundred objects: quick on 2 cores, and the digits at
# 565 objects are the set the issue measured (0, 1 and 9 all kept, 25 twos)
SPLITS = {
    "digits": Split("digits", ("0", "1", "9"), "2", None, 25, 8, "digit"),
    "digits32": Split("digits", ("0", "1", "9"), "2", None, 25, 32, "digit"),
    "fmnist": Split("fashion-mnist", ("T-shirt/top", "Trouser", "Sneaker"), "Pullover", 200,
                    25, 28, "fmnist"),
    "first-compact": Split("first", ("FRI", "FRII"), "Compact", 200, 25, 64, "first"),
    "first-bent": Split("first", ("FRI", "FRII"), "Bent", 200, 25, 64, "first"),
}


def split_of(name, normal=None, rare=None, n_normal=None, n_rare=None, crop=None):
    """The preset ``name`` with any of its class split (or its crop) replaced."""
    if name not in SPLITS:
        raise ValueError(f"unknown compare data set {name!r}; known: {', '.join(SPLITS)}")
    return SPLITS[name].with_overrides(normal=tuple(normal) if normal else None, rare=rare,
                                       n_normal=n_normal, n_rare=n_rare, crop=crop)


def data_folder(root, name, split, seed):
    """Where ``split`` drawn with ``seed`` lives under ``root``: the preset's
    name, with a digest when the split is not the preset's own, and no '-'
    (Astronomaly's log parser splits on it)."""
    tag = name.replace("-", "_")
    if SPLITS.get(name) != split:
        digest = hashlib.sha1(json.dumps(asdict(split), sort_keys=True).encode()).hexdigest()
        tag += "_" + digest[:8]
    return Path(root) / f"{tag}_seed{seed}"


def write_compare_data(root, name, seed, split=None):
    """Write (once; reused while the split and seed are the same) the cutouts
    of ``split`` (default: the preset ``name``) and its ``truth.csv``; return
    the folder, whose ``images/`` holds the cutouts."""
    from ..example_data import write_cutouts
    split = split or split_of(name)
    directory = data_folder(root, name, split, seed)

    written = (split.crop or FIRST_SIZE) if split.fits else split.size

    def load():
        return load_dataset(split.dataset, image_size=written, crop=split.crop)

    write_cutouts(directory, load, {c: NORMAL_PRESS for c in split.normal}, split.rare,
                  split.n_rare, n_catalogue=0, seed=seed, size=written, prefix=split.prefix,
                  n_normal=split.n_normal, fits=split.fits)
    return directory


def truth_path(directory):
    from ..example_data import TRUTH_FILE
    return Path(directory) / TRUTH_FILE

