"""Scoring speed against this machine's own sgemm rate: what share of the CPU's
float32 matrix-multiply rate the CNN reaches when it scores cutouts.

For the 28 px pooled, 64 px pooled and 64 px strided networks (built by
``AhuntNet.create`` as the package builds them, softmax head over 3 classes)
it counts the FLOPs of one cutout (multiply-adds of the convolutions and
dense layers, times 2; bias, ReLU, pooling and softmax are left out), and
times ``AhuntNet.predict`` (the package's own scoring path) on seeded random
cutouts. Each measurement runs in a fresh child process, once per setting of
``TF_ENABLE_ONEDNN_OPTS`` (unset: the package's own choice; 0; and 1), because
TensorFlow reads it when it is imported; the settings take turns within each
of --rounds rounds, with a numpy sgemm between them, so that the other work on
a shared machine falls on all of them alike. Reported: medians over rounds,
with the range, and each setting's largest difference of probabilities from
the setting without oneDNN on the same cutouts.

    python benchmarks/scoring_speed.py --out benchmarks/results/scoring-speed
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np

from astronomaly_ahunt.experiments.benchmark import run_record

REPO = Path(__file__).resolve().parents[1]
NETWORKS = {"28px-pool": ((28, 28, 1), "pool", 16384),
            "64px-pool": ((64, 64, 1), "pool", 8192),
            "64px-stride": ((64, 64, 1), "stride", 16384)}
SETTINGS = {"package": None, "onednn-off": "0", "onednn-on": "1"}
REFERENCE = "onednn-off"
PROBE = 256  # cutouts whose probabilities every setting returns, to compare outputs
GEMM_N = 4096


def best_seconds(fn, repeats):
    fn()  # first call: allocation, thread start-up, kernel choice
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def sgemm_numpy(repeats=5):
    a = np.random.default_rng(0).random((GEMM_N, GEMM_N), dtype=np.float32)
    b = np.random.default_rng(1).random((GEMM_N, GEMM_N), dtype=np.float32)
    return 2 * GEMM_N ** 3 / best_seconds(lambda: a @ b, repeats) / 1e9


def flops_per_cutout(backbone, head):
    """2 x multiply-adds of every Conv2D and Dense layer, from their shapes."""
    import keras
    total = 0
    for layer in backbone.layers + [head]:
        if isinstance(layer, keras.layers.Conv2D):
            _, h, w, c_out = layer.output.shape
            kh, kw = layer.kernel_size
            total += 2 * h * w * c_out * kh * kw * layer.input.shape[-1]
        elif isinstance(layer, keras.layers.Dense):
            total += 2 * layer.kernel.shape[0] * layer.kernel.shape[1]
    return int(total)


def child(batch, passes):
    """One setting's measurements, as JSON on stdout."""
    sys.path.insert(0, str(REPO))
    from astronomaly_ahunt.engine.model import AhuntNet
    from astronomaly_ahunt.engine.quiet_tensorflow import tf
    from tensorflow.python.util import _pywrap_util_port

    a = tf.random.stateless_uniform((GEMM_N, GEMM_N), seed=(0, 0))
    b = tf.random.stateless_uniform((GEMM_N, GEMM_N), seed=(0, 1))
    tf_gemm = 2 * GEMM_N ** 3 / best_seconds(lambda: tf.linalg.matmul(a, b).numpy(), 3) / 1e9
    result = {"onednn_enabled": bool(_pywrap_util_port.IsMklEnabled()),
              "tf_sgemm_gflops": tf_gemm, "networks": {}}
    for name, (shape, downsample, n) in NETWORKS.items():
        net = AhuntNet.create(shape, 3, downsample=downsample, seed=0)
        x = np.random.default_rng(0).random((n,) + shape, dtype=np.float32)
        seconds = best_seconds(lambda: net.predict(x, batch), passes)
        result["networks"][name] = {
            "flops": flops_per_cutout(net.backbone, net.head), "cutouts": n,
            "cutouts_per_s": n / seconds,
            "probe_proba": net.predict(x[:PROBE], batch)[1].tolist()}
    print(json.dumps(result))


