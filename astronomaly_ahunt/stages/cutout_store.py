"""The cutout store: every readable cutout of a Dataset, model-ready, in a
chunked zarr array in ``output_dir``.

A survey's cutouts do not fit in memory as float32 (a million 64-px ones are
16 GB), and reading them one ``get_sample`` at a time takes minutes. So they
are read once, in parallel (threads for a few thousand, forked processes for
a survey), and written chunk by chunk as float16: half the bytes of float32, and unlike
uint8 it keeps the faint end of a cutout with a bright source (a galaxy at
1/1000 of a star's peak would be 0 in uint8 after min-max scaling). A
restart with an unchanged Dataset opens the store instead of reading again.
Memory is bounded by a chunk, not by the number of objects.
"""

import contextlib
import functools
import hashlib
import json
import multiprocessing
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from ..engine.atomic_files import atomic_write_text
from .image_folder import plain_png_names, read_plain_png

STORE_DIR = "ahunt_cutouts"
# cutouts larger than this (a whole survey field) are shrunk to it for the CNN
# unless an image_size is given: smaller, a compact source in a whole FIRST
# field falls under a pixel (benchmarks/results/compare/suite/first-fits*)
MAX_INPUT_SIDE = 128
CHUNK_SIZE = 4096
# a store of no more bytes than this is decoded once and kept in memory: a
# small pool's Retrain reads it twice, and each read decoded a whole chunk,
# padded to CHUNK_SIZE rows (128 MB of 128-px cutouts for a pool of 500)
KEEP_DECODED_BYTES = 128 * 2**20
# cutouts a worker reads per task: small enough that a chunk keeps every
# worker busy, large enough that a task's overhead is nothing beside its reads
READ_BLOCK = 256
# zstd at level 1 compresses a chunk in half the time of the default level 3,
# to 2 % more bytes; reading costs the same
ZSTD_LEVEL = 1
# from this many cutouts the first read decodes in processes, not threads:
# decoding holds the GIL for most of a cutout's read (benchmarks/first_read.py)
PROCESS_READ_FROM = 20_000
_STATE = "store.json"


def to_model_input(sample, greyscale=True, image_size=None, dtype=np.float32):
    """One cutout as ``dtype`` (h, w, c) scaled to [0, 1], computed in float32.

    A multi-band FITS cube comes bands first (NAXIS3, NAXIS2, NAXIS1): any
    cutout whose first axis is shorter than both others is taken for one,
    and its bands become channels, averaged into one when ``greyscale``.
    RGB(A) becomes one grey channel when ``greyscale`` (a PNG read by
    Astronomaly is RGB even when grey); ``image_size`` (h, w) resizes
    (antialiased, so every input pixel counts).
    NaNs are left for the caller to report.
    """
    x = np.asarray(sample)
    if x.dtype == np.uint8 and (image_size is None or tuple(x.shape[:2]) == tuple(image_size)):
        return _uint8_model_input(x, greyscale, dtype)
    x = x.astype(np.float32, copy=False)
    if x.ndim == 2:
        x = x[..., np.newaxis]
    if x.ndim != 3:
        raise ValueError(f"a cutout must be 2-d or 3-d (h, w, channels); got shape {x.shape}")
    if x.shape[0] < min(x.shape[1:]):
        x = np.moveaxis(x, 0, -1)
        if greyscale:
            x = x.mean(axis=-1, keepdims=True)
    elif greyscale and x.shape[-1] in (3, 4):
        # equal to mean(axis=-1), which is 30 times slower over an axis of 3:
        # this function runs once per object of a survey
        x = ((x[..., 0] + x[..., 1] + x[..., 2]) / 3)[..., np.newaxis]
    if image_size is not None and tuple(x.shape[:2]) != tuple(image_size):
        from PIL import Image
        # antialiased: plain bilinear shrinking samples a few input pixels per
        # output pixel, and a compact source between them vanishes. Pillow's
        # bilinear widens its kernel as it shrinks (tf.image.resize with
        # antialias=True to 1e-6), 3-10 times faster, and without TensorFlow,
        # which a forked reader must not touch (its thread pools stay behind)
        size = (int(image_size[1]), int(image_size[0]))
        x = np.stack([np.asarray(Image.fromarray(np.ascontiguousarray(x[..., c], np.float32))
                                 .resize(size, Image.BILINEAR)) for c in range(x.shape[-1])],
                     axis=-1)
    low, high = x.min(), x.max()
    if np.isnan(low) or np.isnan(high):
        low, high = np.nanmin(x), np.nanmax(x)
    return ((x - low) / (high - low) if high > low else np.zeros_like(x)).astype(dtype, copy=False)


