"""Before the first find: which pixel-space list of questions finds a suite
split's rare class within the first 40 labels?

Issue 16 asks AHUNT's page to find the first rare object within 40 labels on
90 % of runs. Until then every question goes to the reserve class, which
interleaves three lists (``questions.explore``): the CNN's latent space by a
learnt isolation forest, the pixels by the same, and the latent space's
k-means clusters nobody was asked about. This replays the lists that need
no CNN, alone and interleaved, on the suite's pools (the folders ``compare
--suite`` writes, read as the methods read them): 20 questions a round, each
round's list ranked anew after the answers so far (all "not interesting"
until the find), and records the label at which the first rare object came.

Lists: ``random`` (a seeded order), ``isolation`` (scikit-learn's isolation
forest on the pixels' features, which learns nothing from the answers, as
the static pipeline ranks), ``learnt-isolation`` (``questions.learnt_isolation``
on them), ``medoids`` (``questions.uncovered_medoids`` on them, 60 clusters),
``strata`` (the same 60 clusters, those nobody was asked about first in a
seeded random order, one member drawn at random from each: stratified
sampling rather than each cluster's most typical member), ``neighbour``
(the static pipeline's Retrain with every answer 0: the isolation forest's
scores damped near the objects already asked, :func:`neighbour`); ``a+b``
interleaves ``a`` and ``b``.

    python benchmarks/first_find_lists.py --seeds 0 1 2 3 4 5 \\
        --output benchmarks/results/compare/suite/first-find-lists
"""

import argparse
import json
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from compare_separability import read_folder
from astronomaly_ahunt.engine.questions import (CLUSTERS_PER_QUESTION, free_clusters,
                                                interleaved_scores, isolation_forest,
                                                learnt_isolation, nearness,
                                                pixel_features, uncovered_medoids)
from astronomaly_ahunt.experiments.benchmark import run_record
from astronomaly_ahunt.experiments.compare.data import write_compare_data
from astronomaly_ahunt.experiments.compare.pipelines import rescale
from astronomaly_ahunt.experiments.compare.suite import SUITES

LISTS = ("random", "isolation", "learnt-isolation", "medoids", "strata", "neighbour",
         "learnt-isolation+medoids", "random+learnt-isolation+medoids")
PER_ROUND = 20
WITHIN = 40  # issue 16's mark


def fixed_lists(lists, n, seed, features, pool):
    """What no answer changes, drawn once a pool: the random order (drawn
    for the ``pool``, its name, as well as the seed, since a compare folder
    lists its rare objects last and one order for every split would find
    them early or late in all splits of a seed at once) and the isolation
    forest's scores."""
    fixed = {}
    if "random" in lists:
        fixed["random"] = np.random.default_rng([seed, zlib.crc32(pool.encode())]).permutation(n)
    if "isolation" in lists or "neighbour" in lists:
        fixed["isolation"] = isolation_forest(features, seed)[0]
    return fixed


def strata(features, free, asked, k, seed):
    """One member drawn at random from each of ``k`` k-means clusters of the
    ``free`` positions (``questions.free_clusters``, the medoids' clusters),
    clusters with no ``asked`` member first, each group in a random order
    (drawn from the seed and the answers so far); then the rest in a random
    order."""
    rng = np.random.default_rng([seed, len(asked)])
    distances, covered = free_clusters(features, free, asked, k, seed)
    member = distances.argmin(axis=1)
    members = [np.flatnonzero(member == c) for c in np.lexsort((rng.random(k), covered))]
    drawn = free[[rng.choice(group) for group in members if len(group)]]
    return np.concatenate([drawn, rng.permutation(np.setdiff1d(free, drawn))])


