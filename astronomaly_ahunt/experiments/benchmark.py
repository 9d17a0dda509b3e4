"""Methods x seeds on one protocol, aggregated as the paper reports them:
the mean and the 68 % band (16th-84th percentile over seeds) per round.

Every method of a seed runs on the same rounds (:func:`.simulate.run_rounds`
draws them once from the seed), so differences between methods are not
differences between draws.
"""

import json
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from .methods import build_runners, check_methods
from .simulate import run_rounds

METRICS = ("mcc_argmax", "mcc_topk", "auc", "true_candidates", "true_candidates_total",
           "seconds_per_round")
PACKAGES = ("numpy", "scikit-learn", "tensorflow", "keras", "pandas", "coniferest",
            "umap-learn", "astronomaly", "astronomaly_ahunt")


@dataclass
class BenchmarkResult:
    """Per-round records of every method and seed, with what produced them.

    ``rounds`` has one row per (method, seed, round); ``snapshots`` maps a
    round to (latent features, class names) of everything AHUNT had seen,
    for the first seed.
    """

    protocol: object
    rounds: pd.DataFrame
    environment: dict
    snapshots: dict = field(default_factory=dict)

    @property
    def methods(self):
        return list(dict.fromkeys(self.rounds["method"]))

    def aggregate(self):
        return aggregate(self.rounds)

    def runs(self):
        return runs_table(self.rounds)

    def save(self, output_dir, latent_map="umap"):
        """Write the CSVs, the Markdown summary, the figures and
        ``environment.json`` to ``output_dir``; returns the paths written.
        ``latent_map`` ('umap' or 'pca') draws Fig. 1."""
        from .figures import write_figures
        output_dir = Path(output_dir)
        output_dir.mkdir(parents=True, exist_ok=True)
        paths = [output_dir / n for n in ("rounds.csv", "aggregate.csv", "runs.csv",
                                          "summary.md", "environment.json")]
        self.rounds.to_csv(paths[0], index=False)
        self.aggregate().to_csv(paths[1], index=False)
        self.runs().to_csv(paths[2], index=False)
        paths[3].write_text(summary_markdown(self))
        paths[4].write_text(json.dumps(self.environment, indent=1))
        if self.snapshots:
            paths.append(output_dir / "latent_snapshots.npz")
            np.savez_compressed(paths[-1], **{f"{k}_r{r}": v for r, (z, names) in
                                              self.snapshots.items()
                                              for k, v in (("latent", z), ("names", names))})
        return paths + write_figures(self, output_dir, latent_map)


def load_result(output_dir):
    """A :class:`BenchmarkResult` read back from what :meth:`~BenchmarkResult.save`
    wrote, so tables and figures can be redrawn without rerunning."""
    from .protocols import protocol_from_dict
    output_dir = Path(output_dir)
    env = json.loads((output_dir / "environment.json").read_text())
    snapshots = {}
    if (output_dir / "latent_snapshots.npz").exists():
        with np.load(output_dir / "latent_snapshots.npz") as npz:
            for key in npz.files:
                if key.startswith("latent_r"):
                    r = int(key[len("latent_r"):])
                    snapshots[r] = (npz[key], npz[f"names_r{r}"])
    return BenchmarkResult(protocol_from_dict(env["protocol"]),
                           pd.read_csv(output_dir / "rounds.csv"), env, snapshots)


