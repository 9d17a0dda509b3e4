"""Is a final MCC reachable by this CNN at a protocol's prevalence at all?

For each seed the rounds are drawn as the benchmark draws them, so the
objects scored are exactly those AHUNT is scored on (all rounds' objects).
The same CNN, trained the same way (class balancing by augmentation, Adam
1e-3, seeded), learns round 0's normal classes plus N labelled anomalies
drawn from *outside* those objects, for each N in --anomalies, and is
scored like AHUNT: MCC of argmax and of the top-k threshold.

It is a reference, not a bound on AHUNT: AHUNT's labels are hard examples
it chose, and its own questions are among the scored objects.

    python benchmarks/supervised_reference.py fmnist-paper --seeds 3 \\
        --anomalies 150 900 5000 --output benchmarks/results/supervised-reference
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


def reference_runs(protocol, data, seeds, n_anomalies, epochs):
    from astronomaly_ahunt import Hunter

    anomaly_labels = [data.label_of(a.label) for a in protocol.anomalies]
    rows = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        initial, rounds = draw_rounds(protocol, data, rng)
        seen = np.concatenate(rounds)
        truth = np.isin(data.y[seen], anomaly_labels)
        outside = rng.permutation(np.setdiff1d(np.flatnonzero(np.isin(data.y, anomaly_labels)),
                                               seen))
        for n in n_anomalies:
            if n > len(outside):
                raise SystemExit(f"--anomalies {n}: only {len(outside)} anomalies lie outside "
                                 f"the scored objects")
            train = np.concatenate([initial, outside[:n]])
            t0 = time.perf_counter()
            hunter = Hunter(initial_epochs=epochs, augmentation=protocol.augmentation,
                            random_state=seed, **protocol.hunter_params)
            hunter.fit_initial(data.x[train], data.names(data.y[train]))
            proba = hunter.predict_proba(data.x[seen])
            columns = [hunter.taxonomy_.index(data.class_names[a]) for a in anomaly_labels]
            score = proba[:, columns].sum(axis=1)
            rows.append({"seed": seed, "labelled_anomalies": n,
                         "mcc_argmax": mcc(truth, np.isin(proba.argmax(axis=1), columns)),
                         "mcc_topk": mcc(truth, top_k(score, truth.sum())),
                         "n_scored": len(seen), "anomalies_scored": int(truth.sum()),
                         "seconds": time.perf_counter() - t0})
            print(json.dumps(rows[-1]), flush=True)
    return pd.DataFrame(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("protocol")
    parser.add_argument("--data")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--anomalies", type=int, nargs="+", default=[150, 900])
    parser.add_argument("--epochs", type=int, default=9)
    parser.add_argument("--output", default="supervised-reference")
    args = parser.parse_args()
    protocol = load_protocol(args.protocol)
    data = load_dataset(protocol.dataset, args.data, protocol.image_size)
    runs = reference_runs(protocol, data, range(args.seeds), args.anomalies, args.epochs)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    runs.to_csv(out / f"{protocol.name}.csv", index=False)
    lines = [f"# Supervised reference: {protocol.name}", "",
             f"The CNN trained on round 0 plus N labelled anomalies from outside the scored "
             f"objects, {args.epochs} epochs, scored on all {int(runs.n_scored.iloc[0])} objects "
             f"of the rounds ({int(runs.anomalies_scored.iloc[0])} anomalies); mean "
             f"[68 % band] over {args.seeds} seeds.", "",
             "| labelled anomalies N | MCC argmax | MCC top-k |", "| --- | --- | --- |"]
    for n, group in runs.groupby("labelled_anomalies"):
        cells = []
        for col in ("mcc_argmax", "mcc_topk"):
            mean, lo, hi = band(group[col])
            cells.append(f"{mean:.2f} [{lo:.2f}, {hi:.2f}]")
        lines.append(f"| {n} | {' | '.join(cells)} |")
    env = environment(protocol, ["supervised-reference"], list(range(args.seeds)),
                      {"initial_epochs": args.epochs})
    versions = ", ".join(f"{k} {v}" for k, v in env["versions"].items())
    lines += ["", f"Machine: {env['machine']}, {env['cpus']} CPUs; {versions}; "
                  f"{env['date']}; command: {env['command']}"]
    (out / f"{protocol.name}.md").write_text("\n".join(lines) + "\n")
    (out / f"{protocol.name}.environment.json").write_text(json.dumps(env, indent=1) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
