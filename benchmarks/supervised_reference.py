"""Is a final MCC reachable by this CNN at a protocol's prevalence at all?

For each seed the rounds are drawn as the benchmark draws them, so the
objects scored are exactly those AHUNT is scored on (all rounds' objects).
The same CNN, trained the same way (class balancing by augmentation, Adam
1e-3, seeded), learns round 0's normal classes plus N labelled anomalies
drawn from *outside* those objects, for each N in --anomalies, and is
scored like AHUNT: MCC of argmax and of the top-k threshold.

It is a reference, not a bound on AHUNT: AHUNT's labels are hard examples
it chose, and its own questions are among the scored objects.

With ``--every-label K`` it is the bound for this CNN: the scored objects
are cut into K folds, and each fold is scored by the CNN trained on every
other scored object under its true class plus every object of the
protocol's classes outside them, so every label a person could give is
given (the run's own objects included) and no object is scored by a CNN
that saw it.

    python benchmarks/supervised_reference.py fmnist-paper --seeds 3 \\
        --anomalies 150 900 5000 --output benchmarks/results/supervised-reference
    python benchmarks/supervised_reference.py fmnist-paper --seeds 3 --every-label 5 \\
        --epochs 15 --output benchmarks/results/supervised-every-label
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from astronomaly_ahunt.experiments.benchmark import band, environment
from astronomaly_ahunt.experiments.datasets import load_dataset
from astronomaly_ahunt.experiments.metrics import mcc, top_k
from astronomaly_ahunt.experiments.protocols import load_protocol
from astronomaly_ahunt.experiments.simulate import draw_rounds


def _trained(protocol, data, train, seed, epochs):
    from astronomaly_ahunt import Hunter
    hunter = Hunter(initial_epochs=epochs, augmentation=protocol.augmentation,
                    random_state=seed, **protocol.hunter_params)
    return hunter.fit_initial(data.x[train], data.names(data.y[train]))


def _anomaly_scores(hunter, data, objects, anomaly_labels):
    """Each object's anomaly probability, and whether its argmax is an anomaly class."""
    proba = hunter.predict_proba(data.x[objects])
    columns = [hunter.taxonomy_.index(data.class_names[a]) for a in anomaly_labels]
    return proba[:, columns].sum(axis=1), np.isin(proba.argmax(axis=1), columns)


def _row(seed, labelled, truth, score, argmax_anomaly, t0, rounds, n_q):
    """The scores' MCCs, and how many anomalies the top ``n_q`` of each
    round's objects by score hold (a question strategy that asks each
    round's most probable anomalies, with this CNN's knowledge)."""
    ends = np.cumsum([len(r) for r in rounds])
    found = sum(int(truth[start:end][np.argsort(-score[start:end], kind="stable")[:n_q]].sum())
                for start, end in zip(np.r_[0, ends[:-1]], ends))
    row = {"seed": seed, "labelled_anomalies": labelled,
           "mcc_argmax": mcc(truth, argmax_anomaly),
           "mcc_topk": mcc(truth, top_k(score, truth.sum())),
           "found_top_nq": found, "questions": n_q * len(rounds),
           "n_scored": len(truth), "anomalies_scored": int(truth.sum()),
           "seconds": time.perf_counter() - t0}
    print(json.dumps(row), flush=True)
    return row


