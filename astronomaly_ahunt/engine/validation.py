"""Input checks that name the problem, in the manner of scikit-learn's
``check_array``."""

import numpy as np


def check_images(x, shape=None, name="x", keep_half=False):
    """Return ``x`` as float32 (n, h, w, c); a (n, h, w) array gets one channel.

    ``keep_half`` leaves float16 as it is, for a caller that casts it later.

    Raises ``ValueError`` for an empty batch, the wrong number of
    dimensions, a shape other than ``shape`` (h, w, c) or non-finite pixels,
    naming the first offending image.
    """
    x = np.asarray(x)
    if x.dtype == object:
        raise ValueError(f"{name} holds images of different shapes; resize them to one shape first")
    if x.ndim == 3:
        x = x[..., np.newaxis]
    if x.ndim != 4:
        raise ValueError(f"{name} must be images of shape (n, height, width[, channels]); "
                         f"got an array of shape {x.shape}")
    if len(x) == 0:
        raise ValueError(f"{name} holds no images")
    if shape is not None and tuple(x.shape[1:]) != tuple(shape):
        raise ValueError(f"{name} has images of shape {x.shape[1:]}, but the model was "
                         f"fitted on images of shape {tuple(shape)}")
    if not (keep_half and x.dtype == np.float16):
        x = x.astype(np.float32, copy=False)
    if x.dtype == np.float16 and x.flags.c_contiguous and \
            (x.view(np.uint16) & 0x7C00).max() < 0x7C00:
        # no exponent is all ones, so every pixel is finite: 4 times faster
        # than np.isfinite on half floats, and this runs on every stored chunk
        return x
    bad = ~np.isfinite(x).reshape(len(x), -1).all(axis=1)
    if bad.any():
        raise ValueError(f"{name} has NaN or infinite pixels in {bad.sum()} image(s), "
                         f"the first at position {np.flatnonzero(bad)[0]}")
    return x


def check_ids(ids, n, name="ids"):
    """Object ids for a pool of ``n`` objects (positions when ``ids`` is None)."""
    if ids is None:
        return np.arange(n)
    ids = np.asarray(ids)
    if ids.ndim != 1 or len(ids) != n:
        raise ValueError(f"{name} must be a 1-d sequence of {n} ids; got shape {ids.shape}")
    if len(np.unique(ids)) != n:
        raise ValueError(f"{name} has repeated ids")
    return ids
