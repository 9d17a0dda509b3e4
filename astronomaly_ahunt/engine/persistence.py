"""Saving a :class:`~.hunter.Hunter` to a folder and resuming it.

The model (``.keras``) and the labelled images (``.npz``) go to files named
by round, the round-0 examples to one named by a hash of their content
(written only when they change), and ``hunter.json``, which names them, is replaced
last and atomically: a crash at any moment leaves the previous round's session whole.
The round before stays on disk too, for a start that finds a file of the last
round damaged.
"""

import hashlib
import json
import warnings
from pathlib import Path

import numpy as np

from .atomic_files import atomic_replace, atomic_write, atomic_write_text
from .augmentation import Augmentation
from .model import AhuntNet
from .taxonomy import Taxonomy

STATE_FILE = "hunter.json"
# the round before the last, kept whole until the next is written
PREVIOUS_STATE_FILE = "hunter.previous.json"
# the files a state names
_FILES = ("model_file", "data_file", "initial_file")
# saved apart (the augmentation as its numbers, the interest in the
# taxonomy) or given by whoever resumes the session (the seed)
_NOT_IN_PARAMS = ("augmentation", "interest", "random_state")


def save_hunter(hunter, directory):
    """Write a fitted ``hunter`` to ``directory``, every file atomically.

    The round before stays whole beside it (``hunter.previous.json`` and its
    files), so that :func:`load_hunter` can go back to it if a file of this
    round is found damaged; older rounds' files are removed.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tag = f"r{hunter.round_:04d}-{len(hunter.labels_)}"
    model_file, data_file = f"model-{tag}.keras", f"labelled-{tag}.npz"
    atomic_replace(directory / model_file, hunter.net_.save)
    ids = list(hunter.labels_)
    images = np.stack([hunter._images[i] for i in ids]) if ids else \
        np.zeros((0,) + tuple(hunter.input_shape_), np.float32)
    atomic_write(directory / data_file, lambda f: np.savez(f, images=images))
    initial_file = _save_initial(hunter, directory)
    state = {"params": _params_for_json(hunter), "taxonomy": hunter.taxonomy_.to_dict(),
             "round": hunter.round_, "labelled_ids": ids, "initial_ids": hunter.initial_ids_,
             "labels": [hunter.labels_[i] for i in ids], "asked": hunter.asked_,
             "model_file": model_file, "data_file": data_file, "initial_file": initial_file,
             "rng_state": hunter.rng_.bit_generator.state}
    current = _read_state(directory / STATE_FILE)
    if current is not None and current["model_file"] != model_file:
        atomic_write_text(directory / PREVIOUS_STATE_FILE, json.dumps(current, indent=1))
    atomic_write_text(directory / STATE_FILE, json.dumps(state, indent=1))
    previous = _read_state(directory / PREVIOUS_STATE_FILE) or {}
    keep = {state[k] for k in _FILES} | {previous.get(k) for k in _FILES}
    for old in [*directory.glob("model-r*.keras"), *directory.glob("labelled-r*.npz"),
                *directory.glob("initial-*.npz")]:
        if old.name not in keep:
            old.unlink()


def _read_state(path):
    """The state saved at ``path``, or None when it is missing or damaged."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


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
    params["augmentation"] = [aug.rotation, aug.shift, aug.zoom, aug.fill_mode, aug.symmetric]
    return params


def load_hunter(directory, cls):
    """The ``cls`` (a Hunter class) saved in ``directory`` by :func:`save_hunter`.

    When a file of the last round is damaged (cut by a kill, say), the round
    before it is loaded instead, with a warning naming the file; a
    ``ValueError`` says what is wrong when neither can be read.
    """
    directory = Path(directory)
    problems = []
    for name in (STATE_FILE, PREVIOUS_STATE_FILE):
        if not (directory / name).exists():
            continue
        try:
            hunter = _load_state(directory, name, cls)
        except Exception as err:  # whatever a cut json, zip or .keras raises
            problems.append(f"{name}: {type(err).__name__}: {err}")
            continue
        if problems:
            warnings.warn(f"the session in {directory} goes back to round {hunter.round_}, "
                          f"the last whole one: {'; '.join(problems)}", RuntimeWarning,
                          stacklevel=2)
        return hunter
    raise ValueError(f"no saved round in {directory} can be read: "
                     + ("; ".join(problems) or f"no {STATE_FILE}"))


def _load_state(directory, name, cls):
    state = json.loads((directory / name).read_text())
    params = {"pretrain_epochs": 0, **state["params"]}  # sessions saved before it existed
    params["augmentation"] = Augmentation(*params["augmentation"])
    hunter = cls(**params)
    hunter.taxonomy_ = Taxonomy.from_dict(state["taxonomy"])
    hunter.interest = hunter.taxonomy_.interest
    hunter.net_ = _read(directory / state["model_file"],
                        lambda path: AhuntNet.load(path, hunter.loss, hunter.learning_rate,
                                                     hunter.augmentation_.symmetric))
    hunter.input_shape_ = tuple(hunter.net_.backbone.input.shape[1:])
    # sessions saved before the round-0 examples had their own file keep them with the labels
    hunter.x0_, hunter.y0_ = _read(directory / state.get("initial_file", state["data_file"]),
                                   lambda path: _arrays(path, "x0", "y0"))
    images, = _read(directory / state["data_file"], lambda path: _arrays(path, "images"))
    initial = state.get("initial_ids")
    hunter.initial_ids_ = None if initial is None else [_json_id(i) for i in initial]
    ids = [_json_id(i) for i in state["labelled_ids"]]
    hunter.labels_ = dict(zip(ids, state["labels"]))
    hunter._images = dict(zip(ids, images))
    hunter.asked_ = [_json_id(i) for i in state["asked"]]
    hunter.question_classes_, hunter._pool, hunter._pixels = [], None, None
    hunter.round_ = state["round"]
    hunter.rng_ = np.random.default_rng()
    hunter.rng_.bit_generator.state = state["rng_state"]
    return hunter


def _read(path, read):
    """``read(path)``, any failure reported as the file's damage."""
    try:
        return read(path)
    except Exception as err:
        raise ValueError(f"{path.name} cannot be read ({type(err).__name__}: "
                         f"{str(err)[:200]})") from err


def _arrays(path, *names):
    with open(path, "rb") as f, np.load(f) as data:
        return tuple(data[name] for name in names)


def _json_id(value):
    # JSON turns tuple ids into lists; ids must stay hashable
    return tuple(value) if isinstance(value, list) else value
