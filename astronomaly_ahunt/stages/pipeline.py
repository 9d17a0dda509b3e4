"""The AHUNT pipeline an Astronomaly script's ``run_pipeline()`` returns."""

import os

from .anomaly_detection import AhuntScore
from .astronomaly_compat import remove_stale_temporaries
from .feature_extraction import AhuntFeatures
from .human_loop_learning import AhuntActiveLearning
from .session import SESSION_DIR, with_saved_labels
from .visualisation import latent_projection


def ahunt_pipeline(dataset, output_dir, known_labels=None, hunter=None, label_mapping=None,
                   n_questions=20, image_size=None, random_state=0, scoring_cluster=None,
                   greyscale=True):
    """Features, scores, a latent-space view and the Retrain stage over ``dataset``.

    Without ``known_labels`` (a Series id -> normal class from a catalogue)
    it needs no labels at all: see :class:`.feature_extraction.AhuntFeatures`.
    Resumes the session saved in ``output_dir`` and the labels of its
    ``ml_scores.csv`` when there are any. Returns the dict Astronomaly's
    frontend expects (``dataset``, ``features``, ``anomaly_scores``,
    ``visualisation``, ``active_learning``). ``scoring_cluster`` scores on
    Dask (see :class:`AhuntFeatures`). ``greyscale=False`` keeps colour
    channels, and the bands of multi-band FITS cutouts, as the CNN's channels.
    """
    # a press or Retrain killed mid-save leaves its temporary file behind
    for folder in (output_dir, os.path.join(output_dir, SESSION_DIR)):
        remove_stale_temporaries(folder)
    extractor = AhuntFeatures(known_labels=known_labels, hunter=hunter,
                              label_mapping=label_mapping, image_size=image_size,
                              greyscale=greyscale,
                              random_state=random_state, scoring_cluster=scoring_cluster,
                              output_dir=output_dir)
    features = extractor.run_on_dataset(dataset)
    session = extractor.session_
    anomalies = AhuntScore(session, n_questions=n_questions, output_dir=output_dir).run(features)
    anomalies = with_saved_labels(anomalies, output_dir, session)
    visualisation = latent_projection(features, random_state)
    active_learning = AhuntActiveLearning(session, features=features,
                                          visualisation=visualisation, anomaly_scores=anomalies,
                                          n_questions=n_questions, random_state=random_state,
                                          output_dir=output_dir)
    return {"dataset": dataset, "features": features, "anomaly_scores": anomalies,
            "visualisation": visualisation, "active_learning": active_learning}
