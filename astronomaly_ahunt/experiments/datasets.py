"""Labelled image sets the simulator draws its rounds from.

Nothing here downloads: the digits ship with scikit-learn, Fashion-MNIST
comes from Debian's ``dataset-fashion-mnist`` package or a folder the user
names, the FIRST radio galaxies from the zip the PyPI package
``firstgalaxydata`` ships (read directly: the package's own class would
import PyTorch and fetch from Zenodo), MNIST / CIFAR-10 from a local
``.npz`` in Keras' layout and Galaxy10 DECaLS from its local ``.h5``.
"""

import gzip
import importlib.util
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                         "Shirt", "Sneaker", "Bag", "Ankle boot")
FIRST_CLASSES = ("FRI", "FRII", "Compact", "Bent")
# the side of the published FIRST cutouts, in pixels
FIRST_SIZE = 300
GALAXY10_CLASSES = ("Disturbed", "Merging", "Round Smooth", "In-between Round Smooth",
                    "Cigar Shaped Smooth", "Barred Spiral", "Unbarred Tight Spiral",
                    "Unbarred Loose Spiral", "Edge-on without Bulge", "Edge-on with Bulge")
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                   "ship", "truck")


@dataclass
class LabelledImages:
    """Images (n, h, w, c) scaled to [0, 1], integer labels, and class names."""

    x: np.ndarray
    y: np.ndarray
    class_names: tuple

    def __post_init__(self):
        if self.x.ndim == 3:
            self.x = self.x[..., np.newaxis]
        self.x = self.x.astype(np.float32, copy=False)
        self.y = np.asarray(self.y).astype(int).ravel()
        if len(self.x) != len(self.y):
            raise ValueError(f"{len(self.x)} images but {len(self.y)} labels")

    def names(self, labels):
        """Class names of integer ``labels``."""
        return np.array(self.class_names)[np.asarray(labels, dtype=int)]

    def label_of(self, name_or_label):
        """The integer label of a class given by name or by number."""
        if isinstance(name_or_label, str) and name_or_label in self.class_names:
            return self.class_names.index(name_or_label)
        try:
            label = int(name_or_label)
        except (TypeError, ValueError):
            label = -1
        if not 0 <= label < len(self.class_names):
            raise ValueError(f"{name_or_label!r} is not a class of this dataset; give a name "
                             f"({', '.join(self.class_names)}) or a number 0-"
                             f"{len(self.class_names) - 1}")
        return label


def load_digits_images():
    """scikit-learn's 1,797 8x8 digits, shipped with the package."""
    from sklearn.datasets import load_digits
    digits = load_digits()
    return LabelledImages(digits.images / 16.0, digits.target, tuple(str(d) for d in range(10)))


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_fashion_mnist(directory=None):
    """Fashion-MNIST, train and test pooled (70,000 images, 7,000 per class).

    Reads the four ``*-ubyte.gz`` files from ``directory``, else from
    ``$FASHION_MNIST_DIR``, else from Debian's ``dataset-fashion-mnist``.
    """
    directory = Path(directory or os.environ.get("FASHION_MNIST_DIR") or FASHION_MNIST_DIR)
    files = [directory / f"{part}-{kind}-idx{n}-ubyte.gz"
             for part in ("train", "t10k") for kind, n in (("images", 3), ("labels", 1))]
    missing = [f.name for f in files if not f.exists()]
    if missing:
        raise FileNotFoundError(
            f"Fashion-MNIST not found in {directory} (missing {', '.join(missing)}). Either "
            f"install Debian's package (apt-get install dataset-fashion-mnist, which puts the "
            f"files in {FASHION_MNIST_DIR}) or name the folder holding the four *-ubyte.gz "
            f"files: FASHION_MNIST_DIR=DIR for every command (simulate and benchmark also "
            f"take --data DIR)")
    x = np.concatenate([_read_idx(files[0]), _read_idx(files[2])]) / 255.0
    y = np.concatenate([_read_idx(files[1]), _read_idx(files[3])])
    return LabelledImages(x, y, FASHION_MNIST_CLASSES)


