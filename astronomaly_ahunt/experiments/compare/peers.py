"""``astronomaly-ahunt compare --data NAME``: AHUNT, Astronomaly's static
pipeline, coniferest's AADForest and random labelling on one catalogue-free
image set, each labelled through the same page replay as in
:func:`.replay.replay`, seed by seed."""

from pathlib import Path

import pandas as pd

from ...stages.page import INTERESTING_FROM
from ..baselines import astronomaly_quiet
from .data import data_folder, split_of, truth_path, write_compare_data
from .pipelines import PIPELINES, check_pipelines
from .replay import replay
from .results import checked_output_dir, fresh_folder, progress_line, write_results


def compare_methods(name, methods, seeds=(0, 1, 2, 3, 4), rounds=5, per_round=20,
                    output_dir="ahunt_output/compare", data_dir="ahunt_output/compare_data",
                    split=None, interesting=INTERESTING_FROM, progress=None):
    """Every method on data set ``name`` (its preset split, or ``split``) for
    every seed; returns a DataFrame with one row per method, seed and round.

    Unknown methods, missing packages and missing data fail before
    anything is printed or any method runs. Each run starts in an empty
    ``<output_dir>/<method>_seed<seed>``.
    """
    methods = check_pipelines(methods)
    output_dir = checked_output_dir(output_dir)
    progress = progress or (lambda line: print(line, flush=True))
    split = split or split_of(name)
    folders = {seed: write_compare_data(data_dir, name, seed, split) for seed in seeds}
    output_dir.mkdir(parents=True, exist_ok=True)
    progress(f"compare on {name} ({', '.join(split.normal)} normal, {split.rare} rare): "
             f"{', '.join(methods)}; seeds {' '.join(map(str, seeds))}, {rounds} rounds of "
             f"{per_round} labels")
    records = []
    for seed in seeds:
        for method in methods:
            out = str(fresh_folder(output_dir / f"{method}_seed{seed}"))

            def run_pipeline(method=method, seed=seed, out=out):
                return PIPELINES[method](str(folders[seed]), out, seed, split.size)

            # the stages' progress prints would bury the one line per run
            with astronomaly_quiet():
                rows = replay(run_pipeline, truth_path(folders[seed]), rounds, per_round,
                              interesting)
            records += [{"data": name, "method": method, "seed": seed, **row} for row in rows]
            progress(progress_line(seed, method, rows))
    return pd.DataFrame(records)


def found_per_seed(table):
    """Per method: interesting objects found with all the labels, per seed,
    their total and mean, and the mean seconds of a Retrain."""
    last = table[table["round"] == table["round"].max()]
    wide = last.pivot(index="method", columns="seed", values="found")
    seeds = [f"seed {s}" for s in wide.columns]
    wide.columns = seeds
    wide["total"] = wide[seeds].sum(axis=1)
    wide["mean"] = wide[seeds].mean(axis=1).round(1)
    wide["Retrain s"] = table.groupby("method")["seconds_retrain"].mean().round(2)
    return wide


def compare_data_command(args):
    from ..benchmark import run_record
    record = run_record()  # the code as it was when the run started
    split = split_of(args.data, args.normal, args.rare, args.n_normal, args.n_rare,
                     args.crop)
    out = Path(args.output_dir)
    table = compare_methods(args.data, args.methods, args.seeds, args.rounds, args.labels, out,
                            args.data_dir, split, args.interesting)
    folder = data_folder(args.data_dir, args.data, split, args.seeds[0])
    truth = pd.read_csv(truth_path(folder), index_col=0).iloc[:, 0]
    interesting = truth >= args.interesting
    rate = float(interesting.mean())
    write_results(table, out, f"--data {args.data}, {split.describe()}", record, random_rate=rate)
    spent = int(table["labels"].max())
    header = (f"{args.data}: {int(interesting.sum())} interesting of {len(truth)} "
              f"cutouts ({', '.join(split.normal)} normal, {split.rare} rare); found with "
              f"{spent} labels (labelling at random finds {rate * spent:.1f} on average)")
    text = header + "\n" + found_per_seed(table).to_string() + "\n"
    (out / "summary.txt").write_text(text)
    print("\n" + text + f"written: {out / 'summary.txt'}")
    return 0