def _uint8_model_input(x, greyscale, dtype):
    """:func:`to_model_input` of 8-bit pixels (a PNG's), to the bit: the
    float32 arithmetic is done once per grey level and looked up, since a
    survey's first read converts 10^6 cutouts and NumPy's float16 cast alone
    cost it a tenth of the time."""
    if x.ndim == 2:
        x = x[..., np.newaxis]
    if x.ndim != 3 or x.shape[0] < min(x.shape[1:]):  # not an image, or a cube bands first
        return to_model_input(x.astype(np.float32), greyscale, dtype=dtype)
    levels = np.arange(256, dtype=np.float32)
    if greyscale and x.shape[-1] in (3, 4):
        # (r + g + b) / 3 is exact in float32 for the sum's 766 integer values
        x = x[..., :3].sum(axis=-1, dtype=np.uint16)[..., np.newaxis]
        levels = np.arange(766, dtype=np.float32) / 3
    low, high = levels[x.min()], levels[x.max()]
    table = (levels - low) / (high - low) if high > low else np.zeros_like(levels)
    return table.astype(dtype)[x]


def default_input_size(sample):
    """The (h, w) the CNN sees ``sample``'s cutouts at when no size is given:
    None (as they are) up to ``MAX_INPUT_SIDE`` px a side, else shrunk to fit
    it with their aspect kept. A FITS cube comes bands first."""
    shape = np.shape(sample)
    h, w = shape[1:3] if len(shape) == 3 and shape[0] < min(shape[1:]) else shape[:2]
    scale = MAX_INPUT_SIDE / max(h, w)
    return None if scale >= 1 else (max(1, round(h * scale)), max(1, round(w * scale)))


def fingerprint(dataset, **settings):
    """A hash of what the store's pixels depend on, cheap for a million files:
    ids, each file's size and modification time, the reading ``settings`` and
    the names of the Dataset's transform functions. None when the Dataset
    names no files, since then nothing cheap tells whether its pixels changed."""
    files = list(getattr(dataset, "files", None) or [])
    if not files:
        return None
    digest = hashlib.sha256()
    transforms = getattr(dataset, "transform_function", None) or []
    if callable(transforms):
        transforms = [transforms]
    described = [type(dataset).__name__, sorted(settings.items()),
                 [_described(f) for f in transforms]]
    digest.update(json.dumps(described, default=str).encode())
    digest.update("\0".join(np.asarray(dataset.index).astype(str)).encode())
    digest.update("\0".join(map(str, files)).encode())
    stats = [os.stat(f) for f in files]
    digest.update(np.array([(s.st_size, s.st_mtime_ns) for s in stats], np.int64).tobytes())
    return digest.hexdigest()


def _described(function):
    """A transform function by name (and, for a ``functools.partial``, its
    arguments): the same in every process, unlike its repr's address."""
    if isinstance(function, functools.partial):
        return [_described(function.func), list(function.args), sorted(function.keywords.items())]
    return getattr(function, "__qualname__", repr(function))