def neighbour(isolation, features, free, asked):
    """The free positions by Astronomaly's neighbour score (Lochner & Bassett
    2021) when every answer so far was 0: the ``isolation`` scores put on
    the page's 0-5 times tanh(exp(d) - 1 + artanh(f)), where d is each
    object's distance to the nearest ``asked`` one over the mean such
    distance and f the score a predicted answer of 0 is floored to
    (0.1 + 0.85 x 0.1 / 5): an unusual object far from everything asked
    comes first."""
    score = rescale(isolation)
    if asked:
        distance = -nearness(features, features[np.asarray(asked)])
        score = score * np.tanh(np.exp(distance / distance.mean()) - 1
                                + np.arctanh(0.1 + 0.85 * 0.1 / 5))
    return free[np.argsort(-score[free], kind="stable")]


def ranking(name, features, free, asked, seed, fixed):
    """The free positions in the order list ``name`` asks them."""
    if name == "random":
        return fixed["random"][np.isin(fixed["random"], free)]
    if name == "medoids":
        return uncovered_medoids(features, free, asked, CLUSTERS_PER_QUESTION * PER_ROUND, seed)
    if name == "strata":
        return strata(features, free, asked, CLUSTERS_PER_QUESTION * PER_ROUND, seed)
    if name == "neighbour":
        return neighbour(fixed["isolation"], features, free, asked)
    score = fixed["isolation"] if name == "isolation" else \
        learnt_isolation(features, seed, normal=asked)
    return free[np.argsort(-np.asarray(score)[free], kind="stable")]


def first_find(lists, features, rare, seed, pool):
    """The label (1-based) at which the interleaved ``lists`` first ask a
    rare object, or None within ``WITHIN`` labels."""
    asked = []
    fixed = fixed_lists(lists, len(rare), seed, features, pool)
    while len(asked) < WITHIN:
        free = np.setdiff1d(np.arange(len(rare)), asked)
        ranked = [ranking(name, features, free, asked, seed, fixed) for name in lists]
        scores = interleaved_scores(len(rare), ranked, ranked[0])
        scores[asked] = -np.inf
        for question in np.argsort(-scores, kind="stable")[:PER_ROUND]:
            asked.append(int(question))
            if rare[question]:
                return len(asked)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suites", nargs="+", default=list(SUITES), choices=list(SUITES))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4, 5])
    parser.add_argument("--lists", nargs="+", default=list(LISTS))
    parser.add_argument("--data-dir", default="compare-data")
    parser.add_argument("--output", default="first-find-lists")
    args = parser.parse_args()
    record = run_record()
    pools = [(suite, name, split, seed) for suite in args.suites
             for name, split in SUITES[suite].items() for seed in args.seeds]
    rows = []
    for suite, name, split, seed in tqdm(pools, desc="pools"):
        x, rare = read_folder(write_compare_data(args.data_dir, name, seed, split), split.size)
        features = pixel_features(x, seed).pixels
        for lists in args.lists:
            rows.append({"suite": suite, "split": name, "seed": seed, "lists": lists,
                         "first_found": first_find(lists.split("+"), features, rare, seed,
                                                   name)})
    table = pd.DataFrame(rows)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "first_found.csv", index=False)
    late = table.assign(late=table.first_found.isna()).pivot_table(
        index="lists", columns="suite", values="late", aggfunc="sum", sort=False)
    late["all"] = late.sum(axis=1)
    runs = table.groupby("suite").size() // len(args.lists)
    lines = [f"# Runs whose first rare object came after label {WITHIN}, of "
             + ", ".join(f"{runs[s]} {s}" for s in late.columns[:-1])
             + f" (seeds {' '.join(map(str, args.seeds))})", "",
             "| lists | " + " | ".join(late.columns) + " |",
             "|" + " --- |" * (len(late.columns) + 1),
             *(f"| {lists} | " + " | ".join(str(int(v)) for v in row) + " |"
               for lists, row in late.iterrows())]
    (out / "summary.md").write_text("\n".join(lines) + "\n")
    (out / "run.json").write_text(json.dumps(record, indent=1) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
