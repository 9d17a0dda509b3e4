"""Two Astronomaly pipeline scripts, side by side, labelled the way a person
labels them on the page.

Each script runs as the frontend runs it: ``run_pipeline()``, then for every
round the top unlabelled objects of the page's current order are labelled
from a truth table (``/label``), Retrain is pressed (``combine_data_frames``,
``run``, columns copied, sort by ``column_to_sort_by``), and the interesting
objects found so far are counted against the labels spent.
"""

import importlib.util
import os
import shutil
import sys
import time
from pathlib import Path

import pandas as pd

from .frontend_replay import FrontendReplay
from ..stages.page import INTERESTING_FROM

SEED_ENV, OUTPUT_ENV = "AHUNT_SEED", "AHUNT_OUTPUT_DIR"


class MissingAstronomaly(RuntimeError):
    pass


def load_script(path, seed, output_dir):
    """Import a pipeline script afresh, with its seed and output folder set
    through ``AHUNT_SEED`` / ``AHUNT_OUTPUT_DIR`` (read when it is imported)."""
    path = Path(path).resolve()
    saved = {k: os.environ.get(k) for k in (SEED_ENV, OUTPUT_ENV)}
    os.environ[SEED_ENV], os.environ[OUTPUT_ENV] = str(seed), str(output_dir)
    # the frontend puts the script's folder on the path, so scripts may import neighbours
    if str(path.parent) not in sys.path:
        sys.path.append(str(path.parent))
    spec = importlib.util.spec_from_file_location(f"{path.stem}_seed{seed}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except ModuleNotFoundError as err:
        if err.name and err.name.split(".")[0] == "astronomaly":
            raise MissingAstronomaly(
                f"{path.name} needs Astronomaly, which this Python ({sys.executable}) cannot "
                f"import. Astronomaly is not on PyPI: git clone "
                f"https://github.com/MichelleLochner/astronomaly && pip install -e astronomaly, "
                f"then run this command again") from None
        raise
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    if not hasattr(module, "run_pipeline"):
        raise ValueError(f"{path.name} defines no run_pipeline(), so it is not an Astronomaly "
                         f"pipeline script")
    return module


def read_truth(path):
    """A csv of object id, label (0-5) as a Series indexed by string ids."""
    table = pd.read_csv(path, index_col=0)
    truth = table.iloc[:, 0].astype(int)
    truth.index = truth.index.astype(str)
    return truth


def replay(run_pipeline, truth_path, rounds, per_round, interesting):
    """Rounds of ``per_round`` labels on what ``run_pipeline()`` returns; one
    record per round, with ``first_found`` the label (1 = the first) that
    named the first interesting object, None before it. The truth table is
    read after ``run_pipeline()``, which may write it."""
    page = FrontendReplay(run_pipeline())
    truth = read_truth(truth_path)
    records, found, spent, first = [], 0, 0, None
    for r in range(1, rounds + 1):
        asked = page.next_unlabelled(per_round)
        missing = [i for i in asked if i not in truth.index]
        if missing:
            raise ValueError(f"the truth table {truth_path} has no label for {missing[:5]}")
        for obj in asked:
            page.label(obj, truth[obj])
        hits = (truth[asked] >= interesting).to_numpy()
        if first is None and hits.any():
            first = spent + int(hits.argmax()) + 1
        found += int(hits.sum())
        spent += len(asked)
        start = time.perf_counter()
        page.retrain()
        records.append({"round": r, "labels": spent, "found": found, "first_found": first,
                        "seconds_retrain": time.perf_counter() - start})
    return records


def compare(scripts, truth_path, rounds=5, per_round=10, seeds=(0,),
            interesting=INTERESTING_FROM, output_dir="ahunt_output/compare", progress=print):
    """Run every script for every seed; returns a DataFrame of rounds.

    ``truth_path`` is a csv of (id, label 0-5); ``{seed}`` in it is
    replaced by the seed. Objects labelled ``>= interesting`` count as found.
    """
    output_dir = checked_output_dir(output_dir)
    names = [Path(s).stem for s in scripts]
    for script in scripts:  # a missing Astronomaly shows before any pipeline runs
        load_script(script, seeds[0], output_dir / "import_check")
    records = []
    for seed in seeds:
        for name, script in zip(names, scripts):
            module = load_script(script, seed, fresh_folder(output_dir / f"{name}_seed{seed}"))
            rows = replay(module.run_pipeline, str(truth_path).format(seed=seed), rounds,
                          per_round, interesting)
            records += [{"method": name, "seed": seed, **row} for row in rows]
            progress(progress_line(seed, name, rows))
    return pd.DataFrame(records)


def checked_output_dir(output_dir):
    """``output_dir`` made absolute; a ``ValueError`` if it holds a '-'."""
    output_dir = Path(output_dir).resolve()
    if "-" in str(output_dir):
        raise ValueError(f"output folder {output_dir} holds a '-': Astronomaly's cache check "
                         f"splits its log lines on '-'; choose a folder without one")
    return output_dir


def fresh_folder(path):
    """``path``, emptied: a pipeline resumes the session and the labels it
    finds in its folder, which would carry one run into the next."""
    shutil.rmtree(path, ignore_errors=True)
    return path


def progress_line(seed, name, rows):
    found = " ".join(f"{r['found']:2d}" for r in rows)
    retrain = sum(r["seconds_retrain"] for r in rows) / len(rows)
    return (f"seed {seed}  {name:<28s} interesting found after each round: {found}  "
            f"({rows[-1]['labels']} labels; Retrain {retrain:.1f} s)")


def summary_table(table):
    """Interesting objects found by labels spent: one column per method
    (or script), mean over seeds, with the per-seed values."""
    grouped = table.groupby(["labels", "method"])["found"]
    mean = grouped.mean().unstack("method")
    per_seed = grouped.apply(lambda s: "/".join(str(v) for v in s)).unstack("method")
    return mean.round(1).astype(str) + " (" + per_seed + ")"


def plot_comparison(table, path, title, random_rate=None):
    """Interesting objects found against labels spent: a thick line per
    method or script (the mean over seeds) over a thin one per seed; with
    ``random_rate`` (interesting objects per label) a dashed line of what
    labelling at random finds on average."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator
    fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    if random_rate is not None:
        spent = [0, table["labels"].max()]
        ax.plot(spent, [random_rate * s for s in spent], color="0.4", ls="--", lw=1,
                label="random, expected")
    for k, (name, runs) in enumerate(table.groupby("method")):
        colour = f"C{k}"
        for _, run in runs.groupby("seed"):
            ax.plot(run["labels"], run["found"], color=colour, alpha=0.25, lw=1)
        mean = runs.groupby("labels")["found"].mean()
        ax.plot(mean.index, mean.to_numpy(), color=colour, marker="o", lw=2.5,
                label=f"{name} (mean)")
    ax.plot([], [], color="0.5", alpha=0.4, lw=1, label="one seed")
    ax.set_xticks(sorted(table["labels"].unique()))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, None)
    ax.set_xlabel("labels spent")
    ax.set_ylabel("interesting objects found")
    ax.set_title(title)
    ax.legend(loc="upper left", frameon=False)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_results(table, args, out, random_rate=None):
    """compare.csv and compare.png in ``out``; the table by labels spent printed."""
    table.to_csv(out / "compare.csv", index=False)
    plot_comparison(table, out / "compare.png",
                    f"{args.data + ': ' if args.data else ''}{args.rounds} rounds of "
                    f"{args.labels} labels, seeds {', '.join(map(str, args.seeds))}",
                    random_rate)
    print("\ninteresting objects found by labels spent, mean (per seed):")
    print(summary_table(table).to_string())
    print(f"written: {out / 'compare.csv'}, {out / 'compare.png'}")
