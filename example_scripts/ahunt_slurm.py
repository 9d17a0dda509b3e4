"""AHUNT in Astronomaly over a survey's folder of cutouts, with every pass
over all objects scored by workers that SLURM starts (dask-jobqueue).

The page, the labels and the training stay in the server's process; each
Retrain's pass over all objects (the cost that grows with the survey) goes
to the workers, chunk by chunk, and a worker lost mid-pass only costs its
chunks a retry. Put OUTPUT_DIR on a filesystem the compute nodes share: the
workers read the cutout store there. Then, on the login (or an interactive)
node::

    pip install dask-jobqueue
    python astronomaly/frontend/run_server.py /path/to/example_scripts/ahunt_slurm.py

Kubernetes is the same with dask-kubernetes' ``KubeCluster`` in place of
``SLURMCluster``; a running scheduler is its address
(``scoring_cluster="tcp://host:8786"``).
"""

import os

from astronomaly_ahunt import Hunter, ahunt_pipeline, image_folder, page_settings

IMAGE_DIR = os.environ.get("AHUNT_IMAGE_DIR", "/shared/survey/cutouts")
OUTPUT_DIR = os.environ.get("AHUNT_OUTPUT_DIR", "/shared/survey/ahunt_output")
IMAGE_SIZE = (64, 64)
SEED = int(os.environ.get("AHUNT_SEED", 0))
# one SLURM job per worker, scoring one chunk at a time with TensorFlow on
# all the job's cores
CORES_PER_JOB, MEMORY_PER_JOB = 4, "8GB"
MAX_JOBS = 8
SLURM_OPTIONS = {"queue": os.environ.get("AHUNT_SLURM_QUEUE"),
                 "account": os.environ.get("AHUNT_SLURM_ACCOUNT"),
                 "walltime": "08:00:00"}

# kept at module level: the cluster must live as long as the server
cluster = None


def slurm_cluster():
    """Workers from SLURM, as many as the passes need, up to MAX_JOBS."""
    from dask_jobqueue import SLURMCluster
    threads = str(CORES_PER_JOB)
    started = SLURMCluster(
        cores=1, job_cpu=CORES_PER_JOB, processes=1, memory=MEMORY_PER_JOB,
        job_script_prologue=[f"export TF_NUM_INTRAOP_THREADS={threads}",
                             "export TF_NUM_INTEROP_THREADS=1"],
        **{k: v for k, v in SLURM_OPTIONS.items() if v is not None})
    # idle between Retrains, so jobs are released while a person labels
    started.adapt(minimum_jobs=1, maximum_jobs=MAX_JOBS)
    return started


def run_pipeline():
    global cluster
    cluster = cluster or slurm_cluster()
    dataset = image_folder(IMAGE_DIR, OUTPUT_DIR, display_image_size=256)
    return ahunt_pipeline(dataset, OUTPUT_DIR,
                          hunter=Hunter(**page_settings(len(dataset.index)),
                                        augmentation="galaxy", random_state=SEED),
                          image_size=IMAGE_SIZE, random_state=SEED,
                          scoring_cluster=cluster.scheduler_address)
