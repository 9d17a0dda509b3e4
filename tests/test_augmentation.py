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
