"""How well can the page's CNN tell a compare data set's rare class apart
when every object is labelled?

A reference for ``astronomaly-ahunt compare``: for each seed's cutouts (the
same folders ``compare --data`` writes), the Hunter's CNN with the page's
settings (``page_settings`` for the pool's size and side, as the stages
choose them: reconstruction pretraining on the whole pool,
then supervised) learns "interesting or not" from 4/5 of the objects, all
labelled (20 of the 25 rare ones), and ranks the held-out fifth; five
folds rank every object once. Printed per seed: the ROC AUC of the pooled
ranking, and how many rare objects its top 25 and top 100 hold, against
what labelling at random finds; and the same (``_8sym``) for the scores
averaged over the 8 rotations and reflections of each cutout.

``--learner forest-shape`` (or ``forest-pixels``) puts the page's shape
forest in the CNN's place, fitted on the cutouts' rotation-invariant shapes
(or on their pixels' leading components), to see which representation a
named class's questions can learn from; ``--learner fused`` ranks by both
the CNN and the shape forest at once, their rankings fused as a named
class's questions fuse them (``questions.fused_ranks``).

An active search that starts with no label cannot be expected to rank
better than this full-label reference for long: where the reference's top
100 holds little more than random, so will the page's first 100 labels.

    python benchmarks/compare_separability.py --data first-bent --crop 100 \\
        --output benchmarks/results/compare/separability
    python benchmarks/compare_separability.py --split first_rare_fri --seeds 3 4 5 \\
        --output benchmarks/results/compare/suite/separability
"""

import argparse
import json
import os
import platform
from pathlib import Path

import numpy as np
import pandas as pd

from astronomaly_ahunt.engine.augmentation import PRESETS
from astronomaly_ahunt.engine.model import PRETRAINING, symmetries
from astronomaly_ahunt.engine.questions import fused_ranks
from astronomaly_ahunt.engine.quiet_tensorflow import tf
from astronomaly_ahunt.experiments.benchmark import run_record
from astronomaly_ahunt.experiments.compare.data import (split_of, truth_path,
                                                        write_compare_data)
from astronomaly_ahunt.experiments.compare.suite import split_named
from astronomaly_ahunt.stages.cutout_store import to_model_input


LEARNERS = ("cnn", "forest-shape", "forest-pixels", "fused")


def read_folder(folder, size):
    """(images, interesting) of a compare folder, in truth.csv's order, read
    as the methods read it (``image_folder``: FITS through its default
    stretch) and resized to ``size`` px."""
    import tempfile
    from astronomaly_ahunt.stages.image_folder import image_folder
    truth = pd.read_csv(truth_path(folder), index_col=0)
    truth.index = truth.index.astype(str)
    dataset = image_folder(str(Path(folder) / "images"), tempfile.mkdtemp())
    images = [to_model_input(dataset.get_sample(obj), True, (size, size)) for obj in truth.index]
    return np.stack(images), truth["label"].to_numpy() > 0


def cross_validated_scores(x, interesting, seed, folds, epochs, settings=None):
    """Each object's probability of the rare class from a CNN that did not
    see it: as the CNN gives it, and averaged over the 8 symmetries of the
    cutout (test-time augmentation; the same trained CNNs, so the two are
    paired). ``settings`` go to the Hunter on top of the page's."""
    from sklearn.model_selection import StratifiedKFold

    from astronomaly_ahunt import Hunter
    from astronomaly_ahunt.engine.presets import page_settings
    scores, symmetric = np.zeros(len(x)), np.zeros(len(x))
    split = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for k, (train, test) in enumerate(split.split(x, interesting)):
        names = np.where(interesting[train], "interesting", "not")
        hunter = Hunter(**{**page_settings(len(x), max(x.shape[1:3])), "initial_epochs": epochs,
                           **(settings or {})}, random_state=seed * folds + k)
        hunter.fit_initial(x[train], names, unlabelled=x)
        column = hunter.taxonomy_.index("interesting")
        scores[test] = hunter.predict_proba(x[test])[:, column]
        symmetric[test] = np.mean([hunter.predict_proba(view.numpy())[:, column]
                                   for view in symmetries(tf.constant(x[test]))], axis=0)
    return scores, symmetric


