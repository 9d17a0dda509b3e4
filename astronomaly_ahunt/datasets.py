"""Labelled image sets the simulator draws its rounds from.

Nothing here downloads: the digits ship with scikit-learn, Fashion-MNIST
comes from Debian's ``dataset-fashion-mnist`` package or a folder the user
names, and MNIST / CIFAR-10 from a local ``.npz`` in Keras' layout.
"""

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                         "Shirt", "Sneaker", "Bag", "Ankle boot")
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
        label = int(name_or_label)
        if not 0 <= label < len(self.class_names):
            raise ValueError(f"class {name_or_label!r} is not one of {self.class_names}")
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
            f"files in {FASHION_MNIST_DIR}) or pass the folder holding the four *-ubyte.gz "
            f"files (--data DIR, or FASHION_MNIST_DIR=DIR)")
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
        if "x" in data:
            x, y = data["x"], data["y"]
        elif "x_train" in data:
            x = np.concatenate([data["x_train"], data.get("x_test", data["x_train"][:0])])
            y = np.concatenate([data["y_train"], data.get("y_test", data["y_train"][:0])])
        else:
            raise ValueError(f"{path} has arrays {list(data)}; expected x_train/y_train "
                             f"(and x_test/y_test) or x/y")
    x = x.astype(np.float32)
    if x.max() > 1.0:
        x /= 255.0
    y = np.asarray(y).ravel()
    if class_names is None:
        class_names = tuple(str(c) for c in range(int(y.max()) + 1))
    return LabelledImages(x, y, tuple(class_names))


def load_dataset(name, path=None):
    """A dataset by name: 'digits', 'fashion-mnist' (path optional), 'mnist'
    or 'cifar10' (path to a local .npz required)."""
    if name == "digits":
        return load_digits_images()
    if name == "fashion-mnist":
        return load_fashion_mnist(path)
    if name in ("mnist", "cifar10"):
        if path is None:
            raise FileNotFoundError(f"the {name} protocol needs a local copy of {name}: pass "
                                    f"--data PATH.npz (Keras layout: x_train, y_train, x_test, "
                                    f"y_test); nothing is downloaded")
        return load_npz(path, CIFAR10_CLASSES if name == "cifar10" else None)
    raise ValueError(f"unknown dataset {name!r}; known: digits, fashion-mnist, mnist, cifar10")
