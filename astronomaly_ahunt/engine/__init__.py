"""The AHUNT engine: the CNN, its classes and interest weights, the question
strategies, class-balancing augmentation and the ask/tell :class:`Hunter`.

It imports nothing from :mod:`astronomaly_ahunt.stages` or
:mod:`astronomaly_ahunt.experiments`, and needs no Astronomaly.
"""
