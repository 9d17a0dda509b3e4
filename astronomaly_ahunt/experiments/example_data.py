"""Labelled image sets written out as PNG cutouts (or FITS in linear flux),
for the example scripts and the comparison: some classes are normal, a few
objects of another are the anomalies, as in the paper's protocols."""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .datasets import load_digits_images

TRUTH_FILE = "truth.csv"
CATALOGUE_FILE = "catalogue.csv"
INTERESTING = 5
# FIRST's typical noise (Jy/beam), and the span of peak signal-to-noise a
# source is given when written as FITS (log-uniform, the same for every class)
FIRST_NOISE = 1.5e-4
PEAK_SNR = (10.0, 1000.0)


def write_digits_cutouts(directory, normal=(0, 1), anomaly=2, n_anomalies=18,
                         n_catalogue=30, seed=0, size=32):
    """scikit-learn's digits as cutouts (see :func:`write_cutouts`): every
    ``normal`` digit d (labelled d) and ``n_anomalies`` of ``anomaly``."""
    if max(normal) >= INTERESTING:
        raise ValueError(f"normal digits must be below {INTERESTING}: their digit is their label")
    return write_cutouts(directory, load_digits_images, {d: d for d in normal}, anomaly,
                         n_anomalies, n_catalogue, seed, size, prefix="digit")


def write_cutouts(directory, load, normal, anomaly, n_anomalies, n_catalogue, seed, size,
                  prefix, n_normal=None, fits=False):
    """Write a labelled image set as PNG cutouts once; return the folder.

    ``directory/images/`` gets every object of the ``normal`` classes
    (``{class: label value}``), or ``n_normal`` of each, and ``n_anomalies``
    of class ``anomaly``, drawn with ``seed``, as ``size``-pixel PNGs named
    ``<prefix><position>``; ``truth.csv`` holds the label a user would give
    each (the normal class's value, 5 for an anomaly), ``catalogue.csv`` the
    class name of ``n_catalogue`` objects of each normal class (round 0's
    known labels; no catalogue when 0). ``fits=True`` writes FITS files
    in linear flux with noise instead (:func:`as_radio_flux`), at the
    loaded size. Written again, from an empty folder, when the settings
    differ from the last write.
    ``load()`` gives the :class:`~.datasets.LabelledImages`.
    """
    from PIL import Image
    directory = Path(directory)
    stamp = directory / "written.json"
    settings = {"normal": {str(k): v for k, v in normal.items()}, "anomaly": anomaly,
                "n_anomalies": n_anomalies, "n_catalogue": n_catalogue, "seed": seed,
                "size": size, "n_normal": n_normal, "fits": fits}
    if stamp.exists() and json.loads(stamp.read_text()) == settings:
        return directory
    rng = np.random.default_rng(seed)
    data = load()
    labels = {data.label_of(k): v for k, v in normal.items()}
    members = [np.flatnonzero(data.y == c) for c in labels]
    if n_normal is not None:
        members = [_draw(rng, m, n_normal, data.class_names[c]) for m, c in zip(members, labels)]
    rare = np.flatnonzero(data.y == data.label_of(anomaly))
    chosen = np.concatenate(members + [_draw(rng, rare, n_anomalies, anomaly)])
    images = directory / "images"
    # a folder written with other settings must not keep objects of the old draw
    stamp.unlink(missing_ok=True)
    for old in [*images.glob("*.png"), *images.glob("*.fits")]:
        old.unlink()
    (directory / CATALOGUE_FILE).unlink(missing_ok=True)
    images.mkdir(parents=True, exist_ok=True)
    ids = [f"{prefix}{i:04d}" for i in chosen]
    flux_rng = np.random.default_rng([seed, 1])
    for obj, i in zip(ids, chosen):
        if fits:
            from astropy.io import fits as pyfits
            flux = as_radio_flux(np.clip(data.x[i, ..., 0], 0, 1), flux_rng)
            pyfits.PrimaryHDU(flux).writeto(images / f"{obj}.fits", overwrite=True)
            continue
        pixels = (np.clip(data.x[i, ..., 0], 0, 1) * 255).astype(np.uint8)
        Image.fromarray(pixels).resize((size, size), Image.BILINEAR).save(images / f"{obj}.png")
    index = pd.Index(ids, name="id")
    truth = pd.Series([labels.get(c, INTERESTING) for c in data.y[chosen]], index=index,
                      name="label")
    truth.to_csv(directory / TRUTH_FILE)
    if n_catalogue:
        classes = pd.Series(data.names(data.y[chosen]), index=index, name="class")
        catalogue = pd.concat([classes[data.y[chosen] == c].sample(n_catalogue,
                                                                   random_state=seed)
                               for c in labels])
        catalogue.to_csv(directory / CATALOGUE_FILE)
    stamp.write_text(json.dumps(settings))
    return directory


def as_radio_flux(image, rng):
    """A FIRST cutout as the survey holds it: linear flux in Jy/beam with
    noise. The published cutouts (``image`` on [0, 1]) are clipped at 3
    times the noise and scaled to their peak; this puts them back, with a
    peak of ``PEAK_SNR`` times ``FIRST_NOISE`` drawn from ``rng`` and
    Gaussian noise of ``FIRST_NOISE`` on every pixel."""
    peak = 10 ** rng.uniform(*np.log10(PEAK_SNR))
    flux = np.where(image > 0, 3.0 + image * (peak - 3.0), 0.0) * FIRST_NOISE
    return (flux + rng.normal(0.0, FIRST_NOISE, image.shape)).astype(np.float32)


def _draw(rng, members, n, name):
    if n > len(members):
        raise ValueError(f"asked for {n} objects of class {name!r} but the dataset has "
                         f"{len(members)}")
    return rng.choice(members, n, replace=False)


def read_catalogue(directory):
    """Object id -> known class, as ``AhuntFeatures(known_labels=...)`` takes it."""
    table = pd.read_csv(Path(directory) / CATALOGUE_FILE, index_col=0)
    table.index = table.index.astype(str)
    return table["class"]
