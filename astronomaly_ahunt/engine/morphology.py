"""Rotation-invariant morphology of cutouts centred on their object.

A radio galaxy, or any source on the sky, has no preferred orientation, and
what tells its kinds apart is where along its extent the flux lies (FRI
sources brighten towards the core, FRII ones at their edges), how
elongated or spread it is, and whether its lobes line up (a bent source's
do not: a first-order azimuthal harmonic). Measured on every labelled FIRST object, a
forest on these few numbers ranks the rarer radio classes well above the
page's CNN trained on the same labels
(``benchmarks/results/compare/suite/separability/``), so the questions
for a named class learn from them too (:func:`.questions.explore_rule`).
"""

import numpy as np

# a pool has no preferred orientation when its cutouts, turned or mirrored,
# lie as near the other cutouts as they lie unturned (:func:`turn_ratio`): on
# the FIRST pools of the suites and comparisons 0.96-1.07, on the digits and
# Fashion-MNIST ones 1.35-2.32 (benchmarks/results/compare/suite/README.md)
NO_ORIENTATION_BELOW = 1.2
# the cutouts drawn for that measurement: its distances are all pairs of them
TURN_SAMPLE = 1000

# annuli whose radii grow geometrically from the centre: a compact source
# spans the first few pixels of a whole field, a lobed one the outer half
SHAPE_BINS = 16
# levels of the model input (0-1) at which the share of pixels above is taken
SHAPE_LEVELS = (0.1, 0.3, 0.5, 0.7)
# rings (radii again geometric, wider than the annuli) in which the flux's
# azimuthal harmonics are taken: a straight double is symmetric (order 2), a
# bent or one-sided source is not (orders 1 and 3)
HARMONIC_RINGS = 6
HARMONIC_ORDERS = (1, 2, 3, 4)
# mean and cumulative share per annulus (one more for the corners beyond the
# last radius), the two axes and their ratio, the shares above, the peak, and
# each ring's harmonics
SHAPE_DIMS = 2 * (SHAPE_BINS + 1) + 3 + len(SHAPE_LEVELS) + 1 + \
    HARMONIC_RINGS * len(HARMONIC_ORDERS)


def _grid(height, width):
    """(pixels, 2) float32 row and column of each pixel, row by row."""
    yy, xx = np.mgrid[:height, :width].astype(np.float32)
    return np.stack([yy.ravel(), xx.ravel()], axis=1)


def _annuli(grid, height, width):
    """(pixels, SHAPE_BINS + 1) membership of each pixel in its annulus."""
    radius = np.hypot(grid[:, 0] - (height - 1) / 2, grid[:, 1] - (width - 1) / 2)
    edges = np.geomspace(0.75, np.hypot(height, width) / 2, SHAPE_BINS)
    member = np.zeros((height * width, SHAPE_BINS + 1), np.float32)
    member[np.arange(height * width), np.searchsorted(edges, radius)] = 1
    return member


def _harmonics(grid, height, width):
    """(pixels, HARMONIC_RINGS * len(HARMONIC_ORDERS)) cosine and sine
    weights of each pixel for each ring and order (zero outside the ring),
    and (pixels, HARMONIC_RINGS) membership of each pixel in its ring."""
    dy, dx = grid[:, 0] - (height - 1) / 2, grid[:, 1] - (width - 1) / 2
    angle = np.arctan2(dy, dx).astype(np.float64)
    edges = np.geomspace(1.0, min(height, width) / 2, HARMONIC_RINGS)
    # the central pixel has no angle; pixels beyond the last edge join the outer ring
    ring = np.searchsorted(edges, np.hypot(dy, dx)) - 1
    member = np.zeros((height * width, HARMONIC_RINGS))
    inside = ring >= 0
    member[np.flatnonzero(inside), np.minimum(ring[inside], HARMONIC_RINGS - 1)] = 1
    orders = np.asarray(HARMONIC_ORDERS, np.float64)
    cosine = (member[:, :, None] * np.cos(angle[:, None, None] * orders)).reshape(len(grid), -1)
    sine = (member[:, :, None] * np.sin(angle[:, None, None] * orders)).reshape(len(grid), -1)
    return cosine, sine, member


