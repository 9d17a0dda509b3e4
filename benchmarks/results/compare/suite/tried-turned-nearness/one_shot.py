"""One-shot retrieval on the FIRST pools: with one rare object found, how
many of the 15 objects nearest to it in the page's pixel features (the
principal components of the flattened cutouts) are rare too, measured to it
as it is, to its 8 right-angle turns and mirrors, to its turns every 20 (or
45) degrees and mirrors, and, for comparison, in the standardised shapes.
Eight finds drawn per pool, seeds 0-8. Run from benchmarks/:

    python results/compare/suite/tried-turned-nearness/one_shot.py DATA
"""

import sys

import numpy as np
from scipy.ndimage import rotate
from sklearn.decomposition import PCA
from sklearn.metrics import pairwise_distances

sys.path.insert(0, ".")
from compare_separability import read_folder  # noqa: E402
from astronomaly_ahunt.engine.morphology import shape_features  # noqa: E402
from astronomaly_ahunt.experiments.compare.data import write_compare_data  # noqa: E402
from astronomaly_ahunt.experiments.compare.suite import SUITES  # noqa: E402

TOP = 15


def turned(image, step):
    views = []
    for angle in range(0, 360, step):
        view = rotate(image, angle, reshape=False, order=1, mode="nearest") if angle else image
        views += [view, view[:, ::-1]]
    return np.stack(views)


for suite in ("first", "first-fits"):
    for name, split in SUITES[suite].items():
        found = {}
        for seed in range(9):
            x, rare = read_folder(write_compare_data(sys.argv[1], name, seed, split), split.size)
            x = x[..., 0]
            flat = x.reshape(len(x), -1)
            pca = PCA(64, random_state=seed).fit(flat)
            pixels = pca.transform(flat)
            shape = shape_features(x)
            shape = (shape - shape.mean(0)) / (shape.std(0) + 1e-9)
            for r in np.random.default_rng(seed).choice(np.flatnonzero(rare), 8, replace=False):
                anchors = {"as found": pixels[r:r + 1],
                           "8 right-angle views": pca.transform(turned(x[r], 90).reshape(8, -1)),
                           "turns every 45 deg": pca.transform(turned(x[r], 45).reshape(16, -1)),
                           "turns every 20 deg": pca.transform(turned(x[r], 20).reshape(36, -1))}
                distances = {k: pairwise_distances(pixels, a).min(axis=1) for k, a in anchors.items()}
                distances["shapes"] = pairwise_distances(shape, shape[r:r + 1])[:, 0]
                for k, d in distances.items():
                    d[r] = np.inf
                    found.setdefault(k, []).append(int(rare[np.argsort(d, kind="stable")[:TOP]].sum()))
        print(f"{name:24s}" + "  ".join(f"{k} {np.mean(v):.2f}" for k, v in found.items())
              + f"  (random {TOP * 24 / (len(rare) - 1):.2f})", flush=True)
