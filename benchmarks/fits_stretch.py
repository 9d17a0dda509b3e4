"""Which stretch should the CNN and the page see of FITS cutouts in linear
flux? Runs ``compare --suite first-fits`` (the whole 300-px FIRST fields as
FITS with noise) with every method's folder read through one stretch::

    python benchmarks/fits_stretch.py OUT STRETCH [--methods ...] [--seeds ...] [--size PX]
        [--downsample pool|stride]

STRETCH: ``linear`` (the flux min-max scaled, no transform), or
``asinh:FLOOR:SOFTENING`` / ``clip:FLOOR`` (:func:`sky_stretch` with that
noise floor and asinh softening, or linear above the floor). ``--size``
is the side the methods resize the fields to (default the suite's);
``--downsample`` sets the page's CNN (default its ``PAGE_SETTINGS``).
Writes what ``compare --suite`` writes in OUT.
"""

import argparse
import functools
import json
from dataclasses import replace
from pathlib import Path

import astronomaly_ahunt.engine.presets as presets
import astronomaly_ahunt.experiments.compare.suite as suite
import astronomaly_ahunt.experiments.compare.pipelines as peers
from astronomaly_ahunt.experiments.benchmark import run_record
from astronomaly_ahunt.stages.image_folder import image_folder
from astronomaly_ahunt.stages.stretch import sky_stretch


def stretch_of(name):
    kind, *values = name.split(":")
    if kind == "linear":
        return None
    if kind == "asinh":
        return functools.partial(sky_stretch, noise_floor=float(values[0]),
                                 softening=float(values[1]))
    if kind == "clip":
        return functools.partial(sky_stretch, noise_floor=float(values[0]), softening=None)
    raise ValueError(f"unknown stretch {name!r}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("stretch")
    parser.add_argument("--methods", nargs="+", default=["ahunt"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--splits", nargs="+")
    parser.add_argument("--size", type=int)
    parser.add_argument("--downsample", choices=["pool", "stride"])
    parser.add_argument("--data-dir", default="ahunt_output/compare_data")
    args = parser.parse_args()
    if args.downsample:
        presets.PAGE_SETTINGS = {**presets.PAGE_SETTINGS, "downsample": args.downsample}
    peers.image_folder = functools.partial(image_folder, fits_stretch=stretch_of(args.stretch))
    if args.size:
        suite.SUITES["first-fits"] = {k: replace(v, size=args.size)
                                      for k, v in suite.SUITES["first-fits"].items()}
    out = Path(args.out)
    started = run_record()  # the code as it was when the run started
    table = suite.run_suite("first-fits", args.methods, args.seeds, 5, 20, out, args.data_dir,
                            args.splits)
    size = next(iter(suite.SUITES["first-fits"].values())).size
    record = {**started, "stretch": args.stretch, "size": size,
              "downsample": args.downsample or presets.PAGE_SETTINGS.get("downsample", "pool")}
    (out / "run.json").write_text(json.dumps(record, indent=1) + "\n")
    print(suite.write_summary(table, out, f"first-fits, {args.stretch}"))


if __name__ == "__main__":
    main()