def shape_features(images):
    """``SHAPE_DIMS`` numbers per image of ``images`` (n, h, w[, channels];
    channels averaged): the mean and the cumulative share of the flux in
    annuli about the centre, the second moments' major and minor axes and
    their ratio, the share of pixels above each of ``SHAPE_LEVELS``, the
    peak, and the strength of each of ``HARMONIC_ORDERS`` around each of
    ``HARMONIC_RINGS`` rings (the magnitude of the flux's azimuthal Fourier
    coefficient over the ring's flux). The same for an image turned by a
    right angle or mirrored."""
    x = np.asarray(images, dtype=np.float32)
    x = x.mean(axis=-1) if x.ndim == 4 else x
    n, height, width = x.shape
    flat = x.reshape(n, -1)
    grid = _grid(height, width)
    member = _annuli(grid, height, width)
    total = flat @ member
    mean = total / np.maximum(member.sum(axis=0), 1)
    cumulative = np.cumsum(total, axis=1)
    cumulative = cumulative / np.maximum(cumulative[:, -1:], 1e-9)
    positive = np.clip(flat, 0, None)
    major, minor = _axes(positive, grid)
    above = np.stack([(flat > level).mean(axis=1) for level in SHAPE_LEVELS], axis=1)
    # in double precision: a weak harmonic is a small difference of large sums
    positive = positive.astype(np.float64)
    cosine, sine, rings = _harmonics(grid, height, width)
    in_ring = np.repeat(positive @ rings, len(HARMONIC_ORDERS), axis=1)
    strength = np.hypot(positive @ cosine, positive @ sine) / np.maximum(in_ring, 1e-9)
    return np.column_stack([mean, cumulative, major, minor, minor / np.maximum(major, 1e-9),
                            above, flat.max(axis=1), strength]).astype(np.float32)


def _axes(weights, grid):
    """The major and minor axes (square roots of the second moments'
    eigenvalues) of each row of ``weights``, an image's flattened pixels
    at the positions ``grid``."""
    mass = weights.sum(axis=1) + 1e-9
    centre = weights @ grid / mass[:, None]
    second = np.stack([weights @ (grid[:, 0] ** 2), weights @ (grid[:, 1] ** 2),
                       weights @ (grid[:, 0] * grid[:, 1])], axis=1) / mass[:, None]
    syy = second[:, 0] - centre[:, 0] ** 2
    sxx = second[:, 1] - centre[:, 1] ** 2
    sxy = second[:, 2] - centre[:, 0] * centre[:, 1]
    half = (syy + sxx) / 2
    spread = np.sqrt(np.maximum(half ** 2 - (syy * sxx - sxy ** 2), 0))
    return np.sqrt(np.maximum(half + spread, 0)), np.sqrt(np.maximum(half - spread, 0))


def turn_ratio(images):
    """How much further a cutout of ``images`` lies from its nearest
    neighbour among the others once turned a right angle, turned half round
    or mirrored, than unturned: the median distances' ratio, averaged over
    the three views (1 where the sky has no preferred orientation; well
    above where the objects stand upright, as digits and clothes do)."""
    x = np.asarray(images, dtype=np.float32)
    x = x.reshape(x.shape[:3] + (-1,))
    flat = x.reshape(len(x), -1)
    unturned = np.median(_nearest_other(flat, flat))
    views = [np.rot90(x, 2, axes=(1, 2)), x[:, ::-1]]
    if x.shape[1] == x.shape[2]:
        views.insert(0, np.rot90(x, 1, axes=(1, 2)))
    ratios = [np.median(_nearest_other(view.reshape(len(x), -1), flat)) / max(unturned, 1e-12)
              for view in views]
    return float(np.mean(ratios))


def _nearest_other(rows, others):
    """Distance from each of ``rows`` to the nearest of ``others`` that is
    not its own image (the same position), by one matrix product."""
    squared = (rows * rows).sum(axis=1)[:, None] + (others * others).sum(axis=1)[None, :] \
        - 2 * rows @ others.T
    np.fill_diagonal(squared, np.inf)
    return np.sqrt(np.maximum(squared.min(axis=1), 0))