def reference_runs(protocol, data, seeds, n_anomalies, epochs, every_label=0):
    """One row per seed and N; with ``every_label`` K > 0, one row per seed
    for K-fold cross-fitting on every label instead (N is then every anomaly
    the CNN trained on, the folds' mean)."""
    anomaly_labels = [data.label_of(a.label) for a in protocol.anomalies]
    protocol_labels = [data.label_of(c) for c in protocol.normal] + anomaly_labels
    rows = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        initial, rounds = draw_rounds(protocol, data, rng)
        seen = np.concatenate(rounds)
        truth = np.isin(data.y[seen], anomaly_labels)
        if every_label:
            t0 = time.perf_counter()
            outside = np.setdiff1d(np.flatnonzero(np.isin(data.y, protocol_labels)), seen)
            fold = rng.permutation(len(seen)) % every_label
            score, argmax_anomaly = np.empty(len(seen)), np.empty(len(seen), bool)
            for k in range(every_label):
                train = np.concatenate([outside, seen[fold != k]])
                hunter = _trained(protocol, data, train, seed, epochs)
                score[fold == k], argmax_anomaly[fold == k] = _anomaly_scores(
                    hunter, data, seen[fold == k], anomaly_labels)
            labelled = (np.isin(data.y[outside], anomaly_labels).sum()
                        + truth.sum() * (every_label - 1) / every_label)
            rows.append(_row(seed, int(labelled), truth, score, argmax_anomaly, t0, rounds,
                             protocol.n_q))
            continue
        outside = rng.permutation(np.setdiff1d(np.flatnonzero(np.isin(data.y, anomaly_labels)),
                                               seen))
        for n in n_anomalies:
            if n > len(outside):
                raise SystemExit(f"--anomalies {n}: only {len(outside)} anomalies lie outside "
                                 f"the scored objects")
            t0 = time.perf_counter()
            hunter = _trained(protocol, data, np.concatenate([initial, outside[:n]]), seed,
                              epochs)
            rows.append(_row(seed, n, truth, *_anomaly_scores(hunter, data, seen,
                                                              anomaly_labels), t0, rounds,
                             protocol.n_q))
    return pd.DataFrame(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("protocol")
    parser.add_argument("--data")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--anomalies", type=int, nargs="+", default=[150, 900])
    parser.add_argument("--epochs", type=int, default=9)
    parser.add_argument("--every-label", type=int, default=0, metavar="K",
                        help="K-fold cross-fitting on every label instead of --anomalies")
    parser.add_argument("--output", default="supervised-reference")
    args = parser.parse_args()
    protocol = load_protocol(args.protocol)
    data = load_dataset(protocol.dataset, args.data, protocol.image_size)
    runs = reference_runs(protocol, data, range(args.seeds), args.anomalies, args.epochs,
                          args.every_label)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    runs.to_csv(out / f"{protocol.name}.csv", index=False)
    trained_on = (f"every label ({args.every_label}-fold cross-fitting: each fold scored by "
                  f"the CNN trained on the other folds' true classes and every object of the "
                  f"protocol's classes outside the scored ones)" if args.every_label else
                  "round 0 plus N labelled anomalies from outside the scored objects")
    lines = [f"# Supervised reference: {protocol.name}", "",
             f"The CNN trained on {trained_on}, {args.epochs} epochs, scored on all "
             f"{int(runs.n_scored.iloc[0])} objects of the rounds "
             f"({int(runs.anomalies_scored.iloc[0])} anomalies); mean [68 % band] over "
             f"{args.seeds} seeds.", "",
             "| labelled anomalies N | MCC argmax | MCC top-k | found: each round's top n_q |",
             "| --- | --- | --- | --- |"]
    for n, group in runs.groupby("labelled_anomalies"):
        cells = []
        for col in ("mcc_argmax", "mcc_topk"):
            mean, lo, hi = band(group[col])
            cells.append(f"{mean:.2f} [{lo:.2f}, {hi:.2f}]")
        cells.append(f"{group.found_top_nq.mean():.1f} / {group.questions.iloc[0]}")
        lines.append(f"| {n} | {' | '.join(cells)} |")
    env = environment(protocol, ["supervised-reference"], list(range(args.seeds)),
                      {"initial_epochs": args.epochs, "every_label": args.every_label})
    versions = ", ".join(f"{k} {v}" for k, v in env["versions"].items())
    lines += ["", f"Machine: {env['machine']}, {env['cpus']} CPUs; {versions}; "
                  f"{env['date']}; command: {env['command']}"]
    (out / f"{protocol.name}.md").write_text("\n".join(lines) + "\n")
    (out / f"{protocol.name}.environment.json").write_text(json.dumps(env, indent=1) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
