"""AHUNT as Astronomaly pipeline stages: latent features
(:mod:`.feature_extraction`), the 0-5 score (:mod:`.anomaly_detection`), the
Retrain stage (:mod:`.human_loop_learning`), and what they share (the
labelling session, the meaning of the page's buttons, an image-folder
dataset, the pipeline a script returns). Built on :mod:`astronomaly_ahunt.engine`;
uses Astronomaly's own base classes when it is installed.
"""
