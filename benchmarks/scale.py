"""Survey scale: AHUNT's Astronomaly stages on folders of 10^4 to 10^6 cutouts.

    python benchmarks/scale.py folders --data /work/scale-data           # written once
    python benchmarks/scale.py run --data /work/scale-data --n 10000 --workers 0 2
    python benchmarks/scale.py plot

Cutouts are Fashion-MNIST items (28 px) pasted at a seeded random offset on a
64-px black canvas, written as PNG: one folder per size, reused when present.
``run`` serves each folder through ``ahunt_pipeline`` as Astronomaly's page
would, in-process (0 workers) or on a LocalCluster, each phase in its own
process so that its peak RSS is its own: the first start-up (reading the
folder into the cutout store, round 0, the first pass) followed by two
Retrains of 10 labels each, then a restart. Results go to
``benchmarks/results/<--output>/results.json`` (``scale`` by default), one entry per size and mode.
"""

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

SIDE = 64
SIZES = (10_000, 100_000, 1_000_000)
RESULTS = Path(__file__).parent / "results"
LABELS = {"Bag": 5, "Trouser": 4}  # interesting classes; every other class is labelled 0
REFERENCE_BATCH = 8192


def write_folder(directory, n, seed=0, fits=False):
    """``n`` 64-px PNG cutouts in ``directory`` and their classes in ``truth.csv``;
    nothing is written when ``truth.csv`` is there (it is written last). With
    ``fits``, FITS files instead, in linear flux with Gaussian noise, as a
    survey's cutouts come."""
    import pandas as pd
    from PIL import Image
    from tqdm import tqdm
    from astronomaly_ahunt.experiments.datasets import load_fashion_mnist

    directory = Path(directory)
    if (directory / "truth.csv").exists():
        return
    directory.mkdir(parents=True, exist_ok=True)
    items = load_fashion_mnist()
    pixels = (items.x.reshape(len(items.x), 28, 28) * 255).astype(np.uint8)
    rng = np.random.default_rng(seed)
    which = rng.integers(len(pixels), size=n)
    offsets = rng.integers(0, SIDE - 28 + 1, size=(n, 2))
    noise = np.random.default_rng([seed, 1])
    ids = [f"obj{i:07d}" for i in range(n)]
    for i in tqdm(range(n), desc=f"writing {n} cutouts", mininterval=10):
        canvas = np.zeros((SIDE, SIDE), np.uint8)
        r, c = offsets[i]
        canvas[r:r + 28, c:c + 28] = pixels[which[i]]
        if fits:
            flux = canvas * np.float32(1e-3) + noise.normal(0, 2e-3, canvas.shape)
            _write_fits(directory / f"{ids[i]}.fits", flux.astype(np.float32))
        else:
            Image.fromarray(canvas).save(directory / f"{ids[i]}.png", compress_level=1)
    pd.Series(items.names(items.y[which]), index=ids, name="class").to_csv(
        directory / "truth.csv")


def _write_fits(path, image):
    """``image`` as a FITS file: astropy's header for its shape and type, made
    once, then the big-endian pixels padded to FITS's 2,880-byte blocks
    (astropy's own writeto takes 15 ms a file, 25 minutes for 10^5)."""
    from astropy.io import fits
    header = _FITS_HEADERS.get((image.shape, image.dtype.str))
    if header is None:
        header = fits.PrimaryHDU(image).header.tostring().encode("ascii")
        _FITS_HEADERS[(image.shape, image.dtype.str)] = header
    data = image.astype(image.dtype.newbyteorder(">")).tobytes()
    path.write_bytes(header + data + bytes(-len(data) % 2880))


_FITS_HEADERS = {}


def peak_rss_gb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


