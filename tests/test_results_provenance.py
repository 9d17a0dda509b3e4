import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_every_committed_results_folder_names_the_commit_it_came_from():
    done = subprocess.run([sys.executable, str(BENCHMARKS / "provenance.py"), "--check"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