def run_benchmark(protocol, data, methods, seeds, hunter_params=None, progress=None,
                  snapshot_points=2000):
    """Run ``methods`` for each seed in ``seeds`` through ``protocol`` on ``data``.

    ``progress`` is called with (seed, that round's records) after every
    round. Latent snapshots of the first seed's ``ahunt`` runner are taken
    after round 1, the middle round and the last (at most
    ``snapshot_points`` objects each, drawn with the seed).
    """
    methods = check_methods(methods)
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("give at least one seed")
    snapshot_rounds = sorted({1, (protocol.rounds + 1) // 2, protocol.rounds})
    records, snapshots = [], {}
    for i, seed in enumerate(seeds):
        runners = build_runners(methods, protocol, seed, hunter_params,
                                  snapshot_rounds=snapshot_rounds if i == 0 else ())

        def on_round(recs, seed=seed):
            if progress is not None:
                progress(seed, recs)

        records += run_rounds(runners, protocol, data, seed, methods=methods, progress=on_round)
        if i == 0:
            snapshots = _snapshots(runners, protocol, data, seed, snapshot_points)
    rounds = pd.DataFrame(records)
    rounds["true_candidates_total"] = rounds.groupby(["method", "seed"])["true_candidates"].cumsum()
    rounds["seconds_per_round"] = rounds[["seconds_select", "seconds_retrain",
                                          "seconds_score"]].sum(axis=1)
    return BenchmarkResult(protocol, rounds, environment(protocol, methods, seeds, hunter_params),
                           snapshots)


def _snapshots(runners, protocol, data, seed, n_points):
    """(latent, class names) of a seeded subsample of what was seen at each
    snapshot round of the ``ahunt`` runner, if there was one."""
    from .simulate import draw_rounds
    kept = next((s.snapshots_ for s in runners if getattr(s, "snapshots_", None)), {})
    if not kept:
        return {}
    _, rounds = draw_rounds(protocol, data, np.random.default_rng(seed))
    rng = np.random.default_rng(seed)
    out = {}
    for r, latent in sorted(kept.items()):
        seen = np.concatenate(rounds[:r])
        pick = np.sort(rng.choice(len(seen), size=min(n_points, len(seen)), replace=False))
        out[r] = (latent[pick], data.names(data.y[seen[pick]]))
    return out


def band(values):
    """Mean, 16th and 84th percentile of ``values`` (NaNs ignored)."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return np.nan, np.nan, np.nan
    return float(values.mean()), float(np.percentile(values, 16)), float(np.percentile(values, 84))


def aggregate(rounds):
    """Per method and round: ``<metric>_mean``, ``_p16`` and ``_p84`` over
    seeds for each of :data:`METRICS`, and for each per-class column
    (``asked_*``, ``found_*``, ``mcc_argmax_*``)."""
    per_class = [c for c in rounds.columns
                 if c.startswith(("asked_", "found_", "mcc_argmax_"))]
    metrics = list(METRICS) + per_class
    rows = []
    for (method, r), group in rounds.groupby(["method", "round"], sort=False):
        row = {"method": method, "round": r, "n_seeds": group["seed"].nunique()}
        for m in metrics:
            row[f"{m}_mean"], row[f"{m}_p16"], row[f"{m}_p84"] = band(group[m])
        rows.append(row)
    return pd.DataFrame(rows)


def runs_table(rounds):
    """One row per (method, seed): final metrics, anomalies found, timings."""
    rows = []
    for (method, seed), g in rounds.groupby(["method", "seed"], sort=False):
        last = g.iloc[-1]
        rows.append({
            "method": method, "seed": seed, "rounds": len(g),
            "final_mcc_argmax": last["mcc_argmax"], "final_mcc_topk": last["mcc_topk"],
            "final_auc": last["auc"], "questions": int(g["asked"].sum()),
            "anomalies_found": int(g["true_candidates"].sum()),
            "seconds_select": g["seconds_select"].mean(),
            "seconds_retrain": g["seconds_retrain"].mean(),
            "seconds_score": g["seconds_score"].mean(),
            "seconds_per_round": g["seconds_per_round"].mean(),
            "wall_seconds": last["seconds_start"] + g["seconds_per_round"].sum(),
            "peak_rss_mb": g["peak_rss_mb"].max()})
    return pd.DataFrame(rows)


def _cell(values, digits=2):
    mean, lo, hi = band(values)
    if np.isnan(mean):
        return "–"
    if len(values) == 1:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def summary_markdown(result):
    """The final-round table (laid out like the paper's Tables 2 and 3, one
    row per method) and the timing table, as Markdown."""
    runs = result.runs()
    p = result.protocol
    seeds = sorted(runs["seed"].unique().tolist())
    lines = [
        f"# {p.name}: {len(seeds)} seed(s), {p.rounds} rounds, n_q = {p.n_q}", "",
        p.description, "",
        f"Final round, over all data seen since round 1. Mean [16th, 84th percentile] "
        f"over seeds {seeds[0]}..{seeds[-1]}. **MCC argmax**: an object is called an "
        f"anomaly when its most probable class is an anomaly class (for isolation forests: "
        f"their own outlier threshold; – for coniferest, which has none). **MCC top-k**: the "
        f"k highest anomaly scores are called anomalies, k = the true anomalies seen (the "
        f"authors' released code). **Found**: anomalies among the questions, summed over "
        f"rounds (for methods that ask nothing: among the top n_q of each round's new "
        f"objects by that round's score).", "",
        "| method | MCC argmax | MCC top-k | ROC AUC | found / questions |",
        "| --- | --- | --- | --- | --- |"]
    for method, g in runs.groupby("method", sort=False):
        questions = int(g["questions"].iloc[0]) or p.rounds * p.n_q
        lines.append(f"| {method} | {_cell(g['final_mcc_argmax'])} | "
                     f"{_cell(g['final_mcc_topk'])} | {_cell(g['final_auc'])} | "
                     f"{_cell(g['anomalies_found'], 1)} / {questions} |")
    lines += ["", "Seconds per round (mean over rounds and seeds), whole run, and the "
              "process's peak resident memory (process-wide, so it includes every method "
              "run before).", "",
              "| method | select | retrain | score | per round | wall per run | peak MB |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for method, g in runs.groupby("method", sort=False):
        lines.append(f"| {method} | {g['seconds_select'].mean():.2f} | "
                     f"{g['seconds_retrain'].mean():.2f} | {g['seconds_score'].mean():.2f} | "
                     f"{g['seconds_per_round'].mean():.2f} | {g['wall_seconds'].mean():.0f} s | "
                     f"{g['peak_rss_mb'].max():.0f} |")
    env = result.environment
    lines += ["", f"Ran {env['date']} on {env['machine']} ({env['cpus']} CPUs), Python "
              f"{env['python']}; " + ", ".join(f"{k} {v}" for k, v in env["versions"].items()),
              f"Command: `{env['command']}`", ""]
    return "\n".join(lines)


def code_version():
    """The commit of the package's checkout and whether its tree had
    uncommitted changes (None for both outside a git checkout)."""
    import subprocess
    here = Path(__file__).resolve().parent

    def git(*args):
        return subprocess.run(["git", "-C", str(here), *args], capture_output=True, text=True,
                              timeout=30)
    try:
        head = git("rev-parse", "HEAD")
        status = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    if head.returncode != 0:
        return {"commit": None, "dirty": None}
    return {"commit": head.stdout.strip(), "dirty": bool(status.stdout.strip())}


def run_record():
    """When, where and from which code a result was produced."""
    return {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "machine": cpu_model(),
            "cpus": os.cpu_count(), **code_version(),
            "command": " ".join(["astronomaly-ahunt"] + sys.argv[1:])
            if sys.argv and sys.argv[0].endswith("astronomaly-ahunt") else " ".join(sys.argv)}


def environment(protocol, methods, seeds, hunter_params):
    """Machine, versions and settings a result was produced with."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {**run_record(), "platform": platform.platform(),
            "python": platform.python_version(), "versions": versions,
            "protocol": json.loads(protocol.to_json()), "methods": list(methods),
            "seeds": list(seeds), "hunter_params": hunter_params or {}}


def cpu_model(cpuinfo="/proc/cpuinfo"):
    """The CPU's name, family, model and widest vector instructions (from
    ``cpuinfo``, Linux's description of the first CPU): the
    same name covers generations whose kernels (oneDNN picks them by the
    instructions) round differently, and a run's finds follow the rounding."""
    try:
        first_cpu = Path(cpuinfo).read_text().split("\n\n")[0].splitlines()
    except OSError:
        return platform.processor() or platform.machine()
    fields = {key.strip(): value.strip()
              for key, value in (line.split(":", 1) for line in first_cpu if ":" in line)}
    flags = set(fields.get("flags", "").split())
    vectors = next((name for flag, name in (("avx512f", "AVX-512"), ("avx2", "AVX2"))
                    if flag in flags), None)
    detail = ", ".join(part for part in (
        f"family {fields['cpu family']} model {fields['model']}"
        if "cpu family" in fields and "model" in fields else None, vectors) if part)
    name = fields.get("model name", platform.processor() or platform.machine())
    return f"{name} ({detail})" if detail else name
