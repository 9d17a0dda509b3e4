"""Astronomaly's ``PipelineStage`` and ``Dataset`` when Astronomaly is
installed, otherwise small stand-ins with the same public behaviour.

Our stages subclass whichever :data:`PipelineStage` this module exports, so
they are the same classes with or without Astronomaly: the frontend gets a
real Astronomaly stage, and a user without it still gets the kwargs
(``output_dir``, ``force_rerun``, ``save_output``, ``file_format``,
``drop_nans``), ``run``, ``run_on_dataset``, ``save``, ``load``, the
``astronomaly.log`` in ``output_dir`` and the ``<ClassName>_output`` file.
"""

import hashlib
import os
import threading
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ..engine.atomic_files import TMP_SUFFIX, atomic_replace

LOG_FILE = "astronomaly.log"
CHECKSUM_MARK = " - checksum: "


def _parquet_engine_available():
    for name in ("pyarrow", "fastparquet"):
        try:
            __import__(name)
            return True
        except ImportError:
            pass
    return False


def _signature(class_name, args, kwargs):
    parts = [str(a) for a in args] + [f"{k}={v}" for k, v in kwargs.items()]
    return f"{class_name}({', '.join(parts)})"


def _log(output_dir, message, level="INFO"):
    """Append to ``<output_dir>/astronomaly.log`` in Astronomaly's line format."""
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S,%f")[:-3]
    with open(os.path.join(output_dir, LOG_FILE), "a") as f:
        f.write(f"{stamp} - {level} - {message}\n")
    if level in ("WARNING", "ERROR"):
        print(f"{level}: {message}")


class FallbackPipelineStage:
    """Astronomaly's stage behaviour without Astronomaly.

    A stage caches its output as ``<output_dir>/<ClassName>_output`` and
    reuses it when it is called again with the same kwargs on the same
    data (``force_rerun=True`` overrides). Unlike Astronomaly, the log is
    parsed on the exact signature, so a ``-`` in a path does no harm, and
    the checksum covers the whole input, not its first row.
    """

    def __init__(self, *args, **kwargs):
        self.class_name = type(self).__name__
        self.function_call_signature = _signature(self.class_name, args, kwargs)
        self.save_output = kwargs.get("save_output", True) is not False
        self.output_dir = kwargs.get("output_dir", "./")
        self.drop_nans = kwargs.get("drop_nans", True) is not False
        self.file_format = kwargs.get("file_format", "parquet")
        if self.file_format == "parquet" and not _parquet_engine_available():
            # Astronomaly requires pyarrow; without Astronomaly it may be absent
            self.file_format = "csv"
        os.makedirs(self.output_dir, exist_ok=True)
        # the cache key leaves force_rerun out, so a forced run still refreshes the cache
        self._cache_key = _signature(self.class_name, args,
                                     {k: v for k, v in kwargs.items() if k != "force_rerun"})
        if kwargs.get("force_rerun"):
            self.args_same, self.checksum = False, ""
        else:
            self.args_same, self.checksum = self._last_call()
        self.output_file = os.path.join(self.output_dir, self.class_name + "_output")
        if self.file_format == "parquet":
            self.output_file += ".parquet"
        saved = self.output_file + (".csv" if self.file_format == "csv" else "")
        if self.args_same and os.path.exists(saved):
            self.previous_output = self.load(self.output_file)
        else:
            self.previous_output = pd.DataFrame(data=[])
        self.labels = []

    def _last_call(self):
        """(same kwargs as the last logged call of this class, its checksum)."""
        path = os.path.join(self.output_dir, LOG_FILE)
        if not os.path.exists(path):
            return False, 0
        head = f"{self.class_name}("
        with open(path) as f:
            lines = f.readlines()
        for line in reversed(lines):
            if head in line and CHECKSUM_MARK in line:
                logged, checksum = line.rstrip("\n").rsplit(CHECKSUM_MARK, 1)
                return logged[logged.index(head):] == self._cache_key, int(checksum)
        return False, 0

    def _log_call(self, checksum):
        _log(self.output_dir, f"{self._cache_key}{CHECKSUM_MARK}{checksum}")

    def hash_data(self, data):
        """A checksum of a DataFrame or array, used to recognise repeated input."""
        digest = hashlib.sha256()
        if isinstance(data, pd.DataFrame):
            digest.update(pd.util.hash_pandas_object(data).values.tobytes())
            digest.update(str(list(data.columns)).encode())
        else:
            data = np.ascontiguousarray(data)
            digest.update(f"{data.shape}{data.dtype}".encode())
            digest.update(data.tobytes())
        return int.from_bytes(digest.digest()[:7], "big")

    def run(self, data):
        """``_execute_function`` on ``data`` (NaN rows dropped when ``drop_nans``),
        saved to ``output_file``; reloaded instead when nothing changed."""
        checksum = self.hash_data(data)
        if self.args_same and checksum == self.checksum:
            _log(self.output_dir, f"Pipeline stage {self.class_name} previously called with "
                                  f"same arguments and same data. Loading from file. Use "
                                  f"'force_rerun=True' in init args to override this behavior.",
                 "WARNING")
            return self.previous_output
        self._log_call(checksum)
        print("Running", self.class_name, "...")
        start = time.time()
        output = self._execute_function(data.dropna() if self.drop_nans else data)
        self.save(output, self.output_file)
        print("Done! Time taken:", time.time() - start, "s")
        return output

    def run_on_dataset(self, dataset=None):
        """``_execute_function`` once per object of ``dataset``, as a DataFrame
        with columns ``self.labels`` indexed by the dataset's ids."""
        self._log_call(self.hash_data(dataset.get_sample(dataset.index[0])))
        print("Extracting features using", self.class_name, "...")
        start = time.time()
        new_ids, rows, warned = [], [], False
        for i in dataset.index:
            if self.args_same and i in self.previous_output.index:
                continue
            sample = np.asarray(dataset.get_sample(i), dtype=float)
            if np.all(np.isnan(sample)) or np.all(sample == sample.flat[0]):
                _log(self.output_dir, "Input sample is None, skipping sample", "WARNING")
                continue
            if self.drop_nans and np.isnan(sample).any():
                sample = np.nan_to_num(sample)
                if not warned:
                    _log(self.output_dir, "NaNs detected in some input data. NaNs will be set "
                                          "to zero.", "WARNING")
                    warned = True
            rows.append(self._execute_function(sample))
            new_ids.append(i)
        output = pd.DataFrame(data=rows, index=new_ids, columns=self.labels)
        if self.args_same and not output.index.equals(self.previous_output.index):
            output = pd.concat((self.previous_output, output))
        self.save(output, self.output_file)
        print("Done! Time taken: ", time.time() - start, "s")
        return output

    def save(self, output, filename, file_format=""):
        """Write ``output`` as parquet or csv (adding the extension) when ``save_output``."""
        file_format = file_format or self.file_format
        if not self.save_output:
            return
        output.columns = output.columns.astype("str")
        if file_format == "parquet" and not _parquet_engine_available():
            file_format = "csv"
        suffix = "." + file_format
        filename = filename if suffix in filename else filename + suffix
        if file_format == "parquet":
            output.to_parquet(filename)
        else:
            output.to_csv(filename)

    def load(self, filename, file_format=""):
        """Read back what :meth:`save` wrote (a csv without its index column, as Astronomaly)."""
        file_format = file_format or self.file_format
        suffix = "." + file_format
        filename = filename if suffix in filename else filename + suffix
        if file_format == "parquet":
            return pd.read_parquet(filename)
        return pd.read_csv(filename)

    def _execute_function(self, data):
        raise NotImplementedError


