import sys, numpy as np
from sklearn.metrics import pairwise_distances
from sklearn.decomposition import PCA
from sklearn.preprocessing import QuantileTransformer
from astronomaly_ahunt.engine.questions import pixel_features, find_anchors, nearness, fused_ranks, lookalikes
TOP = 15
pools = sys.argv[1].split(",")
for pool in pools:
    res = {}
    for seed in range(9):
        d = np.load(f"/tmp/zern/cache_{pool}_seed{seed}.npz"); x, y = d["x"], d["y"]
        pp = pixel_features(x, seed)
        shape = pp.shape
        z = (shape - shape.mean(0)) / (shape.std(0) + 1e-9)
        q = QuantileTransformer(n_quantiles=200, output_distribution="normal", random_state=0).fit_transform(shape)
        w = PCA(whiten=True, random_state=0).fit_transform(z)
        w20 = PCA(20, whiten=True, random_state=0).fit_transform(z)
        p20 = PCA(20, random_state=0).fit_transform(z)
        for r in np.random.default_rng(seed).choice(np.flatnonzero(y), 8, replace=False):
            near = nearness(pp.pixels, find_anchors(pp, [r], x))
            cand = {"turned": -near, "z": pairwise_distances(z, z[r:r+1])[:, 0],
                    "quantile": pairwise_distances(q, q[r:r+1])[:, 0],
                    "whiten": pairwise_distances(w, w[r:r+1])[:, 0],
                    "whiten20": pairwise_distances(w20, w20[r:r+1])[:, 0],
                    "pca20": pairwise_distances(p20, p20[r:r+1])[:, 0],
                    "manhattan_z": pairwise_distances(z, z[r:r+1], metric="manhattan")[:, 0],
                    "lookalikes": -lookalikes(near, shape, r)}
            cand["look_q"] = -fused_ranks([np.argsort(near*-1*-1 if False else -near, kind="stable"), np.argsort(cand["quantile"], kind="stable")])
            cand["look_man"] = -fused_ranks([np.argsort(-near, kind="stable"), np.argsort(cand["manhattan_z"], kind="stable")])
            for k, dist in cand.items():
                dist = dist.astype(float).copy(); dist[r] = np.inf
                res.setdefault(k, []).append(int(y[np.argsort(dist, kind="stable")[:TOP]].sum()))
    print(f"{pool:24s}" + "  ".join(f"{k} {np.mean(v):.2f}" for k, v in res.items()), flush=True)
