"""AHUNT in Astronomaly on real radio galaxies: the FIRST set of Griese et
al. (2023), 2,158 images of FRI, FRII, Compact and Bent sources.

Needs the PyPI package ``firstgalaxydata`` for its images only: ``pip
install --no-deps firstgalaxydata`` (its own dependencies would bring
PyTorch, which crashes Astronomaly's imports); the images are licensed for
non-commercial scholarly use only, and nothing is downloaded. The first run
writes every FRI and FRII and 70 Bent sources, the ones to hunt, as 64-pixel
PNG cutouts of the central 100 of the 300 pixels, where the sources are. No
catalogue: label 0 for anything boring, 5 for a bent source or anything else
worth a look.
"""

import functools
import os
from pathlib import Path

from astronomaly_ahunt import PAGE_SETTINGS, Hunter, ahunt_pipeline, image_folder
from astronomaly_ahunt.experiments.datasets import load_first
from astronomaly_ahunt.experiments.example_data import write_cutouts

SEED = int(os.environ.get("AHUNT_SEED", 0))
HERE = Path(__file__).resolve().parent.parent / "ahunt_output"
DATA_DIR = HERE / f"first_cutouts_seed{SEED}"
OUTPUT_DIR = os.environ.get("AHUNT_OUTPUT_DIR", str(HERE / f"first_ahunt_seed{SEED}"))


def run_pipeline():
    data = write_cutouts(DATA_DIR, functools.partial(load_first, crop=100), {"FRI": 0, "FRII": 0},
                         "Bent", n_anomalies=70, n_catalogue=0, seed=SEED, size=64,
                         prefix="first")
    dataset = image_folder(str(data / "images"), OUTPUT_DIR, display_image_size=256)
    return ahunt_pipeline(dataset, OUTPUT_DIR,
                          hunter=Hunter(**PAGE_SETTINGS, augmentation="galaxy", random_state=SEED),
                          random_state=SEED)
