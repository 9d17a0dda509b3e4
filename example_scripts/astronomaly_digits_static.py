"""The original, static Astronomaly pipeline on the same digits cutouts as
``ahunt_digits.py``: the baseline AHUNT is compared with.

Astronomaly's own stages, as in its Galaxy Zoo example: image features,
scaling, an isolation forest, ``ScoreConverter`` to 0-5 and ``NeighbourScore``
as the Retrain stage, over a feature space that never changes. The features
are the power spectrum: the Galaxy Zoo example's ellipse fits fail (NaN, so
the object is dropped) on 184 of the 378 digits. Needs Astronomaly installed.
"""

import os
from pathlib import Path

import numpy as np
from astronomaly.anomaly_detection import human_loop_learning, isolation_forest
from astronomaly.data_management.image_reader import ImageThumbnailsDataset
from astronomaly.feature_extraction import power_spectrum
from astronomaly.postprocessing import scaling
from astronomaly.preprocessing import image_preprocessing
from astronomaly.dimensionality_reduction import pca

from astronomaly_ahunt.experiments.example_data import write_digits_cutouts
from astronomaly_ahunt.stages.session import with_saved_labels

# Astronomaly's power spectrum still uses np.int, which numpy 2 removed
np.int = int

SEED = int(os.environ.get("AHUNT_SEED", 0))
HERE = Path(__file__).resolve().parent.parent / "ahunt_output"
DATA_DIR = HERE / f"digits_cutouts_seed{SEED}"
OUTPUT_DIR = os.environ.get("AHUNT_OUTPUT_DIR", str(HERE / f"digits_static_seed{SEED}"))


def run_pipeline():
    # Astronomaly's isolation forest and random forest draw from numpy's global generator
    np.random.seed(SEED)
    data = write_digits_cutouts(DATA_DIR, seed=SEED)
    dataset = ImageThumbnailsDataset(
        directory=str(data / "images"), output_dir=OUTPUT_DIR, display_image_size=128,
        transform_function=[image_preprocessing.image_transform_greyscale,
                            image_preprocessing.image_transform_scale],
        display_transform_function=[image_preprocessing.image_transform_scale])
    features = power_spectrum.PSD_Features(output_dir=OUTPUT_DIR).run_on_dataset(dataset)
    features = scaling.FeatureScaler(output_dir=OUTPUT_DIR).run(features.astype(float))
    anomalies = isolation_forest.IforestAlgorithm(output_dir=OUTPUT_DIR).run(features)
    anomalies = human_loop_learning.ScoreConverter(output_dir=OUTPUT_DIR).run(anomalies)
    anomalies = with_saved_labels(anomalies, OUTPUT_DIR)
    # PCA: Astronomaly's t-SNE stage fails on scikit-learn >= 1.7 (n_iter was renamed)
    visualisation = pca.PCA_Decomposer(n_components=2, output_dir=OUTPUT_DIR).run(features)
    active_learning = human_loop_learning.NeighbourScore(alpha=1, output_dir=OUTPUT_DIR)
    return {"dataset": dataset, "features": features, "anomaly_scores": anomalies,
            "visualisation": visualisation, "active_learning": active_learning}
