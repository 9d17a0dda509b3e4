"""How likely one method's total over a few fresh seeds is at least
another's, split by split, from suite runs already made.

    python benchmarks/suite_odds.py RUN.csv[:old=new,...] ... \\
        [--method ahunt ahunt-committed] [--against aadforest] [--seeds 3] \\
        [--factor 2] [--share 1] [--first-within 40]

A bootstrap over the seeds both methods ran on: draw ``--seeds`` seeds with
replacement (a seed is one data draw, so the two methods are paired on it)
and, where a seed has several runs of the method (the rows of every name in
``--method``: the same rule run again after a change of float rounding, say),
one of those at random. Prints per split the mean and spread of a run, the
chance that the method's total is at least ``--factor`` times the other's,
the expected number of splits where it is, and the chance that it is on at
least ``--share`` of them: what a target such as "at least AADForest's total
on 80 % of the splits over three held-out seeds" (or "at least twice random
labelling's on every split": ``--against random --factor 2 --share 1``) can
be expected to give.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from suite_summary import read  # noqa: E402  (the same RUN.csv:old=new specs)


def final_rounds(table):
    """Each run's last round: what it found in all, and its first find."""
    return table[table["round"] == table.groupby("split")["round"].transform("max")]


def odds(table, methods, against, n_seeds, draws, rng, factor=1.0):
    """Per split: runs of ``methods`` per seed, the ``against`` total per
    seed and the chance that a ``n_seeds``-seed total of the first is at
    least ``factor`` times the second's."""
    last = final_rounds(table)
    rows = []
    for split, runs in last.groupby("split"):
        ours = runs[runs["method"].isin(methods)]
        theirs = runs[runs["method"] == against].drop_duplicates("seed").set_index("seed")
        seeds = sorted(set(ours["seed"]) & set(theirs.index))
        if not seeds:
            continue
        by_seed = [ours.loc[ours["seed"] == s, "found"].to_numpy() for s in seeds]
        picked = rng.integers(len(seeds), size=(draws, n_seeds))
        total = np.array([[rng.choice(by_seed[p]) for p in row] for row in picked]).sum(axis=1)
        other = theirs.loc[seeds, "found"].to_numpy()[picked].sum(axis=1)
        rows.append({"split": split, "seeds": len(seeds), "runs": len(ours),
                     "mean": ours["found"].mean(), "sd": ours["found"].std(),
                     f"{against} mean": theirs.loc[seeds, "found"].mean(),
                     f"{against} sd": theirs.loc[seeds, "found"].std(),
                     "P(total >= peer)": (total >= factor * other).mean()})
    return pd.DataFrame(rows).set_index("split")


def late_odds(table, method, within, n_seeds, draws, rng):
    """Runs of ``method`` whose first find came after label ``within`` (or
    never), and over ``n_seeds`` seeds a split drawn with replacement, the
    late runs of all splits together: (late, runs, draws of the late count,
    runs a draw holds)."""
    last = final_rounds(table)
    last = last[last["method"] == method].drop_duplicates(["split", "seed"])
    late = ~(last["first_found"] <= within)  # NaN: never found
    by_split = [v.to_numpy() for _, v in late.groupby(last["split"])]
    counts = np.array([sum(rng.choice(v, n_seeds).sum() for v in by_split)
                       for _ in range(draws)])
    return int(late.sum()), len(last), counts, len(by_split) * n_seeds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="suite.csv files, with renames as in "
                                                "suite_summary.py")
    parser.add_argument("--method", nargs="+", default=["ahunt"])
    parser.add_argument("--against", default="aadforest")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--factor", type=float, default=1.0,
                        help="compare with this multiple of the other's total")
    parser.add_argument("--share", type=float, default=0.8)
    parser.add_argument("--first-within", type=int, metavar="LABELS",
                        help="also the chance that the first find comes within LABELS "
                             "labels on at least --share of all runs")
    parser.add_argument("--draws", type=int, default=4000)
    parser.add_argument("--random-state", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.random_state)
    table = pd.concat([read(spec) for spec in args.runs], ignore_index=True)
    table = table.drop_duplicates(["split", "method", "seed", "round"])
    result = odds(table, args.method, args.against, args.seeds, args.draws, rng, args.factor)
    p = result["P(total >= peer)"].to_numpy()
    needed = int(np.ceil(args.share * len(p)))
    met = ((rng.random((20_000, len(p))) < p).sum(axis=1) >= needed).mean()
    with pd.option_context("display.width", 200, "display.max_rows", 200,
                           "display.max_columns", 20):
        print(result.round(2))
    peer = args.against if args.factor == 1 else f"{args.factor:g} x {args.against}"
    print(f"\n{' + '.join(args.method)} against {peer}, {args.seeds} seeds a split: "
          f"at least its total on {p.sum():.1f} of {len(p)} splits expected; "
          f"on at least {needed} ({args.share:.0%}) with chance {met:.2f}")
    if args.first_within:
        for method in [*args.method, args.against]:
            late, runs, counts, n = late_odds(table, method, args.first_within, args.seeds,
                                              args.draws, rng)
            print(f"{method}: first find after label {args.first_within} in {late} of {runs} "
                  f"runs; over {args.seeds} seeds a split, {counts.mean():.1f} of {n} runs late "
                  f"expected, within on at least {args.share:.0%} of them with chance "
                  f"{(counts <= n - np.ceil(args.share * n)).mean():.2f}")


if __name__ == "__main__":
    main()
