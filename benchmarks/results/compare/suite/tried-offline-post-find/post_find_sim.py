import sys, os, numpy as np
from astronomaly_ahunt.engine.questions import (learnt_isolation, nearness, shape_forest,
    fused_ranks, pixel_features, find_anchors, lookalikes)
from sklearn.ensemble import RandomForestClassifier

def pu_forest(shape, normal, found, seed, n_unl=None):
    rows_pos = np.asarray(found, int)
    neg = np.setdiff1d(np.arange(len(shape)), rows_pos)
    rows = np.concatenate([neg, rows_pos])
    yy = np.r_[np.zeros(len(neg)), np.ones(len(rows_pos))]
    f = RandomForestClassifier(100, class_weight="balanced", min_samples_leaf=1, random_state=seed, n_jobs=1).fit(shape[rows], yy)
    # out-of-bag-free: score unlabelled by the trees' votes
    return f.predict_proba(shape)[:, 1]

def pu_oob(shape, normal, found, seed):
    rows_pos = np.asarray(found, int)
    neg = np.setdiff1d(np.arange(len(shape)), rows_pos)
    rows = np.concatenate([neg, rows_pos])
    yy = np.r_[np.zeros(len(neg)), np.ones(len(rows_pos))]
    f = RandomForestClassifier(200, class_weight="balanced_subsample", min_samples_leaf=3, oob_score=True, random_state=seed, n_jobs=1).fit(shape[rows], yy)
    s = np.zeros(len(shape)); s[rows] = f.oob_decision_function_[:, 1]
    return np.nan_to_num(s)

def spread(z, normal, found, seed):
    from sklearn.semi_supervised import LabelSpreading
    lab = -np.ones(len(z), int); lab[list(normal)] = 0; lab[list(found)] = 1
    m = LabelSpreading(kernel="knn", n_neighbors=10, alpha=0.5).fit(z, lab)
    return m.label_distributions_[:, 1]

def run(x, y, seed, variant, draw, per, rounds=4, start=19):
    rng = np.random.default_rng([seed, draw])
    pp = pixel_features(x, seed)
    pixels, shape = pp.pixels, pp.shape
    zs = (shape - shape.mean(0)) / (shape.std(0) + 1e-9)
    rare = np.flatnonzero(y)
    found = [int(rng.choice(rare))]
    normal = [int(i) for i in rng.choice(np.flatnonzero(~y), start, replace=False)]
    total = []
    for r in range(rounds):
        iso = learnt_isolation(pixels, seed, normal, found)
        near = nearness(pixels, find_anchors(pp, found, x))
        asked = set(normal) | set(found)
        if len(found) == 1 and variant != "cur2":
            score = lookalikes(near, shape, found[0])
        else:
            R = [np.argsort(-iso, kind="stable"), np.argsort(-near, kind="stable")]
            parts = variant.split("+")
            if "forest" in parts or variant in ("cur", "cur2"):
                told = shape_forest(shape, normal, found, seed); R.append(np.lexsort((-near, -told)))
            if "pu" in parts:
                t = pu_forest(zs, normal, found, seed); R.append(np.lexsort((-near, -t)))
            if "puoob" in parts:
                t = pu_oob(zs, normal, found, seed); R.append(np.lexsort((-near, -t)))
            if "spread" in parts:
                t = spread(np.hstack([zs, pixels / pixels.std()]), normal, found, seed); R.append(np.lexsort((-near, -t)))
            if "spreads" in parts:
                t = spread(zs, normal, found, seed); R.append(np.lexsort((-near, -t)))
            if "noiso" in parts: R = R[1:]
            score = fused_ranks(R)
        order = [i for i in np.argsort(-score, kind="stable") if i not in asked][:per]
        rest = [int(i) for i in rng.permutation(len(y)) if i not in asked and i not in order][:20 - per]
        for i in order + rest:
            (found if y[i] else normal).append(int(i))
        total.append(len(found))
    return total

def load(pool, seed):
    d = np.load(f"/tmp/zern/cache_{pool}_seed{seed}.npz"); return d["x"], d["y"]

if __name__ == "__main__":
    per = int(os.environ.get("PER", "16")); draws = int(os.environ.get("DRAWS", "2"))
    variants = sys.argv[1].split(","); pools = sys.argv[2].split(","); seeds = [int(a) for a in sys.argv[3:]]
    for pool in pools:
        data = {s: load(pool, s) for s in seeds}
        for v in variants:
            res = [sum(run(*data[s], s, v, k, per)[-1] for k in range(draws)) for s in seeds]
            print(f"{pool:24s} {v:20s}", res, "total", sum(res), flush=True)
