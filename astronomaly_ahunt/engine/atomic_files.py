"""Files replaced whole or not at all: a reader, or a start after a kill,
sees the old file or the new one, never half of one."""

import os
import uuid
from pathlib import Path

# in the name of every temporary file an atomic write leaves if killed
TMP_SUFFIX = ".tmp"


def atomic_replace(path, write_to):
    """Write ``path`` through ``write_to(temporary path)`` so that readers see
    the old or the new file, never a half-written one. The temporary file
    keeps ``path``'s extension (Keras and Astronomaly write by extension);
    when ``write_to`` writes nothing, ``path`` is left as it is."""
    path = Path(path)
    # a name of its own, so that two writers never rename each other's file
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}{TMP_SUFFIX}{path.suffix}")
    try:
        write_to(tmp)
        if tmp.exists():
            with open(tmp, "rb") as written:
                os.fsync(written.fileno())
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write(path, write, binary=True):
    """:func:`atomic_replace` through ``write(file)``."""
    def write_to(tmp):
        with open(tmp, "wb" if binary else "w") as f:
            write(f)
    atomic_replace(path, write_to)


def atomic_write_text(path, text):
    atomic_write(path, lambda f: f.write(text), binary=False)
