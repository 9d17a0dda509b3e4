"""Put suite runs side by side: the rounds of several ``compare --suite``
runs (``suite.csv``), each method renamed where asked, in one table,
summary and plot.

    python benchmarks/suite_summary.py OUT SUITE RUN.csv[:old=new,...] ...

e.g. the AHUNT rows of the code before a change beside those after it and
the peers of either run (peers' rows are the same in both):

    python benchmarks/suite_summary.py results/suite/digits-seeds0-2 digits \\
        before/suite.csv:ahunt=ahunt-before after/suite.csv

A method renamed to nothing (``RUN.csv:ahunt-before=``) is left out. Where
runs repeat a method's seed, the first RUN.csv given keeps it.
"""

import sys
from pathlib import Path

import pandas as pd

from astronomaly_ahunt.experiments.compare.suite import write_summary


def read(spec):
    path, _, renames = spec.partition(":")
    table = pd.read_csv(path)
    for rename in filter(None, renames.split(",")):
        old, new = rename.split("=")
        table.loc[table["method"] == old, "method"] = new
    return table[table["method"] != ""]


def main(out, suite, *runs):
    table = pd.concat([read(spec) for spec in runs], ignore_index=True)
    table = table.drop_duplicates(["split", "method", "seed", "round"])
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "suite.csv", index=False)
    print(write_summary(table, out, suite))


if __name__ == "__main__":
    main(*sys.argv[1:])
