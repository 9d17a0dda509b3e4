"""Run a protocol's rounds with an oracle that reveals the true labels,
and record what the paper plots: questions per class, true candidates,
MCC (argmax and top-k) over all data seen since round 1, and timings."""

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

from .hunter import Hunter
from .metrics import mcc, top_k

BASELINES = ("iforest-raw",)


def draw_rounds(protocol, data, rng):
    """Dataset positions for round 0 and for each round 1..rounds.

    Every class's objects are drawn without replacement from one seeded
    permutation, so no object appears twice in a run.
    """
    streams = {}
    for label, n0, n in zip(protocol.normal, protocol.initial, protocol.per_round):
        streams[data.label_of(label)] = [n0] + [n] * protocol.rounds
    for a in protocol.anomalies:
        streams[data.label_of(a.label)] = [0] + [a.per_round if r >= a.first_round else 0
                                                 for r in range(1, protocol.rounds + 1)]
    draws = {}
    for label, counts in streams.items():
        members = np.flatnonzero(data.y == label)
        if sum(counts) > len(members):
            raise ValueError(f"protocol {protocol.name!r} needs {sum(counts)} objects of class "
                             f"{data.class_names[label]!r} but the dataset has {len(members)}; "
                             f"use fewer rounds or smaller counts")
        cuts = np.cumsum([0] + counts)
        perm = rng.permutation(members)
        draws[label] = [perm[cuts[r]:cuts[r + 1]] for r in range(len(counts))]
    per_round = [np.concatenate([d[r] for d in draws.values()]) for r in range(protocol.rounds + 1)]
    return per_round[0], [rng.permutation(r) for r in per_round[1:]]


@dataclass
class SimulationResult:
    protocol: object
    rounds: pd.DataFrame
    summary: dict

    def save(self, output_dir):
        """Write ``rounds.csv``, ``summary.json`` and ``rounds.png`` to ``output_dir``."""
        from .plots import plot_rounds
        output_dir = Path(output_dir)
        output_dir.mkdir(parents=True, exist_ok=True)
        self.rounds.to_csv(output_dir / "rounds.csv", index=False)
        (output_dir / "summary.json").write_text(json.dumps(self.summary, indent=1))
        plot_rounds(self.rounds, output_dir / "rounds.png",
                    title=f"AHUNT on {self.protocol.name} (seed {self.summary['seed']})")
        return [output_dir / n for n in ("rounds.csv", "summary.json", "rounds.png")]


def simulate(protocol, data, strategy="uncertainty", seed=0, baselines=BASELINES,
             hunter_params=None, progress=None):
    """Run ``protocol`` on ``data`` (a :class:`~.datasets.LabelledImages`).

    ``progress``, if given, is called with each round's record as it ends.
    """
    unknown = set(baselines) - set(BASELINES)
    if unknown:
        raise ValueError(f"unknown baselines {sorted(unknown)}; known: {BASELINES}")
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    initial, rounds = draw_rounds(protocol, data, rng)
    anomaly_labels = {data.label_of(a.label) for a in protocol.anomalies}
    params = {"augmentation": protocol.augmentation, **protocol.hunter_params,
              **(hunter_params or {})}
    hunter = Hunter(strategy=strategy, interest=protocol.interest_policy(),
                    random_state=seed, **params)
    hunter.fit_initial(data.x[initial], data.names(data.y[initial]))

    records, seen = [], np.zeros(0, dtype=int)
    for r, batch in enumerate(rounds, start=1):
        known_before = set(hunter.taxonomy_.classes)
        t0 = time.perf_counter()
        asked = hunter.ask(data.x[batch], protocol.n_q, ids=batch)
        t1 = time.perf_counter()
        truth_names = data.names(data.y[asked])
        hunter.tell(asked, truth_names).retrain()
        t2 = time.perf_counter()
        seen = np.concatenate([seen, batch])
        proba = hunter.predict_proba(data.x[seen])
        t3 = time.perf_counter()

        record = {"round": r, "n_seen": len(seen)}
        record.update(_questions(hunter, asked, data, anomaly_labels, known_before))
        record.update(_scores(hunter, proba, data.y[seen], data, anomaly_labels))
        record["anomaly_classes"] = "|".join(hunter.taxonomy_.anomalies)
        for name in baselines:
            record[f"{name}_mcc_topk"] = _iforest_raw(data.x[seen], record["n_anomalies_seen"], seed,
                                                      data.y[seen], anomaly_labels)
        record.update(seconds_select=t1 - t0, seconds_retrain=t2 - t1, seconds_score=t3 - t2)
        records.append(record)
        if progress is not None:
            progress(record)

    table = pd.DataFrame(records)
    found = [c for c in table.columns if c.startswith("found_")]
    table[found] = table[found].fillna(0).astype(int)
    table["true_candidates_total"] = table["true_candidates"].cumsum()
    return SimulationResult(protocol, table, _summary(protocol, table, hunter, seed, strategy,
                                                      time.perf_counter() - start))


