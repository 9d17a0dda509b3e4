"""Where a comparison's results go and how they read: the output folder
(checked before any run), one progress line per run, the table by labels
spent, and the plot of interesting objects found against labels spent."""

import json
import shutil
import textwrap
from pathlib import Path

from ..plots import COLOURS


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


def plot_found(table, path, title, random_rate=None):
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
        colour = COLOURS.get(name, f"C{k}")
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
    # long split descriptions wrap rather than run off the figure
    ax.set_title("\n".join(textwrap.fill(line, 80) for line in title.splitlines()), fontsize=10)
    ax.legend(loc="upper left", frameon=False)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_results(table, out, title, record, random_rate=None):
    """compare.csv, compare.png (titled ``title``, then the rounds and
    seeds) and run.json (``record``: the run's code and machine) in
    ``out``; the table by labels spent printed."""
    table.to_csv(out / "compare.csv", index=False)
    (out / "run.json").write_text(json.dumps({**record, "title": title}, indent=1) + "\n")
    rounds, labels = int(table["round"].max()), int(table["labels"].max())
    seeds = ", ".join(map(str, sorted(table["seed"].unique())))
    plot_found(table, out / "compare.png",
               f"{title}\n{rounds} rounds, {labels} labels; seeds {seeds}", random_rate)
    print("\ninteresting objects found by labels spent, mean (per seed):")
    print(summary_table(table).to_string())
    print(f"written: {out / 'compare.csv'}, {out / 'compare.png'}, {out / 'run.json'}")
