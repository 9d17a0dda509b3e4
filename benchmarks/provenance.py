"""Say which code every committed results folder came from.

Runs record their commit when they start (``run.json``, ``environment.json``,
``*.run.json``, or a ``run`` entry in ``results.json``). Folders committed
before runs did get ``provenance.json``: the commit that first added the
folder's files, from git's history. By the project's rule results are
committed with the code they came from, so that commit's code (or its
parent's) is what made them, though nobody recorded which:

    python benchmarks/provenance.py          # write the missing provenance.json
    python benchmarks/provenance.py --check  # list folders that have none; exit 1 if any
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def result_folders(root=RESULTS):
    """Folders under ``root`` that hold result files of their own."""
    return sorted({p.parent for p in root.rglob("*")
                   if p.is_file() and p.suffix in {".csv", ".json", ".png", ".txt", ".md", ".log"}
                   and p.parent != root})


def records_commit(folder):
    """Whether a json file of ``folder`` names the commit its run started from."""
    for path in folder.glob("*.json"):
        try:
            data = json.loads(path.read_text())
        except (ValueError, OSError):
            continue
        if not isinstance(data, dict):
            continue
        if "commit" in data or any(isinstance(v, dict) and ("commit" in v or (
                isinstance(v.get("run"), dict) and "commit" in v["run"])) for v in data.values()):
            return True
    return False


def first_commit(folder):
    """(hash, date, subject) of the commit that first added a file of ``folder``."""
    out = subprocess.run(["git", "log", "--diff-filter=A", "--format=%H%x09%cs%x09%s", "--",
                          str(folder)], capture_output=True, text=True, check=True,
                         cwd=RESULTS).stdout.strip().splitlines()
    return out[-1].split("\t", 2) if out else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="only list the folders with no commit; exit 1 if any")
    args = parser.parse_args()
    missing = [f for f in result_folders() if not records_commit(f)]
    for folder in missing:
        name = folder.relative_to(RESULTS)
        added = None if args.check else first_commit(folder)
        if added is None:
            print(f"{name}: no commit recorded" + ("" if args.check else " and not in git"))
            continue
        commit, date, subject = added
        (folder / "provenance.json").write_text(json.dumps({
            "commit": commit, "committed": date, "subject": subject,
            "how_known": "not recorded by the run: the commit that first added these files, "
                         "from git's history; the run used its code or its parent's"},
            indent=1) + "\n")
        print(f"{name}: provenance.json ({commit[:7]}, {date})")
    return 1 if args.check and missing else 0


if __name__ == "__main__":
    sys.exit(main())
