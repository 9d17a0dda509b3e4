"""Scoring the cutout store on a ``dask.distributed`` cluster.

Each round the session's model is saved once to a ``.keras`` file named by
a hash of its weights; every worker loads it once (cached by path) and
scores whole chunks of the store, which it reads from disk itself (on a
real cluster the store must sit on a filesystem the workers share). Only
latent features and probabilities travel back. Dask is an optional extra
(``pip install astronomaly_ahunt[dask]``); nothing imports this module
unless a stage is given a cluster.
"""

import functools
import hashlib
import os
from pathlib import Path

import numpy as np

from ..engine.model import AhuntNet

MODEL_DIR = "scoring_models"


class DaskScoring:
    """Latent features and probabilities of every stored cutout, on Dask.

    Parameters
    ----------
    cluster : str or int
        A scheduler address (``'tcp://host:8786'``), or a number of workers
        for a ``LocalCluster`` of processes started here, each with an equal
        share of this machine's cores for TensorFlow (as for any process
        pool, a script that starts one must do so under
        ``if __name__ == "__main__":``, since each worker imports it again).
    model_dir : path
        Where each round's model is written for the workers.
    """

    def __init__(self, cluster, model_dir):
        from dask.distributed import Client, LocalCluster
        if isinstance(cluster, (int, np.integer)):
            threads = max(1, (os.cpu_count() or 1) // int(cluster))
            # without these a worker's TensorFlow takes every core of the
            # machine, and N workers fight over them
            env = {"TF_NUM_INTRAOP_THREADS": str(threads), "TF_NUM_INTEROP_THREADS": "1"}
            self.cluster = LocalCluster(n_workers=int(cluster), threads_per_worker=1,
                                        processes=True, env=env, dashboard_address=None)
            self.client = Client(self.cluster)
        else:
            self.cluster, self.client = None, Client(cluster)
        self.model_dir = Path(model_dir)

    def latent_and_proba(self, hunter, images):
        """(latent, proba) of every row of ``images`` (a :class:`StoredImages`)."""
        if not hasattr(images, "path"):
            raise ValueError("Dask scoring reads the cutout store; these images are in memory")
        model = self._saved_model(hunter.net_)
        bounds = [(start, min(start + images.chunk_size, len(images)))
                  for start in range(0, len(images), images.chunk_size)]
        futures = [self.client.submit(score_rows, str(model), hunter.loss, hunter.learning_rate,
                                      images.path, start, stop, hunter.net_.symmetric,
                                      pure=False)
                   for start, stop in bounds]
        parts = self.client.gather(futures)
        return (np.concatenate([latent for latent, _ in parts]),
                np.concatenate([proba for _, proba in parts]))

    def _saved_model(self, net):
        digest = hashlib.sha256()
        for weights in net.model.get_weights():
            digest.update(np.ascontiguousarray(weights).tobytes())
        path = self.model_dir / f"model-{digest.hexdigest()[:16]}.keras"
        if not path.exists():
            self.model_dir.mkdir(parents=True, exist_ok=True)
            net.save(path)
            for old in self.model_dir.glob("model-*.keras"):
                if old != path:
                    old.unlink()
        return path

    def close(self):
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


@functools.lru_cache(maxsize=2)
def _net(path, loss, learning_rate, symmetric):
    return AhuntNet.load(path, loss, learning_rate, symmetric)


def score_rows(model_path, loss, learning_rate, store_path, start, stop, symmetric=False):
    """On a worker: (latent, proba) of the store's rows ``start:stop``, averaged
    over the images' turns and mirrors when ``symmetric`` (the Hunter's)."""
    from .cutout_store import StoredImages
    return _net(model_path, loss, learning_rate, symmetric).predict(
        StoredImages(store_path).read(slice(start, stop)))
