"""CPU cost of a retrain, side by side in one process (ratios are what to
read: the machines are shared and noisy).

Each configuration trains a fresh CNN on the same balanced set of 2,700
random 28x28 images (the size of a fmnist-paper retrain) and reports the
best of --repeats timings of --epochs epochs, against Keras' own ``fit``
on the paper's pooling network with batches of 32.

    python benchmarks/training_speed.py --output benchmarks/results/training-speed.md
"""

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np

from astronomaly_ahunt.experiments.benchmark import cpu_model
from astronomaly_ahunt.engine.losses import keras_loss
from astronomaly_ahunt.engine.model import AhuntNet
from astronomaly_ahunt.engine.quiet_tensorflow import keras

CONFIGS = [("fit", "pool", 32), ("loop", "pool", 32), ("fit", "stride", 32),
           ("loop", "stride", 32), ("fit", "stride", 64), ("loop", "stride", 64)]


def seconds(how, downsample, batch_size, x, y, epochs, repeats):
    rng = np.random.default_rng(0)
    net = AhuntNet.create(x.shape[1:], 3, downsample=downsample, seed=0)
    targets = np.eye(3, dtype=np.float32)[y]
    if how == "fit":  # our net trains in its own loop and is never compiled
        net.model.compile(optimizer=keras.optimizers.Adam(net.learning_rate),
                          loss=keras_loss(net.loss))

    def train():
        if how == "fit":
            for _ in range(epochs):
                order = rng.permutation(len(x))
                net.model.fit(x[order], targets[order], batch_size=batch_size, epochs=1,
                              shuffle=False, verbose=0)
        else:
            net.train(x, y, epochs, batch_size, rng)

    train()  # tracing and oneDNN's first-call set-up are not what is measured
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        train()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", default="training-speed.md")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.random((2700, 28, 28, 1), dtype=np.float32)
    y = np.repeat(np.arange(3), 900)
    rows = [(c, seconds(*c, x, y, args.epochs, args.repeats)) for c in CONFIGS]
    reference = rows[0][1]
    lines = ["# Training speed: one retrain, 2,700 images of 28x28, "
             f"{args.epochs} epochs (best of {args.repeats})", "",
             "| training | downsampling | batch | seconds | vs Keras fit, pool, 32 |",
             "| --- | --- | --- | --- | --- |"]
    for (how, downsample, batch), secs in rows:
        name = "Keras fit" if how == "fit" else "compiled epoch loop (ours)"
        lines.append(f"| {name} | {downsample} | {batch} | {secs:.2f} | "
                     f"{reference / secs:.1f}x faster |")
    lines += ["", f"Machine: {cpu_model()}, "
                  f"{os.cpu_count()} CPUs, {platform.platform()}; {time.strftime('%Y-%m-%d')}"]
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