class StoredImages:
    """The store's array as the session indexes it: ``images[positions]`` and
    ``images[start:stop]`` give float32 (n, h, w, c), read from disk;
    :meth:`read` gives the stored float16, for the model to cast (TensorFlow
    casts a chunk about 4 times faster than NumPy)."""

    def __init__(self, path):
        import zarr
        self.path = str(path)
        self.array = zarr.open_array(self.path, mode="r")
        self.chunk_size = self.array.chunks[0]
        self._chunk_file = _plain_chunk_files(self.array)
        self._kept = None  # every row, decoded, for a small store

    @property
    def shape(self):
        return self.array.shape

    def __len__(self):
        return self.array.shape[0]

    def __getitem__(self, where):
        return self.read(where, np.float32)

    def read(self, where, dtype=np.float16, out=None):
        """The rows ``where`` (a slice or positions) as ``dtype``; float16 rows
        go into ``out`` when it is given (a float16 array at least as long),
        and a view of it is returned.

        zarr decodes each chunk into memory it has just allocated, and on
        some machines touching a chunk's fresh pages costs more than the
        decoding (README, Scale). So a store as :meth:`CutoutStore.build`
        writes it (plain chunks, zstd) is decoded by zarr's own codec
        library into one buffer per call, or straight into ``out`` for a
        whole chunk, and a pass that hands in the same two buffers turn by
        turn allocates nothing. A store of at most ``KEEP_DECODED_BYTES`` is
        decoded once, on the first read, and kept."""
        if self._chunk_file is None:
            x = np.asarray(self.array[where if isinstance(where, slice) else
                                      np.asarray(where, dtype=np.int64)], dtype=dtype)
        else:
            rows = np.arange(*where.indices(len(self))) if isinstance(where, slice) else \
                np.asarray(where, dtype=np.int64)
            if len(rows) and (rows.min() < 0 or rows.max() >= len(self)):
                raise IndexError(f"rows outside the store's {len(self)} cutouts")
            x = self._decoded(rows, out if dtype == np.float16 else None)
        if out is not None and x.dtype == np.float16 and not np.shares_memory(x, out):
            out[:len(x)] = x
            x = out[:len(x)]
        return x if x.dtype == dtype else x.astype(dtype)

    def _decoded(self, rows, out=None):
        if self._kept is None and len(self) * np.prod(self.shape[1:]) * 2 <= KEEP_DECODED_BYTES:
            self._kept = self._decode_rows(np.arange(len(self)))
        if self._kept is None:
            return self._decode_rows(rows, out)
        out = np.empty((len(rows),) + self.shape[1:], np.float16) if out is None \
            else out[:len(rows)]
        return np.take(self._kept, rows, axis=0, out=out)

    def _decode_rows(self, rows, out=None):
        size, shape = self.chunk_size, self.shape[1:]
        out = np.empty((len(rows),) + shape, np.float16) if out is None else out[:len(rows)]
        chunk_of = rows // size
        whole = len(rows) == size and rows[0] % size == 0 and len(self) - rows[0] >= size \
            and np.array_equal(rows, np.arange(rows[0], rows[0] + size))
        if whole:  # one chunk's rows in order: decoded in place
            self._decode_chunk(int(chunk_of[0]), out)
            return out
        scratch = np.empty((size,) + shape, np.float16)
        order = np.argsort(chunk_of, kind="stable")
        chunks, starts = np.unique(chunk_of[order], return_index=True)
        for chunk, begin, end in zip(chunks, starts, [*starts[1:], len(order)]):
            self._decode_chunk(int(chunk), scratch)
            at = order[begin:end]
            out[at] = scratch[rows[at] - chunk * size]
        return out

    def _decode_chunk(self, chunk, out):
        import numcodecs
        path = self._chunk_file(chunk)
        if not os.path.exists(path):  # a chunk of zeros only is never written
            out[...] = 0
            return
        with open(path, "rb") as f:
            numcodecs.Zstd().decode(f.read(), out=out)