class FallbackDataset:
    """Astronomaly's ``Dataset`` base: ``files`` from ``filename``,
    ``list_of_files`` and/or ``directory``, and the call logged in ``output_dir``."""

    def __init__(self, *args, **kwargs):
        self.data_type = None
        filename = kwargs.get("filename", "")
        directory = kwargs.get("directory", "")
        list_of_files = kwargs.get("list_of_files", [])
        if filename:
            self.files = [filename]
        elif list_of_files:
            self.files = [os.path.join(directory, f) for f in list_of_files] if directory \
                else list(list_of_files)
        elif directory:
            self.files = [os.path.join(directory, f) for f in sorted(os.listdir(directory))]
        else:
            self.files = []
        self.output_dir = kwargs.get("output_dir", "./")
        Path(self.output_dir).mkdir(parents=True, exist_ok=True)
        _log(self.output_dir, _signature(type(self).__name__, args, kwargs))

    def clean_up(self):
        pass

    def get_sample(self, idx):
        raise NotImplementedError

    def get_display_data(self, idx):
        raise NotImplementedError


try:
    from astronomaly.base.base_dataset import Dataset
    from astronomaly.base.base_pipeline import PipelineStage
    ASTRONOMALY_INSTALLED = True
except ImportError:
    Dataset, PipelineStage = FallbackDataset, FallbackPipelineStage
    ASTRONOMALY_INSTALLED = False


# re-entrant: the Retrain stage holds it across writing ml_scores.csv and
# emptying the label journal, and saves inside
SAVE_LOCK = threading.RLock()


class AhuntStage(PipelineStage):
    """What every AHUNT stage adds to the stage base.

    Its output depends on the labels and the model, not on its kwargs, so a
    cached output is never read: not even at construction, where a file cut
    short by a killed server would otherwise stop the next start. And every
    file it writes (its output, and the page's ``ml_scores.csv``, which the
    page writes through the active-learning stage's ``save``) is replaced
    atomically, so a kill at any moment leaves the old file or the new one.
    """

    def __init__(self, **kwargs):
        super().__init__(**{**kwargs, "force_rerun": True})

    def hash_data(self, data):
        """0: with ``force_rerun`` no checksum is ever compared, and
        Astronomaly's own hashes every row into a frame of one column per
        object (5.7 s of a Retrain over 10^5 objects)."""
        return 0

    def save(self, output, filename, file_format=""):
        file_format = file_format or self.file_format
        suffix = "." + file_format
        final = filename if suffix in filename else filename + suffix
        # Flask answers each press on its own thread: one writer at a time,
        # each through a temporary file of its own (nothing is written when
        # save_output is off)
        with SAVE_LOCK:
            atomic_replace(final, lambda tmp: super(AhuntStage, self).save(output, str(tmp),
                                                                           file_format))


def remove_stale_temporaries(directory):
    """Remove what saves killed mid-write left in ``directory`` (their
    temporary files are never read); returns how many."""
    if not os.path.isdir(directory):
        return 0
    stale = [f for f in os.listdir(directory) if f.startswith(".") and TMP_SUFFIX in f]
    for name in stale:
        os.remove(os.path.join(directory, name))
    return len(stale)
