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
import sys
from pathlib import Path

import pandas as pd

from ...stages.page import INTERESTING_FROM
from .replay import replay
from .results import checked_output_dir, fresh_folder, progress_line

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
