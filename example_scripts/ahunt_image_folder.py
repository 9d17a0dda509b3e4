"""AHUNT in Astronomaly over a folder of image cutouts (png, jpg or fits).

Set the constants below, then serve it with Astronomaly's frontend::

    python astronomaly/frontend/run_server.py /path/to/example_scripts/ahunt_image_folder.py

No catalogue is needed (CATALOGUE = None): label the top of the list, 0 for
anything boring, 5 for what you want more of (1-2: boring kinds worth telling
apart, such as artefacts; 3-4: lesser finds), and press Retrain (see
``astronomaly_ahunt.stages.label_mapping``). Keep every path
free of '-': Astronomaly's cache check splits its log lines on it.
"""

import os

import pandas as pd

from astronomaly_ahunt import Hunter, LabelMapping, ahunt_pipeline, image_folder, page_settings

IMAGE_DIR = os.environ.get("AHUNT_IMAGE_DIR",
                           os.path.join(os.getcwd(), "example_data", "cutouts"))
OUTPUT_DIR = os.environ.get("AHUNT_OUTPUT_DIR",
                            os.path.join(os.getcwd(), "example_data", "ahunt_output"))
CATALOGUE = None          # optional csv: object id (file name without extension), class
IMAGE_SIZE = (64, 64)     # every cutout is resized to this
GREYSCALE = True          # False: colour channels, or the bands of FITS cubes, stay apart
AUGMENTATION = "galaxy"   # 45 degree rotations, reflected edges; "mnist" for digits-like data
N_QUESTIONS = 20          # questions ranked first after each Retrain: a page to label
SEED = int(os.environ.get("AHUNT_SEED", 0))
LABELS = LabelMapping.default()


def run_pipeline():
    dataset = image_folder(IMAGE_DIR, OUTPUT_DIR, display_image_size=256)
    known = None
    if CATALOGUE is not None:
        known = pd.read_csv(CATALOGUE, index_col=0).iloc[:, 0]
        known.index = known.index.astype(str)
    return ahunt_pipeline(dataset, OUTPUT_DIR, known_labels=known,
                          # the stages' default for this many cutouts (a cheaper CNN
                          # from 50,000 on), with this folder's augmentation
                          hunter=Hunter(**page_settings(len(dataset.index)),
                                        augmentation=AUGMENTATION, random_state=SEED),
                          label_mapping=LABELS, n_questions=N_QUESTIONS,
                          image_size=IMAGE_SIZE, greyscale=GREYSCALE, random_state=SEED)
