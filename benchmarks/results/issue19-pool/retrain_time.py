"""Paired Retrain seconds of the page's Hunter with and without the consistency
term, on one zoomed FIRST folder (625 cutouts at 64 px), rounds interleaved."""
import json, sys, time, numpy as np
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # benchmarks/
from compare_separability import read_folder
from astronomaly_ahunt import Hunter
from astronomaly_ahunt.engine.presets import page_settings
from astronomaly_ahunt.experiments.benchmark import run_record
record = run_record()
x, interesting = read_folder(sys.argv[1], 64)
print(len(x), x.shape)
hunters = {}
for w in (0.0, 1.0):
    h = Hunter(**{**page_settings(len(x), 64), "consistency": w}, random_state=0)
    h.fit_initial(x, np.full(len(x), "not"), unlabelled=x)
    ids = h.ask(x, 20); h.tell(ids, np.where(interesting[ids], "interesting", "not"))
    hunters[w] = h
times = {0.0: [], 1.0: []}
for r in range(4):
    for w, h in hunters.items():
        t = time.perf_counter(); h.retrain(unlabelled=x); times[w].append(time.perf_counter() - t)
for w, t in times.items():
    print(f"consistency {w}: retrain seconds {np.round(t, 2).tolist()} median {np.median(t):.2f}")
Path(__file__).with_suffix(".run.json").write_text(json.dumps(record, indent=1) + "\n")
