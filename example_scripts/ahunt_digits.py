"""AHUNT in Astronomaly on the digits that ship with scikit-learn.

The first run writes them out as 32-pixel PNG cutouts: every 0 and 1 (the
normal classes, 30 of each known from a "catalogue"), and 18 2s, the
anomalies to hunt. Serve it with Astronomaly's frontend::

    python astronomaly/frontend/run_server.py /path/to/example_scripts/ahunt_digits.py

Label 0 or 1 for a normal 0 or 1 (they name the catalogue's classes), 5 for
anything you would like more of, then press Retrain. Environment variables
AHUNT_SEED and AHUNT_OUTPUT_DIR override the seed and the output folder
(``astronomaly-ahunt compare`` uses them).
"""

import os
from pathlib import Path

from astronomaly_ahunt import Hunter, LabelMapping, ahunt_pipeline, image_folder
from astronomaly_ahunt.experiments.example_data import read_catalogue, write_digits_cutouts

SEED = int(os.environ.get("AHUNT_SEED", 0))
HERE = Path(__file__).resolve().parent.parent / "ahunt_output"
DATA_DIR = HERE / f"digits_cutouts_seed{SEED}"
OUTPUT_DIR = os.environ.get("AHUNT_OUTPUT_DIR", str(HERE / f"digits_ahunt_seed{SEED}"))
N_QUESTIONS = 10
# the catalogue's classes get their own buttons; 2-5 keep the default meaning
LABELS = LabelMapping({0: ("0", "normal", 0), 1: ("1", "normal", 0)})


def run_pipeline():
    data = write_digits_cutouts(DATA_DIR, seed=SEED)
    dataset = image_folder(str(data / "images"), OUTPUT_DIR, display_image_size=128)
    return ahunt_pipeline(dataset, OUTPUT_DIR, known_labels=read_catalogue(data),
                          hunter=Hunter(random_state=SEED), label_mapping=LABELS,
                          n_questions=N_QUESTIONS, random_state=SEED)
