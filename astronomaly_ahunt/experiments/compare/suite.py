"""``astronomaly-ahunt compare --suite NAME``: the catalogue-free comparison
on many class splits, so that a rule is judged on splits it was not chosen on.

A suite is a list of :class:`~.data.Split`: each class of a data set
in turn rare (25 objects) among all the others. Every split runs through
:func:`~.peers.compare_methods` (the page replay, seed by seed); the
summary gives per split each method's total, its worst seed and the label
that found the first rare object, and per method the splits won, the median
total and the worst split.
"""

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .data import SUITE_NAMES, Split
from ..datasets import FASHION_MNIST_CLASSES, FIRST_CLASSES

DIGIT_CLASSES = tuple(str(d) for d in range(10))
# the order methods are shown in: AHUNT first, then the peers, then the rest as they come
SHOWN_FIRST = ("ahunt", "ahunt-before", "static", "aadforest", "random")


def each_class_rare(dataset, classes, n_normal, size, prefix, crop=None, fits=False):
    """One split per class: that class rare (25 objects) among all the others."""
    return {f"{prefix}_rare_{slug(rare)}": Split(dataset, tuple(c for c in classes if c != rare),
                                                 rare, n_normal, 25, size, prefix, crop, fits)
            for rare in classes}


def slug(name):
    """A class name as a folder name: letters and digits only (no '-', which
    Astronomaly's log parser splits on)."""
    return re.sub(r"[^0-9a-z]+", "", name.lower())


# 60 of each normal class, as the digits split of the cold-start issue; FIRST
# has 348-924 objects a class, 200 of each keeps a few hundred per split;
# first-fits holds the whole 300-px fields as FITS in linear flux with noise,
# seen at 128 px as the stages see a larger cutout by default
SUITES = {
    "digits": each_class_rare("digits", DIGIT_CLASSES, 60, 8, "digit"),
    "fmnist": each_class_rare("fashion-mnist", FASHION_MNIST_CLASSES, 60, 28, "fmnist"),
    "first": each_class_rare("first", FIRST_CLASSES, 200, 64, "first", crop=100),
    "first-fits": each_class_rare("first", FIRST_CLASSES, 200, 128, "firstfits", fits=True),
}
assert tuple(SUITES) == SUITE_NAMES


def suite_splits(name, only=None):
    """The splits of suite ``name`` (those named in ``only``, if given)."""
    if name not in SUITES:
        raise ValueError(f"unknown suite {name!r}; known: {', '.join(SUITES)}")
    splits = SUITES[name]
    unknown = sorted(set(only or ()) - set(splits))
    if unknown:
        raise ValueError(f"suite {name} has no split {', '.join(unknown)}; its splits: "
                         f"{', '.join(splits)}")
    return {k: v for k, v in splits.items() if not only or k in only}


def split_named(name):
    """The split called ``name`` in any suite."""
    for splits in SUITES.values():
        if name in splits:
            return splits[name]
    examples = ", ".join(list(SUITES["digits"])[:3])
    raise ValueError(f"no suite has a split {name!r}; e.g. {examples}")


def run_suite(name, methods, seeds, rounds, per_round, output_dir, data_dir, only=None,
              interesting=None, progress=None):
    """Every split of suite ``name``, every method and seed; returns the
    table of rounds (a ``split`` column added). Each split's rounds are
    appended to ``<output_dir>/suite.csv`` as soon as they are done."""
    from .results import checked_output_dir
    from .peers import compare_methods
    from ...stages.page import INTERESTING_FROM
    from .pipelines import check_pipelines
    methods = check_pipelines(methods)
    splits = suite_splits(name, only)
    output_dir = checked_output_dir(output_dir)
    tables = []
    for split_name, split in splits.items():
        table = compare_methods(split_name, methods, seeds, rounds, per_round,
                                output_dir / "runs" / split_name, data_dir, split,
                                interesting or INTERESTING_FROM, progress)
        tables.append(table.rename(columns={"data": "split"}))
        pd.concat(tables).to_csv(output_dir / "suite.csv", index=False)
    return pd.concat(tables, ignore_index=True)


def per_split(table):
    """One row per split and method: total found over the seeds, the worst
    seed, found per seed, and the median label of the first find (a run
    that found nothing counts as never: beyond the labels spent)."""
    last = table[table["round"] == table["round"].max()]
    never = float(table["labels"].max() + 1)
    rows = []
    for (split, method), runs in last.groupby(["split", "method"], sort=False):
        found = runs.sort_values("seed")["found"].to_numpy()
        first = runs["first_found"].astype(float).fillna(np.inf).to_numpy()
        rows.append({"split": split, "method": method, "total": int(found.sum()),
                     "worst": int(found.min()), "per_seed": "/".join(map(str, found)),
                     "first_found": float(np.median(np.minimum(first, never))),
                     "first_within_40": int((first <= 40).sum()), "runs": len(found)})
    return pd.DataFrame(rows)


