import numpy as np

from astronomaly_ahunt.engine.augmentation import MNIST_LIKE, PRESETS, balance


def test_balance_brings_every_class_to_the_largest_and_keeps_labels(digits):
    x, y = digits.x[:100], digits.y[:100]
    counts = np.bincount(y)
    xb, yb = balance(x, y, PRESETS["none"], rng=0)
    assert np.bincount(yb).tolist() == [counts.max()] * 10
    np.testing.assert_array_equal(xb[:100], x)  # originals first, untouched
    # with no transform each copy is an exact member of its own label's class
    for image, label in zip(xb[100:], yb[100:]):
        assert np.any(np.all(x[y == label] == image, axis=(1, 2, 3)))


def test_augmented_copies_are_seeded_and_stay_close_to_their_source(digits):
    x = digits.x[:30]
    y = np.array([0] * 29 + [1])  # one example of class 1 must become 29
    a, ya = balance(x, y, MNIST_LIKE, rng=5)
    b, _ = balance(x, y, MNIST_LIKE, rng=5)
    np.testing.assert_array_equal(a, b)
    copies = a[30:]
    assert np.bincount(ya).tolist() == [29, 29]
    assert not np.any(np.all(copies == x[29], axis=(1, 2, 3)))  # all transformed
    corr = [np.corrcoef(c.ravel(), x[29].ravel())[0, 1] for c in copies]
    assert min(corr) > 0.6  # 10 degrees and 4 % keep a digit a digit


def test_a_size_cap_subsamples_large_classes_and_grows_small_ones(digits):
    x, y = digits.x[:100], digits.y[:100]  # classes of 8 to 12 objects
    xb, yb = balance(x, y, PRESETS["none"], rng=1, size=9)
    assert np.bincount(yb).tolist() == [9] * 10
    # every kept or copied image is a member of its own label's class
    for image, label in zip(xb, yb):
        assert np.any(np.all(x[y == label] == image, axis=(1, 2, 3)))
    kept = xb[:sum(min(n, 9) for n in np.bincount(y))]
    assert len(np.unique(kept.reshape(len(kept), -1), axis=0)) == len(kept)  # no repeats


def test_symmetric_copies_are_exact_turns_and_mirrors(digits):
    from astronomaly_ahunt.engine.augmentation import symmetric_copies
    x = digits.x[:40]
    out = symmetric_copies(x, np.random.default_rng(0))
    views = lambda image: [np.rot90(image, k, axes=(0, 1))[:, ::-1 if m else 1]
                           for k in range(4) for m in (False, True)]
    assert all(any(np.array_equal(o, v) for v in views(i)) for o, i in zip(out, x))
    # all 8 drawn, not the identity only
    drawn = {next(j for j, v in enumerate(views(i)) if np.array_equal(o, v))
             for o, i in zip(out, x)}
    assert len(drawn) == 8
    wide = np.arange(2 * 4 * 6, dtype=np.float32).reshape(2, 4, 6, 1)
    assert symmetric_copies(wide, np.random.default_rng(1)).shape == wide.shape


def test_strong_copies_are_seeded_far_from_their_source_and_keep_its_level(digits):
    from astronomaly_ahunt.engine.augmentation import strong_copies
    x = digits.x[:50]
    a = strong_copies(x, np.random.default_rng(3))
    np.testing.assert_array_equal(a, strong_copies(x, np.random.default_rng(3)))
    assert a.shape == x.shape and a.dtype == x.dtype
    corr = np.array([np.corrcoef(c.ravel(), s.ravel())[0, 1] for c, s in zip(a, x)])
    # strong: most copies far from their source (a weak copy stays above 0.6)
    assert np.median(corr) < 0.6
    # the level is kept: changed about each image's own mean
    assert abs(a.mean() - x.mean()) < 0.02


def test_a_copy_is_turned_shifted_and_zoomed_about_the_centre_within_the_limits():
    from astronomaly_ahunt.engine.augmentation import Augmentation
    yy, xx = np.mgrid[:33, :33]
    # a blob 10 px right of the centre of a 33-px image
    dot = np.exp(-((yy - 16) ** 2 + (xx - 26) ** 2) / 4.0)[None, :, :, None].astype(np.float32)
    x = np.repeat(dot, 200, axis=0)

    def where(copies):
        mass = copies[..., 0].sum(axis=(1, 2))
        return ((copies[..., 0] * yy).sum(axis=(1, 2)) / mass - 16,
                (copies[..., 0] * xx).sum(axis=(1, 2)) / mass - 16)

    dy, dx = where(Augmentation(rotation=30, shift=0, zoom=0).transform(x, seed=1))
    angle, radius = np.degrees(np.arctan2(dy, dx)), np.hypot(dy, dx)
    assert np.abs(radius - 10).max() < 0.2 and np.abs(angle).max() < 30.5
    assert angle.min() < -20 and angle.max() > 20  # both ways, near the limit
    dy, dx = where(Augmentation(rotation=0, shift=0.1, zoom=0).transform(x, seed=2))
    assert np.abs(dy).max() < 3.4 and np.abs(dx - 10).max() < 3.4
    assert np.abs(dy).max() > 2.5 and np.abs(dx - 10).max() > 2.5
    dy, dx = where(Augmentation(rotation=0, shift=0, zoom=0.2).transform(x, seed=3))
    assert np.abs(dy).max() < 0.1
    assert 10 / 1.21 < dx.min() < 10 / 1.15 and 10 / 0.85 < dx.max() < 10 / 0.79
