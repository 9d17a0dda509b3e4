"""What bounds the first start-up's read of a folder into the cutout store,
and how fast it goes on threads and on forked processes, side by side.

    python benchmarks/first_read.py --data /tmp/first-read --n 20000 --output first-read

Writes ``n`` 64-px PNG cutouts once (as ``scale.py`` does; FITS files with
``--fits``), then: the cost
of one cutout in one process (the Dataset's ``get_sample``, then
``to_model_input``; and the store's own reader, which decodes a plain PNG
without ``get_sample``) on a sample, and ``CutoutStore.build`` over the whole
folder with threads and with processes, alternately, ``--repeats`` times
each. Run it in Astronomaly's virtualenv to read through Astronomaly's own
``ImageThumbnailsDataset``, as the page does. Results: ``results.json`` and
``summary.md`` in ``benchmarks/results/<output>``.
"""

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from astronomaly_ahunt.experiments.benchmark import run_record
from astronomaly_ahunt.stages import cutout_store
from astronomaly_ahunt.stages.cutout_store import CutoutStore, to_model_input
from astronomaly_ahunt.stages.image_folder import image_folder

sys.path.insert(0, str(Path(__file__).parent))
import scale  # noqa: E402  (the same cutouts as the scale benchmark)

SURVEY = 1_000_000


def per_cutout(dataset, sample):
    """Seconds per cutout of get_sample, of to_model_input and of the
    store's reader (a block at a time), in this process."""
    start = time.perf_counter()
    samples = [dataset.get_sample(i) for i in sample]
    read = time.perf_counter() - start
    start = time.perf_counter()
    for x in samples:
        to_model_input(x)
    convert = time.perf_counter() - start
    reader = cutout_store._Reader(dataset, greyscale=True, image_size=None, drop_nans=True)
    start = time.perf_counter()
    for k in range(0, len(sample), cutout_store.READ_BLOCK):
        reader.read_block(sample[k:k + cutout_store.READ_BLOCK])
    return read / len(sample), convert / len(sample), (time.perf_counter() - start) / len(sample)


def build_rate(dataset, directory, processes):
    """Cutouts a second of one store build, on threads or on processes."""
    shutil.rmtree(directory, ignore_errors=True)
    cutout_store.PROCESS_READ_FROM = 0 if processes else float("inf")
    start = time.perf_counter()
    store = CutoutStore.build(dataset, directory, n_workers=os.cpu_count())
    return len(store.ids) / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="/tmp/first-read")
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", default="first-read")
    parser.add_argument("--fits", action="store_true",
                        help="FITS files in linear flux with noise, read with the default stretch")
    args = parser.parse_args()
    record = run_record()  # the code as it was when the run started
    folder = Path(args.data) / f"{'fits' if args.fits else 'n'}{args.n}"
    scale.write_folder(folder, args.n, fits=args.fits)
    dataset = image_folder(str(folder), str(Path(args.data) / "out"))
    sample = list(dataset.index)[:2000]
    read, convert, store_read = per_cutout(dataset, sample)
    rates = {"threads": [], "processes": []}
    for _ in range(args.repeats):  # alternately, so that a busy moment hits both
        for mode in rates:
            rates[mode].append(build_rate(dataset, Path(args.data) / "store", mode == "processes"))
            print(mode, f"{rates[mode][-1]:.0f} cutouts/s", flush=True)
    cores = os.cpu_count()
    ceiling = cores / store_read
    result = {**record, "dataset": type(dataset).__name__, "n": args.n, "fits": args.fits,
              "cores": cores,
              "get_sample_ms": 1e3 * read, "to_model_input_ms": 1e3 * convert,
              "store_reader_ms": 1e3 * store_read,
              "ceiling_per_s": ceiling, "rates_per_s": rates}
    out = Path(__file__).parent / "results" / args.output
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(result, indent=1) + "\n")
    best = {mode: float(np.median(r)) for mode, r in rates.items()}
    kind = "FITS files (linear flux with noise, the default stretch)" if args.fits else "PNGs"
    lines = [f"# First read into the cutout store: {args.n:,} 64-px {kind}",
             "",
             f"{result['machine']}, {cores} cores; {type(dataset).__name__}; commit "
             f"{record['commit'][:7] if record['commit'] else '?'}"
             f"{' (dirty)' if record['dirty'] else ''}; {record['date']}.",
             "",
             f"One cutout in one process: get_sample {1e3 * read:.3f} ms, to_model_input "
             f"{1e3 * convert:.3f} ms; the store's reader {1e3 * store_read:.3f} ms, "
             f"so {cores} cores read at most {ceiling:,.0f} a second "
             f"({SURVEY / ceiling:,.0f} s for 10^6).",
             "",
             "| workers | cutouts/s (median; each run) | 10^6 at that rate | share of the ceiling |",
             "| --- | --- | --- | --- |"]
    for mode, r in rates.items():
        lines.append(f"| {cores} {mode} | {best[mode]:,.0f} ({', '.join(f'{v:,.0f}' for v in r)}) "
                     f"| {SURVEY / best[mode]:,.0f} s | {best[mode] / ceiling:.0%} |")
    (out / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