def _plain_chunk_files(array):
    """``chunk -> file`` of a local float16 array chunked along its first
    axis alone, stored as little-endian bytes and zstd (the layout
    :meth:`CutoutStore.build` writes, read without zarr's allocations by
    :meth:`StoredImages.read`); None for any other layout."""
    meta = array.metadata
    codecs = [type(c).__name__ for c in getattr(meta, "codecs", ())]
    root = getattr(array.store, "root", None)
    if codecs != ["BytesCodec", "ZstdCodec"] or root is None or \
            getattr(meta.codecs[0].endian, "value", None) != "little" or \
            array.dtype != np.float16 or meta.fill_value != 0 or \
            tuple(array.chunks[1:]) != tuple(array.shape[1:]):
        return None
    base = Path(root) / array.path
    return lambda chunk: base / meta.encode_chunk_key((chunk,) + (0,) * (array.ndim - 1))


class CutoutStore:
    """Model-ready pixels of every readable object of a Dataset, on disk.

    Use :meth:`build`, which reuses the store in ``directory`` when the
    Dataset's :func:`fingerprint` has not changed.

    Attributes
    ----------
    ids : pandas.Index
        Ids of the stored objects, in store order.
    images : StoredImages
    skipped : dict
        Object id -> why it was left out (an unreadable file).
    with_nan : list
        Ids whose NaN or infinite pixels were set to 0.
    """

    def __init__(self, directory):
        directory = Path(directory)
        state = json.loads((directory / _STATE).read_text())
        self.directory = directory
        self.fingerprint = state["fingerprint"]
        self.skipped, self.with_nan = state["skipped"], state["with_nan"]
        self.ids = pd.Index(np.load(directory / "ids.npy"))
        self.images = StoredImages(directory / "pixels.zarr")

    @classmethod
    def build(cls, dataset, directory, greyscale=True, image_size=None, drop_nans=True,
              chunk_size=CHUNK_SIZE, n_workers=None, name="AhuntFeatures", client=None):
        """The store of ``dataset`` in ``directory``: reused when its
        fingerprint matches, else read anew (parallel, chunk by chunk; on
        the workers of the ``dask.distributed`` ``client`` when one is given,
        which must see the Dataset's files).

        Raises ``ValueError`` for a NaN pixel when ``drop_nans`` is False,
        for cutouts of different shapes, and when nothing could be read.
        """
        directory = Path(directory)
        settings = dict(greyscale=bool(greyscale), drop_nans=bool(drop_nans),
                        chunk_size=int(chunk_size),
                        image_size=None if image_size is None else list(image_size))
        stamp = fingerprint(dataset, **settings)
        if stamp is not None and (directory / _STATE).exists():
            try:
                store = cls(directory)
            except (ValueError, KeyError, OSError) as err:  # a file cut by a kill, say
                print(f"WARNING: the cutout store in {directory} cannot be read "
                      f"({type(err).__name__}: {err}); its cutouts are read again")
                store = None
            if store is not None and store.fingerprint == stamp:
                print(f"{name}: reusing the {len(store.ids)} stored cutouts in {directory}")
                return store
        if directory.exists():
            shutil.rmtree(directory)
        directory.mkdir(parents=True)
        reader = _Reader(dataset, greyscale, image_size, drop_nans)
        start = time.perf_counter()
        ids, skipped, with_nan = reader.write(directory / "pixels.zarr", chunk_size, n_workers,
                                              client)
        seconds = time.perf_counter() - start
        print(f"{name}: stored {len(ids)} cutouts in {seconds:.1f} s "
              f"({len(ids) / max(seconds, 1e-9):.0f}/s) in {directory}")
        np.save(directory / "ids.npy", np.asarray(ids, dtype=str))
        # written last, whole or not at all: a store interrupted before it is read again
        atomic_write_text(directory / _STATE, json.dumps(
            {"fingerprint": stamp, "skipped": skipped, "with_nan": with_nan}))
        return cls(directory)


