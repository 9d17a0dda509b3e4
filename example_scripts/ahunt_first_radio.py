"""AHUNT in Astronomaly on real radio galaxies: the FIRST set of Griese et
al. (2023), 2,158 images of FRI, FRII, Compact and Bent sources.

Needs the optional PyPI package ``firstgalaxydata`` (``pip install
astronomaly_ahunt[first]``), whose images are licensed for non-commercial
scholarly use only; nothing is downloaded. The first run writes every FRI
and FRII (the normal classes, 50 of each known from a "catalogue") and 70
Bent sources, the hidden anomalies, as 64-pixel PNG cutouts. Label 0 for
an FRI, 1 for an FRII, 5 for anything bent or otherwise worth a look.
"""

import os
from pathlib import Path

from astronomaly_ahunt import Hunter, LabelMapping, ahunt_pipeline, image_folder
from astronomaly_ahunt.experiments.datasets import load_first
from astronomaly_ahunt.experiments.example_data import read_catalogue, write_cutouts

SEED = int(os.environ.get("AHUNT_SEED", 0))
HERE = Path(__file__).resolve().parent.parent / "ahunt_output"
DATA_DIR = HERE / f"first_cutouts_seed{SEED}"
OUTPUT_DIR = os.environ.get("AHUNT_OUTPUT_DIR", str(HERE / f"first_ahunt_seed{SEED}"))
LABELS = LabelMapping({0: ("FRI", "normal", 0), 1: ("FRII", "normal", 0)})


def run_pipeline():
    data = write_cutouts(DATA_DIR, load_first, {"FRI": 0, "FRII": 1}, "Bent", n_anomalies=70,
                         n_catalogue=50, seed=SEED, size=64, prefix="first")
    dataset = image_folder(str(data / "images"), OUTPUT_DIR, display_image_size=256)
    return ahunt_pipeline(dataset, OUTPUT_DIR, known_labels=read_catalogue(data),
                          hunter=Hunter(augmentation="galaxy", random_state=SEED),
                          label_mapping=LABELS, random_state=SEED)
