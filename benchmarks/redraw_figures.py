"""Redraw the figures of committed benchmark results from their CSVs and
latent snapshots, without rerunning anything (for a change of the plotting
code only; the numbers are read back, not recomputed).

    python benchmarks/redraw_figures.py benchmarks/results/*/environment.json
"""

import argparse
from pathlib import Path

from astronomaly_ahunt.experiments.benchmark import load_result
from astronomaly_ahunt.experiments.figures import write_figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", type=Path,
                        help="result folders, or any file in them")
    parser.add_argument("--latent-map", choices=["umap", "pca"], default="umap")
    args = parser.parse_args()
    for folder in dict.fromkeys(p if p.is_dir() else p.parent for p in args.results):
        paths = write_figures(load_result(folder), folder, args.latent_map)
        print(f"{folder}: " + ", ".join(p.name for p in paths), flush=True)


if __name__ == "__main__":
    main()