def forest_scores(x, interesting, seed, folds, features):
    """Each object's probability of the rare class from the page's
    :func:`~astronomaly_ahunt.engine.questions.shape_forest` fitted on the
    other folds, over the cutouts' ``features``: 'shape' (rotation-invariant
    morphology) or 'pixels' (the pixels or their leading components, as the
    explore rule holds them)."""
    from sklearn.model_selection import StratifiedKFold

    from astronomaly_ahunt.engine.morphology import shape_features
    from astronomaly_ahunt.engine.questions import pixel_features, shape_forest
    table = shape_features(x) if features == "shape" else pixel_features(x, seed).pixels
    scores = np.zeros(len(x))
    split = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for train, test in split.split(x, interesting):
        scores[test] = shape_forest(table, train[~interesting[train]], train[interesting[train]],
                                    seed)[test]
    return scores


def found_in_top(scores, interesting, k):
    return int(interesting[np.argsort(-scores, kind="stable")[:k]].sum())


def main():
    from sklearn.metrics import roc_auc_score
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="a compare data set (compare --data)")
    parser.add_argument("--split", help="or a split of compare --suite (e.g. first_rare_fri)")
    parser.add_argument("--crop", type=int, help="FIRST only: the central PX before resizing")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--data-dir", default="compare-data")
    parser.add_argument("--output", default="separability")
    parser.add_argument("--augmentation", choices=sorted(PRESETS),
                        help="the Hunter's augmentation preset instead of the page's")
    parser.add_argument("--consistency", type=float, default=0.0,
                        help="weight of the Hunter's consistency term on the pool")
    parser.add_argument("--pretrain", choices=PRETRAINING, default="reconstruction",
                        help="the backbone's pretraining objective on the pool")
    parser.add_argument("--learner", choices=LEARNERS, default="cnn",
                        help="what learns from the labels: the page's CNN, its shape "
                             "forest over the cutouts' shapes or over their pixels, or the "
                             "CNN and the shape forest fused")
    args = parser.parse_args()
    if bool(args.data) == bool(args.split):
        parser.error("give one of --data NAME or --split NAME")
    split = split_named(args.split) if args.split else split_of(args.data, crop=args.crop)
    name = args.split or args.data
    settings = {"consistency": args.consistency, "pretrain": args.pretrain,
                **({"augmentation": args.augmentation} if args.augmentation else {})}
    tag = name + (f"-crop{args.crop}" if args.crop else "") + \
        (f"-{args.augmentation}" if args.augmentation else "") + \
        (f"-consistency{args.consistency:g}" if args.consistency else "") + \
        (f"-{args.pretrain}" if args.pretrain != "reconstruction" else "") + \
        (f"-{args.learner}" if args.learner != "cnn" else "")
    record = run_record()  # the code as it was when the run started
    rows = []
    for seed in args.seeds:
        x, interesting = read_folder(write_compare_data(args.data_dir, name, seed, split),
                                     split.size)
        if args.learner in ("cnn", "fused"):
            scores, symmetric = cross_validated_scores(x, interesting, seed, args.folds,
                                                       args.epochs, settings)
            if args.learner == "fused":
                shape = forest_scores(x, interesting, seed, args.folds, "shape")
                scores, symmetric = (fused_ranks([np.argsort(-s, kind="stable"),
                                                  np.argsort(-shape, kind="stable")])
                                     for s in (scores, symmetric))
        else:  # the shapes are the same under the 8 views; the pixels' forest is not averaged
            scores = forest_scores(x, interesting, seed, args.folds, args.learner.split("-")[1])
            symmetric = scores if args.learner == "forest-shape" else None
        averaged = symmetric is not None
        rows.append({"data": tag, "seed": seed, "objects": len(x), "rare": int(interesting.sum()),
                     "auc": roc_auc_score(interesting, scores),
                     "top25": found_in_top(scores, interesting, 25),
                     "top100": found_in_top(scores, interesting, 100),
                     "auc_8sym": roc_auc_score(interesting, symmetric) if averaged else np.nan,
                     "top100_8sym": found_in_top(symmetric, interesting, 100)
                     if averaged else np.nan,
                     "random100": 100 * interesting.mean()})
        print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / f"{tag}.csv", index=False)
    learner = {"cnn": "the page's CNN", "fused": "the page's CNN and shape forest, their "
               "rankings fused,"}.get(args.learner)
    learner = f"{learner} trained on every label, {args.epochs} epochs, settings {settings}" \
        if learner else \
        f"the page's shape forest over the cutouts' {args.learner.split('-')[1]}, every label"
    lines = [f"{tag}: {learner}, {args.folds}-fold cross-validated; {os.cpu_count()} CPUs, "
             f"{platform.platform()}",
             table.round(3).to_string(index=False)]
    (out / f"{tag}.txt").write_text("\n".join(lines) + "\n")
    (out / f"{tag}.run.json").write_text(json.dumps(record, indent=1) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
