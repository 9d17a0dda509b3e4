"""Kill Astronomaly's real, unmodified server at random moments while the
page's buttons are pressed in bursts, and count acknowledged labels lost.

Each cycle starts the server (``run_server.py`` serving
``example_scripts/compare_method.py``) if it is down, sends bursts of
``/label`` requests from several threads at once (and now and then a
``/retrain``), kills the server with SIGKILL after a random delay, then
reads back the labels a restart restores (the same ``with_saved_labels`` the
pipeline calls at start-up). A press that answered 200 was acknowledged:
its label must come back, or one sent after it to the same object (whose
answer the kill cut off). Every restart must come up. Run it with the
Python of a virtualenv that has Astronomaly and this package::

    python benchmarks/kill_test.py --astronomaly-src /path/to/astronomaly \\
        --kills 30 --output benchmarks/results/kill-test

Writes ``kill_test.csv`` (one row per cycle), ``summary.txt`` and ``run.json``
(commit, machine, command) in --output.
"""

import argparse
import http.client
import json
import os
import platform
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
URL = "http://127.0.0.1:5000"


def post(path, payload, timeout=600):
    request = urllib.request.Request(URL + path, data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json"},
                                     method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


def wait_until_up(server, seconds):
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode} while starting")
        try:
            post("/getmaxid", {}, timeout=5)
            return time.perf_counter() - start
        except (urllib.error.URLError, http.client.HTTPException, OSError):
            time.sleep(0.5)
    raise RuntimeError(f"the server did not answer within {seconds} s")


def start_server(args, log):
    env = {**os.environ, "AHUNT_COMPARE_DATA": args.data, "AHUNT_COMPARE_METHOD": "ahunt",
           "AHUNT_SEED": str(args.seed), "AHUNT_COMPARE_DATA_DIR": args.data_dir,
           "AHUNT_OUTPUT_DIR": args.served}
    return subprocess.Popen([sys.executable, "astronomaly/frontend/run_server.py",
                             str(REPO / "example_scripts" / "compare_method.py")],
                            cwd=args.astronomaly_src, env=env, stdout=log,
                            stderr=subprocess.STDOUT)


def restored_labels(args, ids):
    """The labels a restart restores from the served folder, read as the
    pipeline reads them at start-up, in a fresh process."""
    code = ("import json, sys, pandas as pd\n"
            "from astronomaly_ahunt.stages.session import with_saved_labels\n"
            "ids = json.load(sys.stdin)\n"
            f"labels = with_saved_labels(pd.DataFrame(index=ids), {args.served!r})"
            "['human_label']\n"
            "print(json.dumps(labels[labels != -1].astype(int).to_dict()))\n")
    done = subprocess.run([sys.executable, "-c", code], input=json.dumps(ids),
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def burst(ids, threads, presses, rng, sent, lock):
    """``threads`` threads pressing ``presses`` buttons each, at once; every
    press is recorded in ``sent`` as [id, label, answered, sent at, answered at]."""
    def press(chosen, labels):
        for obj, label in zip(chosen, labels):
            with lock:
                record = [obj, label, False, time.monotonic(), float("inf")]
                sent.append(record)
            try:
                post("/label", {"id": obj, "label": str(label)}, timeout=30)
                record[4] = time.monotonic()
                record[2] = True
            except (urllib.error.URLError, http.client.HTTPException, OSError):
                return  # the server is gone
    workers = [threading.Thread(target=press, args=(rng.sample(ids, presses),
                                                    [rng.randrange(6) for _ in range(presses)]))
               for _ in range(threads)]
    for worker in workers:
        worker.start()
    return workers


def lost(sent, restored):
    """Objects whose acknowledged label did not come back. Of the presses
    of one object, one answered before another answered press was sent is
    superseded by it; the restored label must be one of the presses that
    are not (two at once have no order; one cut off by the kill may or may
    not have counted)."""
    by_object = {}
    for record in sent:
        by_object.setdefault(record[0], []).append(record)
    lost_ = []
    for obj, history in by_object.items():
        if not any(r[2] for r in history):
            continue
        standing = [r for r in history
                    if not any(q[2] and q[3] > r[4] for q in history)]
        if restored.get(obj) not in {r[1] for r in standing}:
            lost_.append((obj, [r[1] for r in standing], restored.get(obj)))
    return lost_


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--astronomaly-src", required=True)
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--presses", type=int, default=6, help="per thread and burst")
    parser.add_argument("--data", default="digits")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default="kill-test")
    parser.add_argument("--served", default="/tmp/ahunt_kill_test/served")
    parser.add_argument("--data-dir", default="/tmp/ahunt_kill_test/data")
    args = parser.parse_args()
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["rm", "-rf", args.served])
    from astronomaly_ahunt.experiments.benchmark import run_record
    started = run_record()  # the code as it was when the run started
    rng = random.Random(args.seed)
    sent, lock, rows = [], threading.Lock(), []
    log = open(out / "server.log", "w")
    server = start_server(args, log)
    first_start = wait_until_up(server, 900)
    post("/sort", ["score", False])
    ids = [post("/getindex", i) for i in range(post("/getmaxid", {}))]
    for cycle in range(args.kills):
        workers = burst(ids, args.threads, args.presses, rng, sent, lock)
        retrain = rng.random() < 0.3
        if retrain:
            threading.Thread(target=lambda: _quietly(lambda: post("/retrain", {})),
                             daemon=True).start()
        time.sleep(rng.uniform(0.05, 3.0 if retrain else 1.0))
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
        for worker in workers:
            worker.join()
        restored = restored_labels(args, ids)
        missing = lost(sent, restored)
        server = start_server(args, log)
        seconds = wait_until_up(server, 900)
        row = {"cycle": cycle, "retrain_sent": retrain,
               "presses_sent": len(sent), "presses_answered": sum(r[2] for r in sent),
               "labels_restored": len(restored), "acknowledged_lost": len(missing),
               "lost_examples": str(missing[:3]), "restart_seconds": round(seconds, 1)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    os.kill(server.pid, signal.SIGKILL)
    (out / "run.json").write_text(json.dumps(started, indent=1) + "\n")
    table = pd.DataFrame(rows)
    table.to_csv(out / "kill_test.csv", index=False)
    text = (f"{args.kills} kills of Astronomaly's real server ({platform.processor() or platform.machine()}), "
            f"{args.threads} threads x {args.presses} presses a burst, data {args.data}: "
            f"{int(table['presses_sent'].iloc[-1])} presses sent, "
            f"{int(table['presses_answered'].iloc[-1])} answered; acknowledged labels lost "
            f"after a restart: {int(table['acknowledged_lost'].max())} at worst, "
            f"{int(table['acknowledged_lost'].iloc[-1])} at the end; every restart came up "
            f"(first start {first_start:.0f} s, restarts {table['restart_seconds'].median():.0f} s "
            f"median); Retrain sent in {int(table['retrain_sent'].sum())} cycles\n")
    (out / "summary.txt").write_text(text)
    print(text)


def _quietly(call):
    try:
        call()
    except (urllib.error.URLError, http.client.HTTPException, OSError):
        pass


if __name__ == "__main__":
    main()