def _questions(hunter, asked, data, anomaly_labels, known_before):
    """Questions asked per target class and how many hit what that class hunts:
    its own members, or for the reserve class, an anomaly class not yet named."""
    truth = data.y[asked]
    names = data.names(truth)
    out = {"asked": len(asked), "true_candidates": int(np.isin(truth, list(anomaly_labels)).sum())}
    for target, label, name in zip(hunter.question_classes_, truth, names):
        if target == hunter.taxonomy_.reserve:
            hit = label in anomaly_labels and name not in known_before
        else:
            hit = name == target
        out[f"asked_{target}"] = out.get(f"asked_{target}", 0) + 1
        out[f"found_{target}"] = out.get(f"found_{target}", 0) + int(hit)
    return out


def _scores(hunter, proba, y_seen, data, anomaly_labels):
    truth = np.isin(y_seen, list(anomaly_labels))
    anomaly_cols = hunter.anomaly_columns()
    p_anomaly = proba[:, anomaly_cols].sum(axis=1)
    predicted_class = np.array(hunter.taxonomy_.classes)[proba.argmax(axis=1)]
    out = {"n_anomalies_seen": int(truth.sum()),
           "mcc_argmax": mcc(truth, anomaly_cols[proba.argmax(axis=1)]),
           "mcc_topk": mcc(truth, top_k(p_anomaly, truth.sum())),
           "auc": float(roc_auc_score(truth, p_anomaly)) if 0 < truth.sum() < len(truth) else np.nan}
    for label in sorted(anomaly_labels):
        name = data.class_names[label]
        out[f"mcc_argmax_{name}"] = mcc(y_seen == label, predicted_class == name)
    return out


def _iforest_raw(x, k, seed, y_seen, anomaly_labels):
    """Isolation forest on raw pixels, top-k MCC (it has no class to argmax)."""
    forest = IsolationForest(random_state=seed).fit(x.reshape(len(x), -1))
    score = -forest.score_samples(x.reshape(len(x), -1))
    return mcc(np.isin(y_seen, list(anomaly_labels)), top_k(score, k))


def _summary(protocol, table, hunter, seed, strategy, wall):
    last = table.iloc[-1]
    discovered = {}
    for _, row in table.iterrows():
        for name in filter(None, row["anomaly_classes"].split("|")):
            discovered.setdefault(name, int(row["round"]))
    summary = {
        "protocol": protocol.name, "seed": seed, "strategy": strategy,
        "rounds": len(table), "n_q": protocol.n_q,
        "final_mcc_argmax": float(last["mcc_argmax"]), "final_mcc_topk": float(last["mcc_topk"]),
        "final_auc": float(last["auc"]),
        "questions": int(table["asked"].sum()),
        "anomalies_found": int(table["true_candidates"].sum()),
        "anomaly_classes_discovered": discovered,
        "seconds_per_round": float(table[["seconds_select", "seconds_retrain",
                                          "seconds_score"]].sum(axis=1).mean()),
        "seconds_retrain_per_round": float(table["seconds_retrain"].mean()),
        "wall_seconds": wall,
        "classes": list(hunter.taxonomy_.classes),
    }
    for col in table.columns:
        if col.endswith("_mcc_topk"):
            summary[f"final_{col}"] = float(last[col])
    return summary
