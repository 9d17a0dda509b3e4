"""The page's labels, press by press: an append-only journal beside
``ml_scores.csv``.

Astronomaly's server saves its whole scores frame on every label press, which
costs O(objects) (seconds at 10^6). The Retrain stage instead appends what
changed since the last record, one ``id,label`` line each, fsync'd before
the press is answered, and writes ``ml_scores.csv`` whole at each Retrain,
after which the journal starts again empty. A restart reads
``ml_scores.csv``, then the journal's lines in order. A line cut by a kill
(the file does not end in a newline) was never acknowledged: it is cut off
with a warning, before anything is appended after it.
"""

import os

import pandas as pd

JOURNAL = "ml_scores.journal"


def journal_path(output_dir):
    return os.path.join(output_dir, JOURNAL)


def append_labels(path, labels):
    """Append ``labels`` (a Series id -> int) to the journal at ``path``
    and wait until they are on disk."""
    if labels.empty:
        return
    text = "".join(f"{i},{int(v)}\n" for i, v in labels.items())
    with open(path, "a", encoding="utf-8") as journal:
        journal.write(text)
        journal.flush()
        os.fsync(journal.fileno())


def read_journal(path):
    """The labels recorded at ``path``, later lines overriding earlier ones
    (a Series id -> int, empty when there is no journal). A cut last line is
    removed from the file with a warning; a line that is not ``id,label``
    is skipped with one."""
    if not os.path.exists(path):
        return pd.Series(dtype=int)
    with open(path, "rb") as journal:
        data = journal.read()
    whole = data[:data.rfind(b"\n") + 1]
    if len(whole) < len(data):
        print(f"WARNING: {path}: a label cut short by a kill ({data[len(whole):][:40]!r}) "
              f"was never acknowledged and is dropped")
        with open(path, "r+b") as journal:
            journal.truncate(len(whole))
            os.fsync(journal.fileno())
    labels, bad = {}, []
    for line in whole.decode("utf-8", errors="replace").splitlines():
        obj, comma, value = line.rpartition(",")
        if comma and obj and value.lstrip("-").isdigit():
            labels[obj] = int(value)
        else:
            bad.append(line)
    if bad:
        print(f"WARNING: {path}: {len(bad)} line(s) that are not 'id,label' skipped: "
              f"{bad[:3]}")
    return pd.Series(labels, dtype=int)


def clear_journal(path):
    """Empty the journal: its labels are in a ``ml_scores.csv`` written whole."""
    if os.path.exists(path):
        os.remove(path)
