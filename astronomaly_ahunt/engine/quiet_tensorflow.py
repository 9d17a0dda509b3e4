"""TensorFlow and Keras, imported without TensorFlow's start-up log.

TensorFlow 2.21 writes its C++ log (oneDNN, "Could not find cuda drivers",
"failed call to cuInit: ... CUDA error" on a machine without a GPU) to
standard error before ``TF_CPP_MIN_LOG_LEVEL`` takes effect, so a user who
runs a CPU benchmark reads what looks like a failure. Unless the user has
set ``TF_CPP_MIN_LOG_LEVEL`` themselves (then they asked for TensorFlow's
log, and get it), standard error is silenced at the file-descriptor level
while TensorFlow loads and looks for devices, and restored before anything
of ours runs (Python exceptions raised meanwhile still reach the user), and
TensorFlow's Python logger shows errors only.

On x86 TensorFlow also gets its oneDNN kernels unless the user has set
``TF_ENABLE_ONEDNN_OPTS``: TensorFlow turns them on by itself only on CPUs
with VNNI or AMX (AVX-512 VNNI, AVX-VNNI), and without them convolutions
run in Eigen code built for plain AVX (no FMA), several times slower on an
AVX2 CPU (``benchmarks/scoring_speed.py`` measures both).
"""

import contextlib
import os
import platform

LOG_LEVEL_VARIABLE = "TF_CPP_MIN_LOG_LEVEL"


@contextlib.contextmanager
def _stderr_silenced():
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


# set with ours, so that a child process (a Dask worker) inheriting our level
# does not take it for the user's choice
OURS_VARIABLE = "ASTRONOMALY_AHUNT_SET_TF_LOG_LEVEL"
_user_chose = LOG_LEVEL_VARIABLE in os.environ and OURS_VARIABLE not in os.environ
if not _user_chose:
    # errors only for what TensorFlow logs once it is loaded (honoured from then on)
    os.environ[LOG_LEVEL_VARIABLE] = "2"
    os.environ[OURS_VARIABLE] = "1"

ONEDNN_VARIABLE = "TF_ENABLE_ONEDNN_OPTS"
if platform.machine().lower() in ("x86_64", "amd64"):
    # TensorFlow reads it once, as it is imported
    os.environ.setdefault(ONEDNN_VARIABLE, "1")

with contextlib.nullcontext() if _user_chose else _stderr_silenced():
    import tensorflow as tf
    import keras
    tf.config.list_physical_devices()  # cuInit logs here, not at import
    # oneDNN logs, as an error, once at the first half-precision tensor that
    # it leaves float16 to Eigen below AVX-512: the cutout store's pixels are
    # float16, and the user would read a failure into it
    tf.zeros(1, dtype=tf.float16)
if not _user_chose:
    # TensorFlow's Python log warns of retracing whenever a benchmark builds several CNNs
    tf.get_logger().setLevel("ERROR")

__all__ = ["keras", "tf"]
