"""Redraw every committed figure from its results, without rerunning anything
(the numbers are read back, not recomputed), so that a change of the plotting
code reaches every figure and every figure shows what its results hold:

    python benchmarks/redraw_figures.py            # every folder under benchmarks/results
    python benchmarks/redraw_figures.py FOLDER...  # only these

- a benchmark folder (``environment.json``): the paper's figures;
- a ``compare --data`` folder (``compare.csv``): ``compare.png``, titled by
  its ``run.json`` or, for runs older than that, the first line of its
  ``summary.txt`` and its path (which names the crop);
- a suite folder (``suite.csv``): ``suite.png``;
- a scale folder (``results.json`` beside ``scale.png``): ``scale.png``.
"""

import argparse
import json
import re
import sys
from pathlib import Path

import pandas as pd

from astronomaly_ahunt.experiments.benchmark import load_result
from astronomaly_ahunt.experiments.compare.results import plot_found
from astronomaly_ahunt.experiments.compare.suite import plot_suite
from astronomaly_ahunt.experiments.figures import write_figures

RESULTS = Path(__file__).resolve().parent / "results"


def compare_title(folder):
    """The data set, split and crop a compare folder holds, and where."""
    run = folder / "run.json"
    if run.exists() and "title" in json.loads(run.read_text()):
        return json.loads(run.read_text())["title"]
    first = (folder / "summary.txt").read_text().splitlines()[0]
    return f"{first.split(';')[0]} [{folder.relative_to(RESULTS)}]"


def random_rate(folder):
    """Interesting objects per label that labelling at random finds, from
    the summary's first line (None when it does not say)."""
    summary = folder / "summary.txt"
    found = re.search(r"found with (\d+) labels \(labelling at random finds ([\d.]+)",
                      summary.read_text()) if summary.exists() else None
    return float(found[2]) / int(found[1]) if found else None


def redraw_compare(folder):
    table = pd.read_csv(folder / "compare.csv")
    rounds, labels = int(table["round"].max()), int(table["labels"].max())
    seeds = ", ".join(map(str, sorted(table["seed"].unique())))
    plot_found(table, folder / "compare.png",
               f"{compare_title(folder)}\n{rounds} rounds, {labels} labels; seeds {seeds}",
               random_rate(folder))
    return ["compare.png"]


def redraw_suite(folder):
    table = pd.read_csv(folder / "suite.csv")
    seeds = " ".join(map(str, sorted(table["seed"].unique())))
    rounds, labels = int(table["round"].max()), int(table["labels"].max())
    suites = RESULTS / "compare" / "suite"
    name = folder.relative_to(suites if folder.is_relative_to(suites) else RESULTS)
    plot_suite(table, folder / "suite.png",
               f"{name}, seeds {seeds}: {rounds} rounds, {labels} labels")
    return ["suite.png"]


def redraw_scale(folder):
    sys.path.insert(0, str(Path(__file__).parent))
    import scale
    scale.plot(folder)
    return ["scale.png"]


def redraw(folder):
    """The figures of ``folder`` redrawn; their names ([] when it has none)."""
    if (folder / "environment.json").exists():
        return [p.name for p in write_figures(load_result(folder), folder, "umap")]
    if (folder / "compare.csv").exists():
        return redraw_compare(folder)
    if (folder / "suite.csv").exists():
        return redraw_suite(folder)
    if (folder / "scale.png").exists() and (folder / "results.json").exists():
        return redraw_scale(folder)
    return []


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path,
                        help="result folders (default: every one under benchmarks/results)")
    args = parser.parse_args()
    folders = [f.resolve() for f in args.folders] or \
        sorted(p for p in RESULTS.rglob("*") if p.is_dir())
    for folder in folders:
        names = redraw(folder)
        if names:
            print(f"{folder.relative_to(RESULTS)}: {', '.join(names)}", flush=True)


if __name__ == "__main__":
    main()