class Timers:
    """Seconds spent in chosen functions, patched in place for this process:
    wall-clock, and this process's CPU seconds (``<phase>_cpu``), which other
    jobs on a shared machine disturb far less."""

    def __init__(self):
        self.seconds = defaultdict(float)

    def wrap(self, owner, name, phase, when=lambda *a, **k: True):
        function = getattr(owner, name)

        def timed(*args, **kwargs):
            if not when(*args, **kwargs):
                return function(*args, **kwargs)
            start, cpu = time.perf_counter(), time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[phase] += time.perf_counter() - start
                self.seconds[f"{phase}_cpu"] += time.process_time() - cpu

        setattr(owner, name, timed)

    def take(self):
        taken = {k: round(v, 2) for k, v in self.seconds.items()}
        self.seconds.clear()
        return taken


def phase(name, folder, output_dir, workers):
    """One phase in this process: 'start' (first start-up and two Retrains) or
    'restart'; returns its measurements."""
    import pandas as pd
    from astronomaly_ahunt import Hunter
    from astronomaly_ahunt.engine.model import AhuntNet
    from astronomaly_ahunt.stages.cutout_store import CutoutStore
    from astronomaly_ahunt.experiments.compare.replay import FrontendReplay
    from astronomaly_ahunt.stages.image_folder import ImageFolderDataset
    from astronomaly_ahunt.stages.pipeline import ahunt_pipeline
    from astronomaly_ahunt.stages import human_loop_learning
    from astronomaly_ahunt.stages.session import AhuntSession

    from astronomaly_ahunt.stages.astronomaly_compat import AhuntStage
    timers = Timers()
    timers.wrap(CutoutStore, "build", "store")
    # the stages' output files: csv, far slower than parquet, where pyarrow is missing
    timers.wrap(AhuntStage, "save", "saving outputs")
    timers.wrap(AhuntNet, "train", "training")
    timers.wrap(AhuntSession, "latent_and_proba", "scoring", lambda self, where=None: where is None)
    timers.wrap(Hunter, "choose", "choosing questions")
    timers.wrap(AhuntSession, "save", "saving the session")
    timers.wrap(human_loop_learning, "latent_projection", "projection")
    start = time.perf_counter()
    dataset = ImageFolderDataset(directory=str(folder), output_dir=str(output_dir))
    # the stages' default Hunter (PAGE_SETTINGS): what a user of the page gets
    pipeline = ahunt_pipeline(dataset, str(output_dir), scoring_cluster=workers or None)
    result = {"seconds": round(time.perf_counter() - start, 2), **timers.take()}
    # so far, for a run stopped before the end (the last line is the whole result)
    print(json.dumps(result), flush=True)
    session = pipeline["active_learning"].session
    n = len(session.ids)
    if name == "start":
        truth = pd.read_csv(Path(folder) / "truth.csv", index_col=0)["class"]
        page = FrontendReplay(pipeline)
        result["retrains"] = []
        presses = []
        for _ in range(2):
            for obj in page.next_unlabelled(10):
                begin = time.perf_counter()
                page.label(obj, LABELS.get(truth[obj], 0))
                presses.append(time.perf_counter() - begin)
            begin, workers_cpu = time.perf_counter(), workers_cpu_seconds(session)
            page.retrain()
            result["retrains"].append({"seconds": round(time.perf_counter() - begin, 2),
                                       **timers.take()})
            if session.scoring is not None:
                # the workers do all the scoring, and nothing else
                result["retrains"][-1]["scoring_cpu"] = round(
                    workers_cpu_seconds(session) - workers_cpu, 2)
            print(json.dumps(result), flush=True)
        # a press as the frontend's Controller makes it (its frame, then our save)
        result["press_seconds"] = {"median": round(float(np.median(presses)), 4),
                                   "max": round(max(presses), 4)}
        scoring = result["retrains"][-1]["scoring"]
        result["throughput"] = round(n / scoring)
        result["throughput_per_cpu_s"] = round(n / result["retrains"][-1]["scoring_cpu"])
        x = session.images[:min(n, REFERENCE_BATCH)]
        net = session.hunter.net_
        net.predict(x[:1024])
        begin, cpu = time.perf_counter(), time.process_time()
        net.predict(x)
        result["in_memory_throughput"] = round(len(x) / (time.perf_counter() - begin))
        result["in_memory_throughput_per_cpu_s"] = round(len(x) / (time.process_time() - cpu))
    result["peak_rss_gb"] = round(peak_rss_gb(), 2)
    if session.scoring is not None:
        worker_rss = session.scoring.client.run(peak_rss_gb)
        result["worker_peak_rss_gb"] = sorted(round(v, 2) for v in worker_rss.values())
        session.scoring.close()
    return result


