"""Does the page find more with a symmetric CNN, a consistency term on the
pool or contrastive pretraining? Runs ``compare --suite SUITE`` for AHUNT
with the page's Hunter settings changed (both its small-pool and its survey settings)::

    python benchmarks/page_variants.py OUT SUITE [--augmentation PRESET]
        [--symmetric] [--consistency W] [--pretrain OBJECTIVE] [--seeds ...] [--splits ...]

``--augmentation`` is one of the engine's presets (the page's default is
``mnist``); ``--symmetric`` makes it symmetric under quarter turns and
mirrors (``Augmentation.symmetric``: the CNN trains on turned and mirrored
images and averages its features over the 8 views); ``--consistency`` is
the Hunter's FixMatch-style term on the pool; ``--pretrain`` the
backbone's pretraining objective. Writes what ``compare --suite`` writes in
OUT, and the settings in its ``run.json``.
"""

import argparse
import json
from dataclasses import asdict, replace
from pathlib import Path

import astronomaly_ahunt.engine.presets as presets
import astronomaly_ahunt.experiments.compare.suite as suite
from astronomaly_ahunt.engine.augmentation import PRESETS
from astronomaly_ahunt.engine.model import PRETRAINING
from astronomaly_ahunt.experiments.benchmark import run_record


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("suite", choices=sorted(suite.SUITES))
    parser.add_argument("--augmentation", choices=sorted(PRESETS), default="mnist")
    parser.add_argument("--symmetric", action="store_true")
    parser.add_argument("--consistency", type=float, default=0.0)
    parser.add_argument("--pretrain", choices=PRETRAINING, default="reconstruction")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--splits", nargs="+")
    parser.add_argument("--data-dir", default="ahunt_output/compare_data")
    args = parser.parse_args()
    augmentation = PRESETS[args.augmentation]
    if args.symmetric:
        augmentation = replace(augmentation, symmetric=True)
    changes = {"augmentation": augmentation, "consistency": args.consistency,
               "pretrain": args.pretrain}
    # changed in place: the stages read these dicts when they build a Hunter
    presets.PAGE_SETTINGS.update(changes)
    presets.SURVEY_SETTINGS.update(changes)
    out = Path(args.out)
    started = run_record()  # the code as it was when the run started
    table = suite.run_suite(args.suite, ["ahunt"], args.seeds, 5, 20, out, args.data_dir,
                            args.splits)
    settings = {**changes, "augmentation": asdict(augmentation)}
    (out / "run.json").write_text(json.dumps({**started, "settings": settings}, indent=1) + "\n")
    print(suite.write_summary(table, out, f"{args.suite}, page settings {settings}"))


if __name__ == "__main__":
    main()
