import numpy as np

from astronomaly_ahunt.engine.morphology import (HARMONIC_ORDERS, HARMONIC_RINGS, SHAPE_BINS,
                                                  SHAPE_DIMS, shape_features)


def source(kind, size=32, angle=0.0):
    """A cutout centred on a source: a compact core, two lobes at the edges
    (FRII-like), a core with fading jets (FRI-like) or with a tail on one
    side (head-tail), turned by ``angle``."""
    yy, xx = np.mgrid[:size, :size] - (size - 1) / 2
    along = xx * np.cos(angle) + yy * np.sin(angle)
    across = -xx * np.sin(angle) + yy * np.cos(angle)
    if kind == "compact":
        return np.exp(-(along ** 2 + across ** 2) / 4)
    if kind == "lobes":
        return sum(np.exp(-((along - s * 11) ** 2 + across ** 2) / 6) for s in (-1, 1))
    if kind == "bent":  # two lobes 120 degrees apart seen from the core, as a wide-angle tail
        return sum(np.exp(-((along - 11 * np.cos(turn)) ** 2 + (across - 11 * np.sin(turn)) ** 2)
                          / 6) for turn in (0, 2 * np.pi / 3))
    if kind == "head-tail":  # a core with a tail on one side only
        return np.exp(-(along ** 2 + across ** 2) / 4) + \
            0.6 * np.exp(-across ** 2 / 3 - along / 6) * (along > 0)
    return np.exp(-(along ** 2 + across ** 2) / 4) + \
        0.4 * np.exp(-across ** 2 / 3 - np.abs(along) / 6)


def test_shape_features_are_the_same_at_any_right_angle_or_mirror():
    rng = np.random.default_rng(0)
    images = rng.random((5, 24, 24, 1)).astype(np.float32)
    features = shape_features(images)
    assert features.shape == (5, SHAPE_DIMS) and features.dtype == np.float32
    for turned in (np.rot90(images, 1, axes=(1, 2)), np.rot90(images, 2, axes=(1, 2)),
                   images[:, ::-1], images[:, :, ::-1]):
        # the same to float rounding
        np.testing.assert_allclose(shape_features(turned), features, rtol=1e-4, atol=1e-6)
    # channels are averaged: an RGB cutout of one grey image is that image
    np.testing.assert_allclose(shape_features(np.repeat(images, 3, axis=-1)), features, rtol=1e-4)


def test_shape_features_tell_a_core_from_lobes_and_a_bar_from_a_blob():
    images = np.stack([source(kind, angle=angle) for kind in ("compact", "lobes", "jet")
                       for angle in (0.3, 1.1)]).astype(np.float32)
    features = shape_features(images)
    cumulative = features[:, SHAPE_BINS + 1:2 * (SHAPE_BINS + 1)]
    half_light = (cumulative < 0.5).sum(axis=1)  # annuli before half the flux
    compact, lobes, jet = half_light[0:2], half_light[2:4], half_light[4:6]
    # turned by any angle, not only right angles, a kind keeps its profile
    assert compact[0] == compact[1] and lobes[0] == lobes[1] and jet[0] == jet[1]
    assert compact[0] < jet[0] < lobes[0]
    ratio = features[:, 2 * (SHAPE_BINS + 1) + 2]  # minor over major axis
    assert ratio[0] > 0.95 and ratio[2] < 0.2 and ratio[4] < 0.8


def test_harmonics_tell_a_bent_double_from_a_straight_one_at_any_angle():
    images = np.stack([source(kind, angle=angle) for kind in ("lobes", "bent")
                       for angle in (0.3, 1.1, 2.0)]).astype(np.float32)
    harmonics = shape_features(images)[:, -HARMONIC_RINGS * len(HARMONIC_ORDERS):]
    by_order = harmonics.reshape(len(images), HARMONIC_RINGS, len(HARMONIC_ORDERS)).max(axis=1)
    first, second = by_order[:, HARMONIC_ORDERS.index(1)], by_order[:, HARMONIC_ORDERS.index(2)]
    straight, bent = slice(0, 3), slice(3, 6)
    # a straight double is its own half-turn: no first order at any angle; a bent one is lopsided
    assert first[straight].max() < 0.05 < 0.3 < first[bent].min()
    assert second[straight].min() > 0.8
    # a straight double's symmetry reads the same at angles that are not right angles
    assert np.ptp(second[straight]) < 0.05


def test_sources_at_every_angle_have_no_preferred_orientation_and_upright_ones_do():
    from astronomaly_ahunt.engine.morphology import NO_ORIENTATION_BELOW, turn_ratio
    rng = np.random.default_rng(0)
    sky = np.stack([source("head-tail", 24, angle) for angle in rng.uniform(0, 2 * np.pi, 150)])
    # the same sources all pointing up (to a few degrees), as digits and clothes stand
    upright = np.stack([source("head-tail", 24, np.pi / 2 + angle)
                        for angle in rng.normal(0, 0.1, 150)])
    noise = rng.normal(0, 0.05, sky.shape)
    assert turn_ratio(sky + noise) < NO_ORIENTATION_BELOW < turn_ratio(upright + noise)