def workers_cpu_seconds(session):
    if session.scoring is None:
        return 0.0
    return sum(session.scoring.client.run(time.process_time).values())


def run(data, n, workers, out, keep_store=False):
    """Both phases of one size and mode, each in a fresh process, added to
    ``out``/results.json; with ``keep_store`` the output folder's cutout
    store is kept (the first start-up then reads no cutout)."""
    import shutil
    output_dir = Path(data) / f"out_n{n}_w{workers}"
    if output_dir.exists():
        for entry in output_dir.iterdir():
            if keep_store and entry.name == "ahunt_cutouts":
                continue
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    from astronomaly_ahunt.experiments.benchmark import run_record
    entry = {"n": n, "workers": workers, "side": SIDE, "store_kept": keep_store,
             "run": run_record()}  # the code as it was when the run started
    for name in ("start", "restart"):
        done = subprocess.run([sys.executable, __file__, "phase", name, "--data", str(data),
                               "--n", str(n), "--workers", str(workers)],
                              stdout=subprocess.PIPE, text=True, check=True)
        entry[name] = json.loads(done.stdout.strip().splitlines()[-1])
        print(name, entry[name], flush=True)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.json"
    results = json.loads(path.read_text()) if path.exists() else {"machine": machine()}
    results[f"n{n}_w{workers}"] = entry
    path.write_text(json.dumps(results, indent=1))


def machine():
    from astronomaly_ahunt.experiments.benchmark import cpu_model
    import os
    return {"cpu": cpu_model(), "cores": os.cpu_count(),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
            "python": platform.python_version(),
            "note": "a shared virtual machine: run with nothing else running, seconds still "
                    "vary by about 10 % from run to run; memory does not"}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("folders", "run", "phase", "plot"))
    parser.add_argument("name", nargs="?", help="the phase (internal)")
    parser.add_argument("--data", default="scale-data")
    parser.add_argument("--n", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--workers", type=int, nargs="*", default=[0, 2],
                        help="0: scoring in-process; N: a LocalCluster of N workers")
    parser.add_argument("--keep-store", action="store_true",
                        help="keep a cutout store already in the output folder")
    parser.add_argument("--output", default="scale",
                        help="results folder under benchmarks/results (one per machine)")
    args = parser.parse_args(argv)
    out = RESULTS / args.output
    if args.command == "folders":
        for n in args.n:
            write_folder(Path(args.data) / f"n{n}", n)
    elif args.command == "run":
        for n in args.n:
            for workers in args.workers:
                run(args.data, n, workers, out, args.keep_store)
    elif args.command == "phase":
        n, workers = args.n[0], args.workers[0]
        print(json.dumps(phase(args.name, Path(args.data) / f"n{n}",
                               Path(args.data) / f"out_n{n}_w{workers}", workers)))
    else:
        plot(out)
        (out / "summary.md").write_text(summary(out))


