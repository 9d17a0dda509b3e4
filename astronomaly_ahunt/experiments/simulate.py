"""Run a protocol's rounds with an oracle that reveals the true labels.

:func:`run_rounds` drives any set of runners (see :mod:`.runners`) on
exactly the same rounds, drawn once from the seed, and records per method
and round what the paper plots: questions and the anomalies among them,
MCC over all data seen since round 1 (argmax and top-k), ROC AUC, and
timings. :func:`simulate` is one AHUNT run with its isolation-forest
baseline, as the ``simulate`` command shows it.
"""

import json
import resource
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from .metrics import mcc, top_k

BASELINES = ("iforest-raw",)


def check_protocol(protocol, data):
    """Objects each class must give over the rounds, {label: [round 0, round 1, ...]}.

    Raises ``ValueError`` naming the protocol when one of its classes is not
    a class of ``data`` or ``data`` holds too few of it.
    """
    streams = {}
    try:
        for label, n0, n in zip(protocol.normal, protocol.initial, protocol.per_round):
            streams[data.label_of(label)] = [n0] + [n] * protocol.rounds
        for a in protocol.anomalies:
            streams[data.label_of(a.label)] = [0] + [a.per_round if r >= a.first_round else 0
                                                     for r in range(1, protocol.rounds + 1)]
    except ValueError as err:
        raise ValueError(f"protocol {protocol.name!r}: {err}") from None
    for label, counts in streams.items():
        available = int(np.sum(data.y == label))
        if sum(counts) > available:
            raise ValueError(f"protocol {protocol.name!r} needs {sum(counts)} objects of class "
                             f"{data.class_names[label]!r} but the dataset has {available}; "
                             f"use fewer rounds or smaller counts")
    return streams


def draw_rounds(protocol, data, rng):
    """Dataset positions for round 0 and for each round 1..rounds.

    Every class's objects are drawn without replacement from one seeded
    permutation, so no object appears twice in a run.
    """
    draws = {}
    for label, counts in check_protocol(protocol, data).items():
        cuts = np.cumsum([0] + counts)
        perm = rng.permutation(np.flatnonzero(data.y == label))
        draws[label] = [perm[cuts[r]:cuts[r + 1]] for r in range(len(counts))]
    per_round = [np.concatenate([d[r] for d in draws.values()]) for r in range(protocol.rounds + 1)]
    return per_round[0], [rng.permutation(r) for r in per_round[1:]]


