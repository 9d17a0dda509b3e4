"""Class-balancing augmentation applied before every retrain.

A single oracle-labelled anomaly would be lost among hundreds of normal
examples, so every class is brought up to the size of the largest one with
randomly rotated, shifted and zoomed copies of its own members.
"""

from dataclasses import dataclass, replace

import numpy as np
from .quiet_tensorflow import keras


@dataclass(frozen=True)
class Augmentation:
    """Limits of the random transforms.

    rotation : float
        Largest rotation, in degrees.
    shift : float
        Largest shift, as a fraction of the image height and width.
    zoom : float
        Largest zoom in or out, as a fraction.
    fill_mode : str
        How pixels outside the image are filled (Keras' ``fill_mode``):
        'constant' (zeros) suits digits on a black background, 'reflect'
        suits sky images whose background is noise.
    symmetric : bool
        The classes do not change under quarter turns and mirror images (the
        sky has no up, down or handedness; a 6 turned over is a 9): the CNN
        trains on every image under one of its 8 views (4 when not square),
        drawn each epoch, and its features are averaged over all of them
        (:func:`.model.symmetries`).
    """

    rotation: float = 10.0
    shift: float = 0.04
    zoom: float = 0.04
    fill_mode: str = "constant"
    symmetric: bool = False

    def __post_init__(self):
        for name in ("rotation", "shift", "zoom"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"augmentation {name} must be >= 0; got {getattr(self, name)}")

    def transform(self, x, seed):
        """Randomly transformed copies of images ``x`` (n, h, w, c): each
        turned, shifted and zoomed about its centre by amounts drawn
        uniformly within the limits, in one resampling (three in turn would
        blur each copy three times and take three times as long)."""
        if len(x) == 0:
            return x
        rng = np.random.default_rng(seed)
        n, h, w = x.shape[:3]
        angle = np.deg2rad(rng.uniform(-self.rotation, self.rotation, n))
        scale = 1.0 + rng.uniform(-self.zoom, self.zoom, n)
        dy, dx = rng.uniform(-self.shift, self.shift, (2, n)) * [[h], [w]]
        # the map from each output pixel to where it is read in the source:
        # about the centre, turned and scaled, then moved back by the shift
        cy, cx = (h - 1) / 2, (w - 1) / 2
        cos, sin = scale * np.cos(angle), scale * np.sin(angle)
        transforms = np.stack([cos, -sin, cx - cos * cx + sin * cy - dx,
                               sin, cos, cy - sin * cx - cos * cy - dy,
                               np.zeros(n), np.zeros(n)], axis=1).astype(np.float32)
        out = keras.ops.image.affine_transform(
            keras.ops.convert_to_tensor(x, dtype="float32"), transforms,
            fill_mode=self.fill_mode, data_format="channels_last")
        return keras.ops.convert_to_numpy(out)


def strong_copies(x, rng, symmetric=False):
    """Heavily changed copies of ``x`` (n, h, w, c), the "strong" views of
    FixMatch (Sohn et al. 2020) that the consistency term asks the CNN to
    class as it classes the images themselves: each shifted by up to an
    eighth of its height and width (wrapping round), its contrast scaled by 0.5-1.5,
    Gaussian noise of a tenth of its spread added, a square of up to half
    its side set to its mean (Cutout, as FixMatch's strong views end) and,
    when ``symmetric``, turned or mirrored (:func:`symmetric_copies`)."""
    n, h, w = x.shape[:3]
    out = np.empty_like(x)
    shifts = np.stack([rng.integers(-(h // 8), h // 8 + 1, size=n),
                       rng.integers(-(w // 8), w // 8 + 1, size=n)], axis=1)
    contrast = rng.uniform(0.5, 1.5, size=n)
    cut = rng.integers(0, [h // 2 + 1, w // 2 + 1], size=(n, 2))
    corners = rng.integers(0, [h - cut[:, 0] + 1, w - cut[:, 1] + 1], size=(2, n)).T
    for i in range(n):
        image = np.roll(x[i], tuple(shifts[i]), axis=(0, 1))
        mean, spread = image.mean(), image.std()
        image = mean + contrast[i] * (image - mean) + \
            rng.normal(0.0, 0.1 * spread + 1e-6, size=image.shape)
        (top, left), (height, width) = corners[i], cut[i]
        image[top:top + height, left:left + width] = mean
        out[i] = image
    return symmetric_copies(out, rng) if symmetric else out


def symmetric_copies(x, rng):
    """Each image of ``x`` (n, h, w, c) under one of its symmetries drawn at
    random: a quarter turn 0-3 times (square images; else 0 or 2), then
    mirrored or not."""
    square = x.shape[1] == x.shape[2]
    turns = rng.integers(4, size=len(x)) if square else 2 * rng.integers(2, size=len(x))
    mirror = rng.integers(2, size=len(x)).astype(bool)
    out = np.empty_like(x)
    for i, (k, m) in enumerate(zip(turns, mirror)):
        turned = np.rot90(x[i], k, axes=(0, 1))
        out[i] = turned[:, ::-1] if m else turned
    return out


# Paper section 3: MNIST and CIFAR-10 used 10 degrees and 4 %, DESI 45 degrees and 5 %.
MNIST_LIKE = Augmentation(rotation=10.0, shift=0.04, zoom=0.04, fill_mode="constant")
GALAXY = Augmentation(rotation=45.0, shift=0.05, zoom=0.05, fill_mode="reflect")
# Not the galaxy default: on the page with no catalogue, zoomed FIRST seeds 0-2,
# it found more FRII and once almost no compact source (benchmarks/README.md)
PRESETS = {"mnist": MNIST_LIKE, "galaxy": GALAXY,
           "galaxy-symmetric": replace(GALAXY, symmetric=True),
           "none": Augmentation(0.0, 0.0, 0.0)}


def balance(x, y, augmentation, rng, size=None):
    """Bring every class in ``y`` to the size of the largest class, or to
    ``size`` when given.

    A class smaller than the target gains augmented copies of randomly
    chosen (with replacement) members; a class larger than ``size`` is cut
    to a random subset. Kept originals come first, in their order, then the
    copies, which keep their source's label.
    """
    rng = np.random.default_rng(rng)
    classes, counts = np.unique(y, return_counts=True)
    target = counts.max() if size is None else int(size)
    kept, sources = [], []
    for c, n in zip(classes, counts):
        members = np.flatnonzero(y == c)
        if n > target:
            members = np.sort(rng.choice(members, size=target, replace=False))
        kept.append(members)
        if n < target:
            sources.append(rng.choice(members, size=target - n, replace=True))
    kept = np.sort(np.concatenate(kept))
    if not sources:
        return x[kept], y[kept]
    sources = np.concatenate(sources)
    copies = augmentation.transform(x[sources], seed=int(rng.integers(2**31 - 3)))
    return np.concatenate([x[kept], copies]), np.concatenate([y[kept], y[sources]])
