"""Survey scale: AHUNT's Astronomaly stages on folders of 10^4 to 10^6 cutouts.

    python benchmarks/scale.py folders --data /work/scale-data       # written once
    python benchmarks/scale.py run --data /work/scale-data --n 10000 [--workers 2]
    python benchmarks/scale.py plot

Cutouts are Fashion-MNIST items (28 px) pasted at a seeded random offset on a
64-px black canvas, written as PNG: one folder per size, reused when present.
"""

import argparse
import os
import time
from pathlib import Path

import numpy as np

SIDE = 64
SIZES = (10_000, 100_000, 1_000_000)


def write_folder(directory, n, seed=0):
    """``n`` 64-px PNG cutouts in ``directory`` and their classes in ``truth.csv``;
    nothing is written when ``truth.csv`` is there (it is written last)."""
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
    ids = [f"obj{i:07d}" for i in range(n)]
    for i in tqdm(range(n), desc=f"writing {n} cutouts", mininterval=10):
        canvas = np.zeros((SIDE, SIDE), np.uint8)
        r, c = offsets[i]
        canvas[r:r + 28, c:c + 28] = pixels[which[i]]
        Image.fromarray(canvas).save(directory / f"{ids[i]}.png", compress_level=1)
    pd.Series(items.names(items.y[which]), index=ids, name="class").to_csv(
        directory / "truth.csv")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("folders",))
    parser.add_argument("--data", default="scale-data")
    parser.add_argument("--n", type=int, nargs="*", default=list(SIZES))
    args = parser.parse_args(argv)
    if args.command == "folders":
        for n in args.n:
            write_folder(Path(args.data) / f"n{n}", n)


if __name__ == "__main__":
    main()