class _Reader:
    """Reads a Dataset's cutouts chunk by chunk into a zarr array."""

    def __init__(self, dataset, greyscale, image_size, drop_nans):
        self.dataset, self.greyscale = dataset, greyscale
        self.image_size, self.drop_nans = image_size, drop_nans
        # PNG files are decoded here when get_sample would return their
        # pixels unchanged: its reader is most of a survey's first read
        self.plain_png = plain_png_names(dataset) is not None

    def read(self, idx, filename=None):
        """(id, model input or None, why it was skipped or None); the cutout
        is read from ``filename`` when that is a plain PNG."""
        try:
            sample = None if filename is None else read_plain_png(filename)
            if sample is None:
                sample = self.dataset.get_sample(idx)
            elif sample.ndim == 2 and not self.greyscale:
                sample = np.repeat(sample[..., np.newaxis], 3, axis=-1)  # get_sample's RGB
            x = to_model_input(sample, self.greyscale, self.image_size, np.float16)
        except Exception as err:  # any reader's failure on one bad file
            return str(idx), None, f"{type(err).__name__}: {err}"
        return str(idx), x, None

    def read_block(self, index):
        """(ids read, their model input stacked as float16 or None, {id: why
        it was skipped}, ids whose NaN pixels were set to 0) of ``index``."""
        names = [None] * len(index)
        if self.plain_png:
            files = plain_png_names(self.dataset)
            where = files.index.get_indexer(index)
            # the block's names only: the whole column as an array is a
            # copy of 10^6 strings (pandas' string dtype)
            found = files.iloc[np.maximum(where, 0)].to_numpy()
            names = [name if k >= 0 else None for k, name in zip(where, found)]
        ids, xs, skipped, with_nan = [], [], {}, []
        for idx, x, why in map(self.read, index, names):
            if why is not None:
                skipped[idx] = why
                continue
            if not np.isfinite(x).all():
                if not self.drop_nans:
                    raise ValueError(f"object '{idx}' has NaN or infinite pixels; "
                                     f"pass drop_nans=True to set them to 0")
                with_nan.append(idx)
                x = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
            ids.append(idx)
            xs.append(x)
        if xs:
            _check_shapes(xs, xs[0].shape)
        return ids, np.stack(xs) if xs else None, skipped, with_nan

    def write(self, path, chunk_size, n_workers=None, client=None):
        """Every cutout into the zarr array at ``path``, a chunk at a time,
        each chunk read in blocks by ``n_workers`` (see :meth:`_blocks`):
        threads for a small dataset, forked processes from
        ``PROCESS_READ_FROM`` cutouts on; or by the workers of a
        ``dask.distributed`` ``client``."""
        import zarr
        from zarr.codecs import ZstdCodec
        from tqdm import tqdm
        index = list(self.dataset.index)
        ids, skipped, with_nan, array, chunk_file = [], {}, [], None, None
        bar = tqdm(total=len(index), desc="reading cutouts", unit="cutout", mininterval=2)
        chunks = [index[start:start + chunk_size] for start in range(0, len(index), chunk_size)]
        with self._blocks(len(index), n_workers, client) as read_block:

            def submit(chunk):
                return [read_block(chunk[i:i + READ_BLOCK])
                        for i in range(0, len(chunk), READ_BLOCK)]

            # the next chunk is read while this one is written: at most two in memory
            ahead = submit(chunks[0]) if chunks else []
            for k, chunk in enumerate(chunks):
                current, ahead = ahead, submit(chunks[k + 1]) if k + 1 < len(chunks) else []
                parts = []
                for future in current:
                    block_ids, x, block_skipped, block_nan = future.result()
                    ids += block_ids
                    skipped.update(block_skipped)
                    with_nan += block_nan
                    if x is not None:
                        parts.append(x)
                bar.update(len(chunk))
                if not parts:
                    continue
                if array is None:
                    array = zarr.create_array(store=str(path), dtype=np.float16,
                                              shape=(len(index),) + parts[0].shape[1:],
                                              chunks=(chunk_size,) + parts[0].shape[1:],
                                              compressors=ZstdCodec(level=ZSTD_LEVEL))
                    chunk_file = _plain_chunk_files(array)
                # each block is of one shape already: its first cutout stands for it
                _check_shapes([x[0] for x in parts], array.shape[1:])
                stacked = np.concatenate(parts)
                _write_rows(array, chunk_file, len(ids) - len(stacked), stacked)
        bar.close()
        if array is None:
            raise ValueError("no object of the dataset could be read")
        array.resize((len(ids),) + array.shape[1:])
        return ids, skipped, with_nan

    @contextlib.contextmanager
    def _blocks(self, n_objects, n_workers=None, client=None):
        """A function ``ids -> future of read_block(ids)``, running in the
        pool that suits the work: by default a thread per core, or a process
        per core and one more, which decodes while another waits for its
        file on a cold disk (10^5 PNGs not cached: 24-25 s against 26-31 s)."""
        cores = os.cpu_count() or 1
        if client is not None:
            # sent to every worker once, not with each block
            # (hash=False: a dataset of 10^6 names need not be tokenised first)
            reader = client.scatter(self, broadcast=True, hash=False)
            yield lambda index: client.submit(_read_block_of, reader, index, pure=False)
            return
        if n_objects < PROCESS_READ_FROM or (n_workers or cores) < 2:
            with ThreadPoolExecutor(n_workers or cores) as pool:
                yield functools.partial(pool.submit, self.read_block)
            return
        global _FORKED_READER
        _FORKED_READER = self
        # forked, not spawned: a spawned process imports the server's main
        # script again (Astronomaly's run_server.py would start a second
        # server), and a fork shares the Dataset without pickling it; the
        # children decode images and never touch TensorFlow
        context = multiprocessing.get_context("fork")
        try:
            with ProcessPoolExecutor(n_workers or cores + 1, mp_context=context,
                                     initializer=_keep_freed_memory) as pool:
                yield functools.partial(pool.submit, _read_block_forked)
        finally:
            _FORKED_READER = None


