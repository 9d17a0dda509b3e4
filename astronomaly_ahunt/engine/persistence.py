"""Saving a :class:`~.hunter.Hunter` to a folder and resuming it.

The model (``.keras``) and the labelled images (``.npz``) go to files named
by round, the round-0 examples to one named by a hash of their content
(written only when they change), and ``hunter.json``, which names them, is replaced
last and atomically: a crash at any moment leaves the previous round's session whole.
"""

import hashlib
import json
import os
import uuid
from pathlib import Path

import numpy as np

from .augmentation import Augmentation
from .model import AhuntNet
from .taxonomy import Taxonomy

STATE_FILE = "hunter.json"
# saved apart (the augmentation as its numbers, the interest in the
# taxonomy) or given by whoever resumes the session (the seed)
_NOT_IN_PARAMS = ("augmentation", "interest", "random_state")


def save_hunter(hunter, directory):
    """Write a fitted ``hunter`` to ``directory``; older rounds' files are removed."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tag = f"r{hunter.round_:04d}-{len(hunter.labels_)}"
    model_file, data_file = f"model-{tag}.keras", f"labelled-{tag}.npz"
    hunter.net_.save(directory / model_file)
    ids = list(hunter.labels_)
    images = np.stack([hunter._images[i] for i in ids]) if ids else \
        np.zeros((0,) + tuple(hunter.input_shape_), np.float32)
    with open(directory / data_file, "wb") as f:
        np.savez(f, images=images)
    initial_file = _save_initial(hunter, directory)
    state = {"params": _params_for_json(hunter), "taxonomy": hunter.taxonomy_.to_dict(),
             "round": hunter.round_, "labelled_ids": ids, "initial_ids": hunter.initial_ids_,
             "labels": [hunter.labels_[i] for i in ids], "asked": hunter.asked_,
             "model_file": model_file, "data_file": data_file, "initial_file": initial_file,
             "rng_state": hunter.rng_.bit_generator.state}
    atomic_write_text(directory / STATE_FILE, json.dumps(state, indent=1))
    for old in [*directory.glob("model-r*.keras"), *directory.glob("labelled-r*.npz"),
                *directory.glob("initial-*.npz")]:
        if old.name not in (model_file, data_file, initial_file):
            old.unlink()


def _save_initial(hunter, directory):
    digest = hashlib.sha256(np.ascontiguousarray(hunter.x0_).tobytes())
    digest.update(np.ascontiguousarray(hunter.y0_).tobytes())
    name = f"initial-{digest.hexdigest()[:16]}.npz"
    if not (directory / name).exists():
        atomic_write(directory / name, lambda f: np.savez(f, x0=hunter.x0_, y0=hunter.y0_))
    return name


def _params_for_json(hunter):
    if not isinstance(hunter.strategy, str):
        raise TypeError("a Hunter with a custom strategy function cannot be saved")
    params = {k: v for k, v in hunter.get_params().items() if k not in _NOT_IN_PARAMS}
    aug = hunter.augmentation_
    params["augmentation"] = [aug.rotation, aug.shift, aug.zoom, aug.fill_mode]
    return params


def load_hunter(directory, cls):
    """The ``cls`` (a Hunter class) saved in ``directory`` by :func:`save_hunter`."""
    directory = Path(directory)
    state = json.loads((directory / STATE_FILE).read_text())
    params = {"pretrain_epochs": 0, **state["params"]}  # sessions saved before it existed
    params["augmentation"] = Augmentation(*params["augmentation"])
    hunter = cls(**params)
    hunter.taxonomy_ = Taxonomy.from_dict(state["taxonomy"])
    hunter.interest = hunter.taxonomy_.interest
    hunter.net_ = AhuntNet.load(directory / state["model_file"], hunter.loss,
                                hunter.learning_rate)
    hunter.input_shape_ = tuple(hunter.net_.backbone.input.shape[1:])
    # sessions saved before the round-0 examples had their own file keep them with the labels
    with np.load(directory / state.get("initial_file", state["data_file"])) as data:
        hunter.x0_, hunter.y0_ = data["x0"], data["y0"]
    with np.load(directory / state["data_file"]) as data:
        images = data["images"]
    initial = state.get("initial_ids")
    hunter.initial_ids_ = None if initial is None else [_json_id(i) for i in initial]
    ids = [_json_id(i) for i in state["labelled_ids"]]
    hunter.labels_ = dict(zip(ids, state["labels"]))
    hunter._images = dict(zip(ids, images))
    hunter.asked_ = [_json_id(i) for i in state["asked"]]
    hunter.question_classes_, hunter._pool = [], None
    hunter.round_ = state["round"]
    hunter.rng_ = np.random.default_rng()
    hunter.rng_.bit_generator.state = state["rng_state"]
    return hunter


def _json_id(value):
    # JSON turns tuple ids into lists; ids must stay hashable
    return tuple(value) if isinstance(value, list) else value


def atomic_write(path, write, binary=True):
    """Write ``path`` through ``write(file)`` so that readers see the old or
    the new file, never a half-written one."""
    path = Path(path)
    # a name of its own, so that two writers never rename each other's file
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb" if binary else "w") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(path, text):
    atomic_write(path, lambda f: f.write(text), binary=False)