def load_npz(path, class_names=None):
    """A Keras-layout ``.npz`` (``x_train``, ``y_train``, ``x_test``, ``y_test``,
    train and test pooled) or one with ``x`` and ``y``; pixels in 0-255 are
    scaled to [0, 1]. This reads ``mnist.npz`` and a saved CIFAR-10 alike."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no file {path}; give the path of a .npz holding "
                                f"x_train/y_train/x_test/y_test or x/y")
    with np.load(path) as data:
        if "x" in data and "y" in data:
            x, y = data["x"], data["y"]
        elif "x_train" in data and "y_train" in data:
            x = np.concatenate([data["x_train"], data.get("x_test", data["x_train"][:0])])
            y = np.concatenate([data["y_train"], data.get("y_test", data["y_train"][:0])])
        else:
            raise ValueError(f"{path} has arrays {', '.join(data.files)}; expected images and "
                             f"labels as x_train, y_train (and x_test, y_test) or as x, y")
    if x.ndim not in (3, 4) or (x.ndim == 4 and x.shape[-1] not in (1, 3, 4)) \
            or min(x.shape[1:3]) < 8:
        raise ValueError(f"{path}: images of shape {x.shape}, expected (n, height, width) or "
                         f"(n, height, width, channels), at least 8x8 px with 1, 3 or 4 "
                         f"channels last; reshape flattened images, move channels last with "
                         f"np.moveaxis(x, 1, -1)")
    if len(x) != len(np.ravel(y)):
        raise ValueError(f"{path}: {len(x)} images but {len(np.ravel(y))} labels; give one "
                         f"label per image")
    x = x.astype(np.float32)
    if x.max() > 1.0:
        x /= 255.0
    y = np.asarray(y).ravel()
    if class_names is None:
        class_names = tuple(str(c) for c in range(int(y.max()) + 1))
    return LabelledImages(x, y, tuple(class_names))


def resize(x, size):
    """Images (n, h, w) or (n, h, w, c) in [0, 1] resized to ``size`` x ``size``
    by area averaging (PIL's box filter), channels kept."""
    from PIL import Image
    x = np.asarray(x, dtype=np.float32)
    if x.shape[1:3] == (size, size):
        return x
    squeeze = x.ndim == 3
    x = x[..., np.newaxis] if squeeze else x
    out = np.stack([np.stack([np.asarray(Image.fromarray(img[..., c]).resize((size, size),
                                                                          Image.BOX))
                              for c in range(x.shape[-1])], axis=-1) for img in x])
    return out[..., 0] if squeeze else out


def load_first(path=None, size=64, crop=None):
    """The FIRST radio galaxies of Griese et al. (2023): 2,158 images, FRI 495,
    FRII 924, Compact 391, Bent 348, all splits pooled, resized to ``size`` px.

    The images are 300 px with the source at the centre, most of it within
    the central 100 px: at 64 px a compact source is a dot of 2-3 pixels.
    ``crop`` keeps the central ``crop`` px before resizing (``crop=100``
    shows a compact source as a dot and an FRI as its jets).

    Reads ``galaxy_data_h5.h5`` from ``path`` (that file, or a zip holding
    it), by default from the zip inside the installed ``firstgalaxydata``
    package (``pip install --no-deps firstgalaxydata``; its images are licensed for
    non-commercial scholarly use only).
    """
    import h5py
    if path is None:
        spec = importlib.util.find_spec("firstgalaxydata")
        if spec is None:
            raise FileNotFoundError(
                "the FIRST radio galaxies come with the PyPI package firstgalaxydata (images "
                "for non-commercial scholarly use only): pip install --no-deps firstgalaxydata "
                "(its zip of images is all this needs; without --no-deps pip also installs "
                "PyTorch), or pass --data PATH to galaxy_data_h5.h5 or its zip")
        path = Path(spec.origin).parent / "galaxy_data_h5.zip"
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no file {path}; give galaxy_data_h5.h5 or a zip holding it")
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            source = io.BytesIO(archive.read("galaxy_data_h5.h5"))
    else:
        source = path
    with h5py.File(source, "r") as f:
        keys = sorted(f.keys(), key=lambda k: int(k.rsplit("_", 1)[-1]))
        x = np.stack([np.asarray(f[k]["Img"]) for k in keys]) / 255.0
        y = np.array([int(np.asarray(f[k]["Label_literature"])) for k in keys])
    if crop is not None:
        if not 0 < crop <= min(x.shape[1:3]):
            raise ValueError(f"crop={crop}: must be between 1 and the images' {x.shape[1]} px")
        top, left = (x.shape[1] - crop) // 2, (x.shape[2] - crop) // 2
        x = x[:, top:top + crop, left:left + crop]
    return LabelledImages(resize(x, size), y, FIRST_CLASSES)


def load_galaxy10(path, size=64):
    """Galaxy10 DECaLS from its local ``Galaxy10_DECals.h5`` (``images``,
    ``ans``), resized to ``size`` px; nothing is downloaded."""
    import h5py
    path = Path(path) if path is not None else None
    if path is None or not path.exists():
        raise FileNotFoundError(f"the desi-paper protocol needs a local Galaxy10_DECals.h5: "
                                f"pass --data PATH.h5 (got {path}); nothing is downloaded")
    with h5py.File(path, "r") as f:
        x, y = np.asarray(f["images"]), np.asarray(f["ans"])
    return LabelledImages(resize(x / 255.0, size), y, GALAXY10_CLASSES)


def load_dataset(name, path=None, image_size=None, crop=None):
    """A dataset by name: 'digits', 'fashion-mnist' (path optional),
    'first' (path optional), 'mnist' or 'cifar10' (a local .npz) or
    'galaxy10' (a local .h5); ``image_size`` resizes FIRST and Galaxy10,
    after ``crop`` has kept FIRST's central pixels (see :func:`load_first`)."""
    if name == "digits":
        if path is not None:
            raise ValueError(f"the digits ship with scikit-learn, so this protocol takes no "
                             f"--data (got {path}); drop --data, or give your own images to a "
                             f"protocol JSON whose dataset is \"mnist\" (an .npz)")
        return load_digits_images()
    if name == "fashion-mnist":
        return load_fashion_mnist(path)
    if name == "first":
        return load_first(path, image_size or 64, crop)
    if name == "galaxy10":
        return load_galaxy10(path, image_size or 64)
    if name in ("mnist", "cifar10"):
        if path is None:
            raise FileNotFoundError(f"the {name} protocol needs a local copy of {name}: pass "
                                    f"--data PATH.npz (Keras layout: x_train, y_train, x_test, "
                                    f"y_test); nothing is downloaded")
        return load_npz(path, CIFAR10_CLASSES if name == "cifar10" else None)
    raise ValueError(f"unknown dataset {name!r}; known: digits, fashion-mnist, first, mnist, "
                     f"cifar10, galaxy10")