# the reader a forked process inherits (set only while its pool runs)
_FORKED_READER = None


def _keep_freed_memory():
    """In a forked reader: glibc's malloc keeps what is freed instead of
    handing it back to the kernel. A block's arrays are allocated and freed
    again for every block, and touching fresh pages each time cost a reader
    as much system time as the decoding."""
    import ctypes
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to tune
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    libc.mallopt(m_trim_threshold, 1 << 30)
    libc.mallopt(m_mmap_threshold, 1 << 30)


def _read_block_forked(index):
    return _FORKED_READER.read_block(index)


def _read_block_of(reader, index):
    """On a Dask worker: ``reader.read_block(index)``."""
    return reader.read_block(index)


def _write_rows(array, chunk_file, start, rows):
    """``array[start:start + len(rows)] = rows``. Rows that fill one chunk
    of the layout :func:`_plain_chunk_files` reads (or end the array) are
    encoded and written here: zarr's own write spends most of its time
    allocating, in the one process that also gathers a survey's reads."""
    import numcodecs
    size = array.chunks[0]
    end = start + len(rows)
    if chunk_file is None or start % size or (len(rows) != size and end != array.shape[0]):
        array[start:end] = rows
        return
    if len(rows) < size:  # the edge chunk is stored whole, padded with the fill value
        rows = np.concatenate([rows, np.zeros((size - len(rows),) + rows.shape[1:],
                                              rows.dtype)])
    path = chunk_file(start // size)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(numcodecs.Zstd(level=ZSTD_LEVEL).encode(np.ascontiguousarray(rows)))


def _check_shapes(chunk, shape):
    shapes = {x.shape for x in chunk} | {tuple(shape)}
    if len(shapes) > 1:
        raise ValueError(f"cutouts come in {len(shapes)} shapes ({sorted(shapes)[:3]} ...); "
                         f"pass image_size=(h, w) to resize them to one")