def summary(out):
    """The results in ``out`` as a markdown table, wall-clock seconds with CPU
    seconds in brackets."""
    results = json.loads((out / "results.json").read_text())
    lines = ["| objects | scoring | first start-up | restart | Retrain 1 | Retrain 2 "
             "| of which scoring | cutouts per CPU-s (store / in-memory) | label press "
             "(median / max) | server peak RSS | worker peak RSS |", "|" + " --- |" * 11]

    def cell(part):
        return f"{part['seconds']:.0f} s"

    entries = sorted((v for k, v in results.items() if k != "machine"),
                     key=lambda e: (e["n"], e["workers"]))
    for e in entries:
        start, restart = e["start"], e.get("restart")
        retrains = start.get("retrains", [])
        last = retrains[-1] if retrains else None
        lines.append("| " + " | ".join([
            f"{e['n']:,}", "in-process" if not e["workers"] else f"{e['workers']} workers",
            f"{start['seconds']:.0f} s (store {start['store']:.0f} s)",
            cell(restart) if restart else "–",
            *[f"{r['seconds']:.1f} s (training {r['training']:.1f})" for r in retrains],
            *["–"] * (2 - len(retrains)),
            f"{last['scoring']:.1f} s ({last['scoring_cpu']:.0f} CPU-s)" if last else "–",
            f"{start['throughput_per_cpu_s']:,} / {start['in_memory_throughput_per_cpu_s']:,}"
            if last else "–",
            f"{1e3 * start['press_seconds']['median']:.0f} / "
            f"{1e3 * start['press_seconds']['max']:.0f} ms" if "press_seconds" in start else "–",
            f"{start['peak_rss_gb']:.2f} GB" + (f" / {restart['peak_rss_gb']:.2f} GB restart"
                                                 if restart else ""),
            " ".join(f"{g:.2f}" for g in start.get("worker_peak_rss_gb", [])) + " GB"
            if e["workers"] else "–"]) + " |")
    return "\n".join(lines) + "\n"


def plot(out):
    """Seconds and peak memory (the results in ``out``) against the number of cutouts: colour says
    what was measured, the line's style where (in-process or on a cluster),
    in one legend under both panels."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    results = json.loads((out / "results.json").read_text())
    entries = [v for k, v in results.items() if k != "machine"]
    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(11, 5))
    phases = {"first start-up": "C0", "restart": "C1", "later Retrain": "C2",
              "  of which scoring": "C3", "server RSS": "C7", "largest worker RSS": "C4"}
    modes = {}
    for workers, style in ((0, "-"), (2, "--")):
        rows = sorted((e for e in entries if e["workers"] == workers), key=lambda e: e["n"])
        if not rows:
            continue
        n = [e["n"] for e in rows]
        modes["in-process" if workers == 0 else f"{workers}-worker LocalCluster"] = style
        for label, values in (
                ("first start-up", [e["start"]["seconds"] for e in rows]),
                ("restart", [e.get("restart", {}).get("seconds", np.nan) for e in rows]),
                ("later Retrain", [e["start"]["retrains"][-1]["seconds"] for e in rows]),
                ("  of which scoring", [e["start"]["retrains"][-1]["scoring"] for e in rows])):
            ax_t.plot(n, values, style, marker="o", color=phases[label])
        ax_m.plot(n, [e["start"]["peak_rss_gb"] for e in rows], style, marker="o",
                  color=phases["server RSS"])
        if workers:
            ax_m.plot(n, [max(e["start"]["worker_peak_rss_gb"]) for e in rows], style,
                      marker="s", color=phases["largest worker RSS"])
    ax_t.axhline(60, color="grey", lw=0.8)
    ax_t.plot([1e5], [8], marker="_", ms=18, mew=1.5, color="grey")  # Retrain at 10^5
    ax_m.axhline(4, color="grey", lw=0.8)
    ax_m.set_ylim(bottom=0)
    for ax, ylabel in ((ax_t, "seconds"), (ax_m, "peak RSS (GB)")):
        ax.set_xscale("log")
        ax.set_xlabel("cutouts (64 px)")
        ax.set_ylabel(ylabel)
    ax_t.set_yscale("log")
    handles = [Line2D([], [], color=c, marker="o", label=name.strip())
               for name, c in phases.items()] + \
        [Line2D([], [], color="black", ls=style, label=mode) for mode, style in modes.items()]
    fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=8, frameon=False)
    machine_ = results["machine"]
    fig.suptitle(f"AHUNT in Astronomaly at scale: {machine_['cores']} cores "
                 f"({machine_['cpu']}), {machine_['memory_gb']} GB; grey: targets "
                 f"(Retrain ≤ 60 s at 10⁶, ≤ 8 s at 10⁵; RSS ≤ 4 GB)", fontsize=9)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    fig.savefig(out / "scale.png", dpi=120)


if __name__ == "__main__":
    main()
