"""How long the page's Retrain takes at a few hundred objects, one page
replay at a time (no other run beside it), for one or more trees of the
code side by side: each split and seed runs under every tree in turn before
the next starts, so that the machine's drift falls on all of them alike.

    python benchmarks/retrain_time.py --suite first --seeds 3 4 5 \\
        --code before=/tmp/before after=. --output benchmarks/results/retrain-time

Each tree is put first on ``PYTHONPATH`` of a child ``astronomaly-ahunt
compare --suite`` run with ``--methods ahunt``. The round that names the
first rare object is told apart: there the head grows, and the training
loop is traced again.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from astronomaly_ahunt.experiments.benchmark import cpu_model, run_record
from astronomaly_ahunt.experiments.compare.suite import suite_splits


def run_one(code, suite, split, seed, data_dir, out):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(Path(code).resolve()), os.environ.get("PYTHONPATH")]))}
    # run from the output folder: ``python -m`` puts its working directory
    # first on the path, where a checkout's own package would win over ``code``
    Path(out).mkdir(parents=True)
    found = subprocess.run([sys.executable, "-c", "import importlib.util as u; "
                            "print(u.find_spec('astronomaly_ahunt').origin)"],
                           env=env, cwd=out, capture_output=True, text=True, check=True)
    if not Path(found.stdout.strip()).resolve().is_relative_to(Path(code).resolve()):
        raise RuntimeError(f"the tree {code} is not what a child imports: {found.stdout.strip()}")
    subprocess.run([sys.executable, "-m", "astronomaly_ahunt.cli", "compare", "--suite", suite,
                    "--splits", split, "--seeds", str(seed), "--methods", "ahunt",
                    "--output-dir", str(out), "--data-dir", str(Path(data_dir).resolve())],
                   env=env, check=True, stdout=subprocess.DEVNULL, cwd=out)
    return pd.read_csv(Path(out) / "suite.csv")


def growth_round(rounds):
    """True for the round whose labels named the first rare object."""
    first = rounds["first_found"]
    return first.notna() & (first > rounds["labels"] - rounds["labels"].diff().fillna(
        rounds["labels"]))


def summary(table):
    """Per tree: seconds over its Retrains, and the median ratio of each
    Retrain to the same round under the first tree (a shared machine's slow
    spells fall on both sides of a ratio alike)."""
    key = ["split", "seed", "round"]
    first = table[table["code"] == table["code"].iloc[0]].set_index(key)["seconds_retrain"]
    rows = []
    for code, runs in table.groupby("code", sort=False):
        grew = runs[runs["grew"]]["seconds_retrain"]
        other = runs[~runs["grew"]]["seconds_retrain"]
        ratio = runs.set_index(key)["seconds_retrain"] / first
        grown = runs.set_index(key)["grew"]
        rows.append({"code": code, "Retrains": len(runs),
                     "median s": runs["seconds_retrain"].median(),
                     "max s": runs["seconds_retrain"].max(),
                     "over 2 s": int((runs["seconds_retrain"] > 2).sum()),
                     "first find's round: median s": grew.median(),
                     "its max s": grew.max(), "other rounds: median s": other.median(),
                     "ratio to the first tree: first find's round": ratio[grown].median(),
                     "other rounds": ratio[~grown].median()})
    return pd.DataFrame(rows).round(2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="first")
    parser.add_argument("--splits", nargs="*", help="default: every split of the suite")
    parser.add_argument("--seeds", type=int, nargs="+", default=[3, 4, 5])
    parser.add_argument("--code", nargs="+", default=["current=."],
                        help="NAME=PATH: trees holding astronomaly_ahunt/")
    parser.add_argument("--data-dir", default="ahunt_output/compare_data")
    parser.add_argument("--output", default="retrain-time")
    args = parser.parse_args()
    codes = dict(spec.split("=", 1) for spec in args.code)
    splits = args.splits or list(suite_splits(args.suite))
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    record = run_record()
    tables = []
    with tempfile.TemporaryDirectory() as scratch:
        for split in splits:
            for seed in args.seeds:
                for k, (name, code) in enumerate(codes.items()):
                    # no '-' in the folder: Astronomaly's log parser splits on it
                    rounds = run_one(code, args.suite, split, seed, args.data_dir,
                                     Path(scratch) / f"tree{k}_{split}_{seed}")
                    rounds = rounds.assign(code=name, grew=growth_round(rounds))
                    tables.append(rounds)
                    print(f"{name} {split} seed {seed}: Retrain "
                          f"{' '.join(f'{s:.2f}' for s in rounds['seconds_retrain'])} s",
                          flush=True)
    table = pd.concat(tables, ignore_index=True)
    table.to_csv(out / "retrain-time.csv", index=False)
    text = "\n".join([
        f"# Retrain seconds, suite {args.suite}, seeds {' '.join(map(str, args.seeds))}, "
        "one page replay at a time", "", summary(table).to_string(index=False), "",
        "trees: " + ", ".join(f"{n} = {c}" for n, c in codes.items()), "",
        f"Machine: {cpu_model()}, {os.cpu_count()} CPUs, {platform.platform()}; "
        f"{time.strftime('%Y-%m-%d')}; commit {record['commit']}"
        f"{' (dirty tree)' if record.get('dirty') else ''}"])
    (out / "summary.md").write_text(text + "\n")
    (out / "run.json").write_text(json.dumps({**record, "trees": codes}, indent=1) + "\n")
    print(text)


if __name__ == "__main__":
    main()
