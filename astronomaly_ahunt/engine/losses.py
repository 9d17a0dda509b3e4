"""The CNN's losses: their names, and the Keras loss behind each.

Kept free of TensorFlow at import, so that the command line can offer the
names at once.
"""

# softmax cross-entropy (the paper's), focal cross-entropy, and IsoMax (the
# cross-entropy of minus the scaled distance to a prototype per class)
LOSSES = ("softmax", "focal", "isomax")


def keras_loss(loss):
    """The Keras loss on the head's logits for the loss named ``loss``."""
    from .quiet_tensorflow import keras
    if loss == "focal":
        return keras.losses.CategoricalFocalCrossentropy(from_logits=True)
    return keras.losses.CategoricalCrossentropy(from_logits=True)