def run_rounds(runners, protocol, data, seed, methods=None, progress=None):
    """Run every runner on the rounds drawn from ``seed``.

    Parameters
    ----------
    runners : list
        Fresh runners (:func:`.methods.build_runners`); started here.
    methods : sequence of str, optional
        Report only these of the runners' outputs (all by default), in this
        order.
    progress : callable, optional
        Called after each round with that round's records.

    Returns
    -------
    list of dict
        One record per method and round. ``true_candidates`` counts the
        anomalies among the round's questions; for a method that asks
        nothing, among the ``n_q`` of the round's new objects it scores
        highest at the end of the round. ``seconds_start`` is the round-0
        fit; ``peak_rss_mb`` is the process's peak resident memory so far.
    """
    rng = np.random.default_rng(seed)
    initial, rounds = draw_rounds(protocol, data, rng)
    anomaly_labels = [data.label_of(a.label) for a in protocol.anomalies]
    start_seconds = {}
    for runner in runners:
        t0 = time.perf_counter()
        runner.start(data.x[initial], data.names(data.y[initial]), seed)
        start_seconds[runner.outputs[0]] = time.perf_counter() - t0

    def oracle(ids):
        return data.names(data.y[np.asarray(ids, dtype=int)])

    records, seen = [], np.zeros(0, dtype=int)
    for r, batch in enumerate(rounds, start=1):
        seen = np.concatenate([seen, batch])
        truth = np.isin(data.y[seen], anomaly_labels)
        this_round = []
        for runner in runners:
            step = runner.step(data.x[batch], batch, protocol.n_q, oracle)
            for name, ev in runner.evaluate(data.x[seen]).items():
                if methods is not None and name not in methods:
                    continue
                record = {"method": name, "seed": seed, "round": r, "n_seen": len(seen),
                          "n_anomalies_seen": int(truth.sum())}
                # a rider (a forest on this runner's latent space) asks nothing itself
                own = name == runner.outputs[0]
                record.update(_questions(step, ev, data, batch, anomaly_labels, protocol.n_q,
                                         asks=own))
                record.update(_scores(ev, truth, data.y[seen], data, anomaly_labels))
                record.update(seconds_start=start_seconds.get(name, 0.0),
                              seconds_select=step.seconds_select if own else 0.0,
                              seconds_retrain=step.seconds_retrain if own else 0.0,
                              seconds_score=ev.seconds,
                              peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
                this_round.append(record)
        if methods is not None:
            # runners own several methods (riders), so their order is not the caller's
            this_round.sort(key=lambda rec: list(methods).index(rec["method"]))
        records.extend(this_round)
        if progress is not None:
            progress(this_round)
    return records


def _questions(step, ev, data, batch, anomaly_labels, n_q, asks):
    """Questions asked and the anomalies among them (see :func:`run_rounds`)."""
    if asks and len(step.asked):
        hits = np.isin(data.y[step.asked], anomaly_labels)
        return {"asked": len(step.asked), "true_candidates": int(hits.sum()), **step.by_target}
    new_scores = ev.score[-len(batch):]
    hits = np.isin(data.y[batch], anomaly_labels)[top_k(new_scores, n_q)]
    return {"asked": 0, "true_candidates": int(hits.sum())}


def _scores(ev, truth, y_seen, data, anomaly_labels):
    out = {"mcc_argmax": mcc(truth, ev.decision) if ev.decision is not None else np.nan,
           "mcc_topk": mcc(truth, top_k(ev.score, truth.sum())),
           "auc": float(roc_auc_score(truth, ev.score)) if 0 < truth.sum() < len(truth)
           else np.nan}
    if ev.predicted_class is not None:
        out["anomaly_classes"] = "|".join(ev.anomaly_classes)
        for label in anomaly_labels:
            name = data.class_names[label]
            out[f"mcc_argmax_{name}"] = mcc(y_seen == label, ev.predicted_class == name)
    return out


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
    """Run AHUNT and ``baselines`` through ``protocol`` on ``data`` (a
    :class:`~.datasets.LabelledImages`): one row per round, AHUNT's metrics
    with each baseline's top-k MCC as ``<baseline>_mcc_topk``.

    ``progress``, if given, is called with each round's row as it ends.
    """
    from .methods import build_runners

    unknown = set(baselines) - set(BASELINES)
    if unknown:
        raise ValueError(f"unknown baselines {sorted(unknown)}; known: {BASELINES}")
    start = time.perf_counter()
    runners = build_runners(["ahunt", *baselines], protocol, seed,
                              {**(hunter_params or {}), "strategy": strategy})

    rows = []

    def add_row(round_records):
        row = dict(round_records[0])
        for rec in round_records[1:]:
            row[f"{rec['method']}_mcc_topk"] = rec["mcc_topk"]
        rows.append(row)
        if progress is not None:
            progress(row)

    run_rounds(runners, protocol, data, seed, progress=add_row)
    table = pd.DataFrame(rows).drop(columns=["method", "seed"])
    found = [c for c in table.columns if c.startswith(("found_", "asked_"))]
    table[found] = table[found].fillna(0).astype(int)
    table["true_candidates_total"] = table["true_candidates"].cumsum()
    return SimulationResult(protocol, table, _summary(protocol, table, runners[0].hunter, seed,
                                                      strategy, time.perf_counter() - start))


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
