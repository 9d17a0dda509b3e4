"""Scoring on a Dask cluster started on its own, as on a real cluster: a
``dask scheduler`` and two ``dask worker`` processes, the cutout store on a
path they share (here the same disk), and a worker killed mid-pass."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import small_hunter

# trains a CNN and starts three processes: deselect with -m "not slow"
pytestmark = pytest.mark.slow

DASK = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
WORKER = [sys.executable, "-m", "distributed.cli.dask_worker"]


@pytest.fixture
def cluster(tmp_path):
    """(scheduler address, client, {worker address: its process}), torn down after."""
    from dask.distributed import Client
    file = tmp_path / "scheduler.json"
    # one thread each for TensorFlow, as DaskScoring's own LocalCluster gives its workers
    env = {**os.environ, "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}
    procs = [subprocess.Popen(DASK + ["--scheduler-file", str(file), "--host", "127.0.0.1",
                                      "--port", "0", "--no-dashboard"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    client = None
    try:
        for _ in range(600):
            if file.exists() and file.stat().st_size:
                break
            time.sleep(0.1)
        procs += [subprocess.Popen(WORKER + ["--scheduler-file", str(file), "--nthreads", "1",
                                             "--no-nanny", "--no-dashboard",
                                             "--host", "127.0.0.1"],
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                  for _ in range(2)]
        client = Client(scheduler_file=str(file), timeout=60)
        client.wait_for_workers(2, timeout=120)
        pids = client.run(os.getpid)
        workers = {addr: next(p for p in procs[1:] if p.pid == pid) for addr, pid in pids.items()}
        yield client.scheduler.address, client, workers
    finally:
        if client is not None:
            client.close()
        for p in procs:
            p.kill()
            p.wait(timeout=30)


def test_a_separate_scheduler_scores_as_in_process_and_a_killed_worker_costs_a_retry(
        cluster, tmp_path):
    from astronomaly_ahunt.experiments.example_data import write_digits_cutouts
    from astronomaly_ahunt.stages.dask_scoring import DaskScoring
    from astronomaly_ahunt.stages.feature_extraction import AhuntFeatures
    from astronomaly_ahunt.stages.image_folder import ImageFolderDataset
    address, client, workers = cluster
    cutouts = write_digits_cutouts(tmp_path / "digits", n_anomalies=4, size=8)
    # chunks of 8: a pass is dozens of tasks, so the kill lands while some are running
    stage = AhuntFeatures(hunter=small_hunter(), n_initial=30, chunk_size=8,
                          output_dir=str(tmp_path / "out"))
    stage.run_on_dataset(ImageFolderDataset(directory=str(cutouts / "images"),
                                            output_dir=str(tmp_path / "out")))
    session = stage.session_
    latent, proba = session.latent_and_proba()

    scoring = DaskScoring(address, tmp_path / "models")
    victim = next(iter(workers))
    result = {}
    scorer = threading.Thread(target=lambda: result.update(
        zip(("latent", "proba"), scoring.latent_and_proba(session.hunter, session.images))))
    try:
        scorer.start()
        for _ in range(1200):  # the kill waits until the victim is running a task
            if client.processing().get(victim):
                break
            time.sleep(0.05)
        running = client.processing().get(victim)
        os.kill(workers[victim].pid, signal.SIGKILL)
        scorer.join(timeout=300)
    finally:
        scoring.close()
    assert running, "the victim worker never ran a task"
    assert not scorer.is_alive(), "the pass did not finish after a worker was killed"
    # every chunk came back, from the worker that survived, as in this process
    assert np.allclose(result["latent"], latent, atol=1e-5)
    assert np.allclose(result["proba"], proba, atol=1e-6)
    assert len(client.scheduler_info()["workers"]) == 1
    assert Path(tmp_path / "models").exists()


def test_the_first_read_runs_on_the_cluster_and_stores_what_a_local_read_does(
        cluster, tmp_path, monkeypatch):
    from astronomaly_ahunt.experiments.example_data import write_digits_cutouts
    from astronomaly_ahunt.stages import cutout_store
    from astronomaly_ahunt.stages.cutout_store import CutoutStore
    from astronomaly_ahunt.stages.image_folder import ImageFolderDataset
    _, client, _ = cluster
    cutouts = write_digits_cutouts(tmp_path / "digits", n_anomalies=4, size=8)
    (cutouts / "images" / "broken.png").write_bytes(b"not a png")
    dataset = ImageFolderDataset(directory=str(cutouts / "images"),
                                 output_dir=str(tmp_path / "out"))
    here = CutoutStore.build(dataset, tmp_path / "here", chunk_size=16)

    def not_here(self, index):
        raise AssertionError("a block was read in the test's process, not on a worker")

    # the workers read with their own, unpatched class
    monkeypatch.setattr(cutout_store._Reader, "read_block", not_here)
    there = CutoutStore.build(dataset, tmp_path / "there", chunk_size=16, client=client)
    prefixes = client.run_on_scheduler(
        lambda dask_scheduler: sorted(dask_scheduler.task_prefixes))
    assert "read_block_of" in prefixes  # (Dask drops the leading underscore)
    assert there.ids.equals(here.ids) and len(there.ids) == len(dataset.index) - 1
    assert list(there.skipped) == list(here.skipped) == ["broken"]
    np.testing.assert_array_equal(there.images.read(slice(None)), here.images.read(slice(None)))
