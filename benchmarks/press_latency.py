"""How long a label press takes through a running, unmodified Astronomaly
server, as the page makes it: ``POST /label`` for the next unlabelled
object of the page's order, one press at a time, timed from request to
answer. Serve a folder (``example_scripts/ahunt_image_folder.py`` with
``AHUNT_IMAGE_DIR``), then::

    python benchmarks/press_latency.py --presses 50 --wait 1800 --output press-latency-1e6

Every press is "0" (not interesting): the labels change nothing else. Writes
``results.json`` (each press's seconds, median, 90th percentile, the commit)
to ``benchmarks/results/<output>`` with ``--output``.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from compare_http import next_unlabelled, post, wait_for  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:5000")
    parser.add_argument("--presses", type=int, default=50)
    parser.add_argument("--wait", type=float, default=0,
                        help="seconds to wait for the server to start answering")
    parser.add_argument("--output", help="results folder under benchmarks/results")
    args = parser.parse_args(argv)
    n_objects = wait_for(args.url, args.wait)
    post(args.url, "/sort", ["score", False])
    asked = next_unlabelled(args.url, args.presses, set(), n_objects)
    seconds = []
    for obj in asked:
        start = time.perf_counter()
        post(args.url, "/label", {"id": obj, "label": "0"})
        seconds.append(time.perf_counter() - start)
    result = {"objects": n_objects, "presses": len(seconds),
              "median_s": statistics.median(seconds),
              "p90_s": statistics.quantiles(seconds, n=10)[-1], "max_s": max(seconds),
              "seconds": [round(s, 4) for s in seconds]}
    print(f"{n_objects:,} objects: {len(seconds)} presses, median {result['median_s']:.3f} s, "
          f"90th percentile {result['p90_s']:.3f} s, max {result['max_s']:.3f} s")
    if args.output:
        from astronomaly_ahunt.experiments.benchmark import run_record
        out = Path(__file__).parent / "results" / args.output
        out.mkdir(parents=True, exist_ok=True)
        (out / "results.json").write_text(json.dumps({**run_record(), **result}, indent=1)
                                          + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