def per_method(splits):
    """One row per method: splits won (total at least every other
    method's), the median total over splits and the worst split."""
    best = splits.groupby("split")["total"].transform("max")
    rows = []
    for method, rows_of in splits.groupby("method", sort=False):
        worst = rows_of.loc[rows_of["total"].idxmin()]
        rows.append({"method": method,
                     "splits won": f"{int((rows_of['total'] == best[rows_of.index]).sum())} "
                                   f"of {len(rows_of)}",
                     "median total": float(rows_of["total"].median()),
                     "worst split": f"{worst['split']} ({int(worst['total'])})",
                     "first find within 40 labels": f"{int(rows_of['first_within_40'].sum())} "
                                                    f"of {int(rows_of['runs'].sum())} runs"})
    return pd.DataFrame(rows).set_index("method")


def methods_of(table):
    """The table's methods, in the order they are shown."""
    seen = list(dict.fromkeys(table["method"]))
    return [m for m in SHOWN_FIRST if m in seen] + [m for m in seen if m not in SHOWN_FIRST]


def summary_text(table, suite, seeds, n_rare=25):
    splits = per_split(table)
    wide = splits.pivot(index="split", columns="method", values="per_seed")
    totals = splits.pivot(index="split", columns="method", values="total")
    first = splits.pivot(index="split", columns="method", values="first_found")
    order = list(dict.fromkeys(table["split"]))
    methods = methods_of(table)
    labels = int(table["labels"].max())
    lines = [f"suite {suite}: seeds {' '.join(map(str, seeds))}; {n_rare} rare objects per "
             f"split, {labels} labels a run; found per seed (total; median label of the "
             f"first find, {labels + 1} = never)", ""]
    cells = pd.DataFrame({m: [f"{wide.loc[s, m]} ({totals.loc[s, m]}; {first.loc[s, m]:g})"
                              for s in order] for m in methods}, index=order)
    lines += [cells.to_string(), "", per_method(splits).loc[methods].to_string(), ""]
    return "\n".join(lines)


def distinct_colours(methods, named):
    """A colour per method: its own where ``named`` has one, else the next of
    tab20's that no other method has."""
    from matplotlib.colors import to_rgb
    from ..plots import plt
    taken = {to_rgb(named[m]) for m in methods if m in named}
    spare = iter(c for c in plt.get_cmap("tab20").colors if to_rgb(c) not in taken)
    return {m: named[m] if m in named else next(spare) for m in methods}


def plot_suite(table, path, title):
    """One row per split, the methods' mean found per seed side by side as
    bars, each with a tick at its worst seed."""
    from ..plots import COLOURS, plt
    splits = per_split(table)
    order = list(dict.fromkeys(table["split"]))
    methods = methods_of(table)
    n_seeds = table["seed"].nunique()
    height = 0.8 / len(methods)
    fig, ax = plt.subplots(figsize=(7.5, 0.5 + 0.45 * len(order) * max(1, len(methods) / 3)),
                           layout="constrained")
    colours = distinct_colours(methods, COLOURS)
    for k, method in enumerate(methods):
        rows = splits[splits["method"] == method].set_index("split").reindex(order)
        y = np.arange(len(order)) + (k - (len(methods) - 1) / 2) * height
        ax.barh(y, rows["total"] / n_seeds, height, color=colours[method], label=method)
        ax.plot(rows["worst"], y, "|", color="white", markersize=7, mew=2)
    ax.set_yticks(np.arange(len(order)), order)
    ax.invert_yaxis()
    ax.set_xlabel(f"rare objects found per seed (mean of {n_seeds}; white tick: worst seed)")
    # at most four a row, so that a run beside several candidates keeps every name
    columns = min(len(methods), 4)
    ax.set_title(title, pad=8 + 14 * -(-len(methods) // columns))
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=columns, frameon=False,
              fontsize=9)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_summary(table, out, suite):
    """summary.txt and suite.png of ``table`` (rounds of a suite) in ``out``;
    returns the summary's text."""
    seeds = sorted(table["seed"].unique())
    rounds, labels = int(table["round"].max()), int(table["labels"].max())
    text = summary_text(table, suite, seeds)
    (Path(out) / "summary.txt").write_text(text)
    plot_suite(table, Path(out) / "suite.png",
               f"suite {suite}, seeds {' '.join(map(str, seeds))}: {rounds} rounds, "
               f"{labels} labels")
    return text


def compare_suite_command(args):
    from ..benchmark import run_record
    out = Path(args.output_dir)
    record = run_record()  # the code as it was when the run started
    table = run_suite(args.suite, args.methods, args.seeds, args.rounds, args.labels, out,
                      args.data_dir, args.splits, args.interesting)
    (out / "run.json").write_text(json.dumps(record, indent=1) + "\n")
    text = write_summary(table, out, args.suite)
    print("\n" + text + f"written: {out / 'suite.csv'}, {out / 'summary.txt'}, "
                        f"{out / 'suite.png'}")
    return 0
