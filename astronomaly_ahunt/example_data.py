"""The embedded digits written out as PNG cutouts, for the example scripts
and the comparison: two digits are the normal classes, a few of a third
are the anomalies, as in the paper's MNIST protocol."""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .datasets import load_digits_images

TRUTH_FILE = "truth.csv"
CATALOGUE_FILE = "catalogue.csv"
INTERESTING = 5


def write_digits_cutouts(directory, normal=(0, 1), anomaly=2, n_anomalies=18,
                         n_catalogue=30, seed=0, size=32):
    """Write the cutouts once; return the folder holding them.

    ``directory/images/`` gets every digit of the ``normal`` classes and
    ``n_anomalies`` of ``anomaly`` (drawn with ``seed``) as ``size``-pixel
    PNGs; ``truth.csv`` holds the label a user would give each (a normal
    digit d: the value d, an anomaly: 5), ``catalogue.csv`` the known class
    of ``n_catalogue`` normals of each class (round 0's labels).
    """
    from PIL import Image
    directory = Path(directory)
    stamp = directory / "written.json"
    settings = {"normal": list(normal), "anomaly": anomaly, "n_anomalies": n_anomalies,
                "n_catalogue": n_catalogue, "seed": seed, "size": size}
    if stamp.exists() and json.loads(stamp.read_text()) == settings:
        return directory
    if max(normal) >= INTERESTING:
        raise ValueError(f"normal digits must be below {INTERESTING}: their digit is their label")
    rng = np.random.default_rng(seed)
    data = load_digits_images()
    chosen = np.concatenate([np.flatnonzero(np.isin(data.y, normal)),
                             rng.choice(np.flatnonzero(data.y == anomaly), n_anomalies,
                                        replace=False)])
    images = directory / "images"
    images.mkdir(parents=True, exist_ok=True)
    ids = [f"digit{i:04d}" for i in chosen]
    for obj, i in zip(ids, chosen):
        pixels = (data.x[i, ..., 0] * 255).astype(np.uint8)
        Image.fromarray(pixels).resize((size, size), Image.BILINEAR).save(images / f"{obj}.png")
    truth = pd.Series(np.where(data.y[chosen] == anomaly, INTERESTING, data.y[chosen]),
                      index=pd.Index(ids, name="id"), name="label")
    truth.to_csv(directory / TRUTH_FILE)
    catalogue = pd.concat([truth[truth == d].sample(n_catalogue, random_state=seed)
                           for d in normal])
    catalogue.map(lambda d: f"digit_{d}").rename("class").to_csv(directory / CATALOGUE_FILE)
    stamp.write_text(json.dumps(settings))
    return directory


def read_catalogue(directory):
    """Object id -> known class, as ``AhuntFeatures(known_labels=...)`` takes it."""
    table = pd.read_csv(Path(directory) / CATALOGUE_FILE, index_col=0)
    table.index = table.index.astype(str)
    return table["class"]
