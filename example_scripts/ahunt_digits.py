"""AHUNT in Astronomaly on the digits that ship with scikit-learn, as most
users start: a folder of cutouts and no catalogue.

The first run writes them out as 32-pixel PNG cutouts: every 0 and 1 and 18
2s, the objects to hunt. Serve it with Astronomaly's frontend::

    python astronomaly/frontend/run_server.py /path/to/example_scripts/ahunt_digits.py

Label the top of the list: 0 for anything you find boring, 5 for what you
would like more of (1-2: boring, but a kind worth telling apart; 3-4: less
interesting finds), then press Retrain. Environment variables AHUNT_SEED
and AHUNT_OUTPUT_DIR override the seed and the output folder
(``astronomaly-ahunt compare`` uses them).
"""

import os
from pathlib import Path

from astronomaly_ahunt import ahunt_pipeline, image_folder
from astronomaly_ahunt.experiments.example_data import write_digits_cutouts

SEED = int(os.environ.get("AHUNT_SEED", 0))
HERE = Path(__file__).resolve().parent.parent / "ahunt_output"
DATA_DIR = HERE / f"digits_cutouts_seed{SEED}"
OUTPUT_DIR = os.environ.get("AHUNT_OUTPUT_DIR", str(HERE / f"digits_ahunt_seed{SEED}"))


def run_pipeline():
    data = write_digits_cutouts(DATA_DIR, seed=SEED)
    dataset = image_folder(str(data / "images"), OUTPUT_DIR, display_image_size=128)
    return ahunt_pipeline(dataset, OUTPUT_DIR, random_state=SEED)
