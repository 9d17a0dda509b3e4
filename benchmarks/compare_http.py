"""Label a running, unmodified Astronomaly server over HTTP as its page does,
and count the interesting objects found round by round.

The calls are the page's own (``webapp/src/components/AnomalyTab.js``):
opening it sorts by ``score`` (``POST /sort ["score", false]``); the list is
read position by position (``POST /getindex``, ``/getmaxid``); a button
sends ``POST /label {"id": ID, "label": "0".."5"}``; Retrain is
``POST /retrain`` and, when it answers ``success``, the page re-sorts by
the column and order the answer names. Each round labels the first
``--labels`` unlabelled objects of the current order from a truth table.

Serve any compare data set with any method, then drive it::

    AHUNT_COMPARE_DATA=digits AHUNT_COMPARE_METHOD=ahunt AHUNT_SEED=0 \\
        AHUNT_OUTPUT_DIR=/tmp/serve_digits_ahunt \\
        python ASTRO_SRC/astronomaly/frontend/run_server.py example_scripts/compare_method.py
    python benchmarks/compare_http.py \\
        --truth ahunt_output/compare_data/digits_seed0/truth.csv --wait 900

Needs only the standard library; it neither builds nor installs Astronomaly.
"""

import argparse
import csv
import json
import sys
import time
import urllib.error
import urllib.request


def post(url, path, payload):
    request = urllib.request.Request(url + path, data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json"},
                                     method="POST")
    # Retrain runs inside the request and the page waits for it without a timeout
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b"null")


def wait_for(url, seconds):
    """Poll until the server answers: it listens only after run_pipeline()."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return int(post(url, "/getmaxid", ""))
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise SystemExit(f"no Astronomaly server answered at {url} within {seconds} s")
            time.sleep(2)


def read_truth(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return {row[0]: int(float(row[1])) for row in rows[1:]}


def next_unlabelled(url, n, labelled, n_objects):
    """The first ``n`` ids of the page's current order not labelled yet."""
    asked = []
    for position in range(n_objects):
        obj = str(post(url, "/getindex", position))
        if obj not in labelled:
            asked.append(obj)
            if len(asked) == n:
                break
    return asked


def drive(url, truth, rounds, per_round, interesting, progress=print):
    """Rounds of label, Retrain, re-sort; one dict per round."""
    n_objects = int(post(url, "/getmaxid", ""))
    post(url, "/sort", ["score", False])
    labelled, found, records = set(), 0, []
    for r in range(1, rounds + 1):
        asked = next_unlabelled(url, per_round, labelled, n_objects)
        unknown = [obj for obj in asked if obj not in truth]
        if unknown:
            raise SystemExit(f"the truth table has no label for {unknown[:5]}: is it the truth "
                             f"of the data set this server shows?")
        for obj in asked:
            post(url, "/label", {"id": obj, "label": str(truth[obj])})
        labelled.update(asked)
        found += sum(truth[obj] >= interesting for obj in asked)
        start = time.perf_counter()
        answer = post(url, "/retrain", "retrain")
        seconds = time.perf_counter() - start
        if answer.get("status") != "success":
            raise SystemExit(f"Retrain failed in round {r}: {answer}")
        post(url, "/sort", [answer["column_to_sort_by"], answer["show_unlabelled_first"]])
        records.append({"round": r, "labels": len(labelled), "found": found,
                        "seconds_retrain": round(seconds, 2)})
        progress(f"round {r}: {len(labelled)} labels, {found} interesting found "
                 f"(Retrain {seconds:.1f} s, then sorted by {answer['column_to_sort_by']})",
                 flush=True)
    return records


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--truth", required=True, help="csv of object id, label 0-5")
    parser.add_argument("--url", default="http://127.0.0.1:5000")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--labels", type=int, default=20, help="labels per round")
    parser.add_argument("--interesting", type=int, default=3,
                        help="labels >= this count as interesting (default 3)")
    parser.add_argument("--wait", type=float, default=0,
                        help="seconds to wait for the server to start answering")
    args = parser.parse_args(argv)
    truth = read_truth(args.truth)
    n_objects = wait_for(args.url, args.wait)
    n_interesting = sum(v >= args.interesting for v in truth.values())
    print(f"{args.url}: {n_objects} objects; truth: {n_interesting} interesting of "
          f"{len(truth)}", flush=True)
    records = drive(args.url, truth, args.rounds, args.labels, args.interesting)
    print("found after each round: " + " ".join(str(r["found"]) for r in records))
    return 0


if __name__ == "__main__":
    sys.exit(main())
