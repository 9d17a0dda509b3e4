"""Cold start on fmnist-paper: how many Pullovers each candidate score puts among the top 5
(and top 20) of the round-1 and round-2 pools, the CNN fitted on round 0 only.

    python round1_scores.py 0 1 2 3 4 5 6 7 8 9 > round1_scores.txt
"""
import sys

import numpy as np
from sklearn.decomposition import PCA

from astronomaly_ahunt.engine.hunter import Hunter
from astronomaly_ahunt.engine.questions import fused_ranks, isolation_forest, novelty
from astronomaly_ahunt.experiments.datasets import load_dataset
from astronomaly_ahunt.experiments.protocols import PROTOCOLS
from astronomaly_ahunt.experiments.simulate import draw_rounds


def knn(reference, query, k):
    """Mean distance of each query row to its k nearest reference rows (the
    novelty rule's score, whose seed draws nothing below 5,000 references)."""
    return novelty(query, reference, seed=0, k=k)


def unit(z):
    return z / np.linalg.norm(z, axis=1, keepdims=True).clip(1e-9)


protocol, data = PROTOCOLS["fmnist-paper"], load_dataset("fashion-mnist")
pullover = data.label_of("Pullover")
hits = {}
for seed in [int(s) for s in sys.argv[1:]]:
    initial, rounds = draw_rounds(protocol, data, np.random.default_rng(seed))
    hunter = Hunter(strategy="anomalous", random_state=seed).fit_initial(
        data.x[initial], data.names(data.y[initial]))
    z0, _ = hunter.latent_and_proba(data.x[initial])
    f0 = data.x[initial].reshape(len(initial), -1)
    for batch in rounds[:2]:
        x, truth = data.x[batch], data.y[batch] == pullover
        z, proba = hunter.latent_and_proba(x)
        fx = x.reshape(len(x), -1)
        pca = PCA(64, random_state=seed).fit(fx)
        scores = {
            "reserve_p": proba[:, hunter.taxonomy_.index("reserve")],
            "unknown": 1 - proba[:, hunter.known_columns()].max(1),
            "lf_pool": isolation_forest(z, seed)[0],
            "lf_pool+x0": isolation_forest(np.r_[z, z0], seed)[0][:len(z)],
            "knn1_lat": knn(z0, z, 1), "knn10_lat": knn(z0, z, 10),
            "knn10_cos": knn(unit(z0), unit(z), 10),
            "knn10_poolself_lat": knn(z, z, 11),
            "pix_if": isolation_forest(fx, seed)[0],
            "knn1_pix": knn(f0, fx, 1), "knn5_pix": knn(f0, fx, 5),
            "knn10_pix": knn(f0, fx, 10), "knn30_pix": knn(f0, fx, 30),
            "knn10_pca": knn(pca.transform(f0), pca.transform(fx), 10),
            "fuse_pix_lat": fused_ranks([np.argsort(-knn(f0, fx, 10)),
                                         np.argsort(-knn(z0, z, 1))]),
            "knn10_pix_rel": knn(f0, fx, 10) / knn(fx, fx, 11).clip(1e-9)}
        for name, score in scores.items():
            order = np.argsort(-score)
            hits.setdefault(name, []).append((truth[order[:5]].sum(), truth[order[:20]].sum()))
print("# Pullovers among each score's top 5 (and mean among its top 20) on the round-1 and "
      "round-2 pools, seed by seed; random questions would hold 0.08 of 5")
for name, found in hits.items():
    found = np.array(found)
    print(f"{name:20s} top5 {found[:, 0].tolist()} mean {found[:, 0].mean():.2f} | "
          f"top20 mean {found[:, 1].mean():.2f} | pools with none in the top 5 "
          f"{(found[:, 0] == 0).sum()}")
