"""Any data set of ``astronomaly-ahunt compare --data`` with any of its
methods, served on Astronomaly's page: to label it yourself, or to repeat
the comparison through the real server (``benchmarks/compare_http.py``)::

    AHUNT_COMPARE_DATA=first-bent AHUNT_COMPARE_METHOD=aadforest AHUNT_SEED=0 \\
        python astronomaly/frontend/run_server.py /path/to/example_scripts/compare_method.py

AHUNT_COMPARE_DATA: digits, digits32, fmnist, first-compact, first-bent
(default digits); AHUNT_COMPARE_METHOD: ahunt, static, aadforest, random
(default ahunt); AHUNT_COMPARE_CROP (FIRST only, as ``compare --crop``)
zooms on the central PX before resizing; AHUNT_SEED (default 0) draws the
data set and seeds the method, as ``compare --seeds`` does;
AHUNT_COMPARE_SPLIT names a split of ``compare --suite`` instead (e.g.
digit_rare_8: the 8s among the other digits), with its own data set;
AHUNT_COMPARE_DATA_DIR is where the data sets are written (the same
default as ``compare --data-dir``) and AHUNT_OUTPUT_DIR the method's
folder, whose path must hold no '-'. The
truth (0 normal, 5 rare) is in the data set's ``truth.csv``: press 5 for
what you would like more of.
"""

import os
from pathlib import Path

from astronomaly_ahunt.experiments.compare.data import split_of, write_compare_data
from astronomaly_ahunt.experiments.compare.suite import split_named
from astronomaly_ahunt.experiments.compare.pipelines import PIPELINES, check_pipelines

SPLIT = os.environ.get("AHUNT_COMPARE_SPLIT")
DATA = SPLIT or os.environ.get("AHUNT_COMPARE_DATA", "digits")
METHOD = os.environ.get("AHUNT_COMPARE_METHOD", "ahunt")
SEED = int(os.environ.get("AHUNT_SEED", 0))
CROP = int(os.environ["AHUNT_COMPARE_CROP"]) if os.environ.get("AHUNT_COMPARE_CROP") else None
HERE = Path(__file__).resolve().parent.parent / "ahunt_output"
DATA_DIR = os.environ.get("AHUNT_COMPARE_DATA_DIR", str(HERE / "compare_data"))
SERVED = f"serve_{DATA}{CROP or ''}_{METHOD}_seed{SEED}".replace("-", "_")
OUTPUT_DIR = os.environ.get("AHUNT_OUTPUT_DIR", str(HERE / SERVED))


def run_pipeline():
    check_pipelines([METHOD])
    split = split_named(SPLIT) if SPLIT else split_of(DATA, crop=CROP)
    data = write_compare_data(DATA_DIR, DATA, SEED, split)
    return PIPELINES[METHOD](str(data), OUTPUT_DIR, SEED, split.size)