def run_child(setting, batch, passes):
    env = {k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"}
    if SETTINGS[setting] is not None:
        env["TF_ENABLE_ONEDNN_OPTS"] = SETTINGS[setting]
    out = subprocess.run([sys.executable, __file__, "--child", "--batch", str(batch),
                          "--passes", str(passes)], env=env, capture_output=True, text=True,
                         check=True, cwd=REPO)
    return json.loads(out.stdout.strip().splitlines()[-1])


def cpu_flags():
    """The instruction sets that decide which kernels TensorFlow and oneDNN pick."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return [f for f in line.split(":", 1)[1].split()
                        if f in ("avx", "avx2", "fma", "avx512f", "avx512_vnni",
                                 "avx512_bf16", "amx_tile")]
    except OSError:
        pass
    return []


def spread(values):
    return {"median": float(np.median(values)), "min": float(min(values)),
            "max": float(max(values)), "all": [float(v) for v in values]}


def summarise(rounds, numpy_gemm):
    gemm = spread(numpy_gemm)
    summary = {"numpy_sgemm_gflops": gemm, "settings": {}}
    reference = {name: np.array(rounds[0][REFERENCE]["networks"][name]["probe_proba"])
                 for name in NETWORKS}
    for setting in SETTINGS:
        runs = [r[setting] for r in rounds]
        entry = {"onednn_enabled": runs[0]["onednn_enabled"],
                 "tf_sgemm_gflops": spread([r["tf_sgemm_gflops"] for r in runs]),
                 "networks": {}}
        for name in NETWORKS:
            rates = [r["networks"][name]["cutouts_per_s"] for r in runs]
            flops = runs[0]["networks"][name]["flops"]
            # each round's rate over the same round's sgemm: load shared by both cancels
            shares = [rate * flops / 1e9 / g for rate, g in zip(rates, numpy_gemm)]
            entry["networks"][name] = {
                "flops_per_cutout": flops, "cutouts_per_s": spread(rates),
                "share_of_sgemm": spread(shares),
                "max_abs_proba_diff_vs_" + REFERENCE: float(max(
                    np.abs(np.array(r["networks"][name]["probe_proba"]) - reference[name]).max()
                    for r in runs))}
        summary["settings"][setting] = entry
    return summary


def markdown(result):
    s = result["summary"]
    gemm = s["numpy_sgemm_gflops"]
    lines = [f"# Scoring speed against sgemm ({result['machine']}, "
             f"{result['cpus']} CPUs)", "",
             f"`benchmarks/scoring_speed.py`, commit {(result['commit'] or '?')[:10]}"
             f"{' (dirty tree)' if result['dirty'] else ''}, {result['date']}; "
             f"{result['rounds']} interleaved rounds, `AhuntNet.predict` with batches of "
             f"{result['batch']}, best of {result['passes']} passes per round; medians "
             "(min-max over rounds).", "",
             f"numpy sgemm ({GEMM_N}x{GEMM_N} float32): {gemm['median']:.0f} GFLOP/s "
             f"({gemm['min']:.0f}-{gemm['max']:.0f}). CPU flags: "
             f"{', '.join(result['cpu_flags'])}.", "",
             "| setting | oneDNN | network | MFLOP/cutout | cutouts/s | share of sgemm "
             "| max abs proba diff vs onednn-off |",
             "| --- | --- | --- | ---: | ---: | ---: | ---: |"]
    for setting, entry in s["settings"].items():
        for name, row in entry["networks"].items():
            rate, share = row["cutouts_per_s"], row["share_of_sgemm"]
            lines.append(
                f"| {setting} | {'on' if entry['onednn_enabled'] else 'off'} | {name} | "
                f"{row['flops_per_cutout'] / 1e6:.2f} | {rate['median']:,.0f} "
                f"({rate['min']:,.0f}-{rate['max']:,.0f}) | {100 * share['median']:.0f} % "
                f"({100 * share['min']:.0f}-{100 * share['max']:.0f}) | "
                f"{row['max_abs_proba_diff_vs_' + REFERENCE]:.1e} |")
    lines += ["", "tf.linalg.matmul sgemm, GFLOP/s: " + ", ".join(
        f"{k} {v['tf_sgemm_gflops']['median']:.0f}" for k, v in s["settings"].items()) + "."]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/scoring-speed")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.batch, args.passes)
    record = run_record()  # the code as it was when the run started
    rounds, numpy_gemm = [], []
    for i in range(args.rounds):
        numpy_gemm.append(sgemm_numpy())
        rounds.append({setting: run_child(setting, args.batch, args.passes)
                       for setting in SETTINGS})
        rates = "; ".join(f"{setting} " + ", ".join(
            f"{name} {r['networks'][name]['cutouts_per_s']:,.0f}/s" for name in NETWORKS)
            for setting, r in rounds[-1].items())
        print(f"round {i + 1}/{args.rounds}: numpy sgemm {numpy_gemm[-1]:.0f} GFLOP/s; {rates}",
              flush=True)
    result = {**record, "cpu_flags": cpu_flags(), "platform": platform.platform(),
              "python": platform.python_version(), "numpy": np.__version__,
              "tensorflow": version("tensorflow"), "keras": version("keras"),
              "rounds": args.rounds,
              "batch": args.batch, "passes": args.passes,
              "summary": summarise(rounds, numpy_gemm), "raw": rounds}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for setting in result["raw"]:
        for r in setting.values():
            for row in r["networks"].values():
                row.pop("probe_proba")
    (out / "results.json").write_text(json.dumps(result, indent=1) + "\n")
    (out / "results.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
