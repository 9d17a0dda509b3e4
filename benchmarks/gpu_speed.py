"""Speed of a retrain and of a scoring pass under any Keras 3 backend, to set
a GPU beside a CPU (TensorFlow here, JAX on a GPU machine with no TensorFlow).

Measures, on synthetic seeded data and after a warm-up:

* a retrain: Keras ``fit`` (jit as Keras resolves ``"auto"``: XLA under JAX,
  none under TensorFlow on a CPU) of backbone + softmax head, 3 epochs over
  2,700 images of 28x28x1, one ``fit`` call per epoch on a fresh seeded order
  (as ``benchmarks/training_speed.py`` does), batches of 32 and 64, pool and
  stride networks; best of --repeats;
* scoring: latent features and softmax of 64x64x1 cutouts through the
  6-layer backbone with ``predict_on_batch`` (host arrays in, numpy out), in
  batches of 1024 and 4096, as cutouts per second; best of --repeats. Under
  JAX also with the batches already on the device (no host transfer).

    KERAS_BACKEND=jax python benchmarks/gpu_speed.py --out gpu.json --require-gpu
    nice -n 10 python benchmarks/gpu_speed.py --out cpu.json --score-n 8192
    python benchmarks/gpu_speed.py --report gpu.json cpu.json --output gpu-speed.md

benchmarks/results/gpu-speed.md is that report, its JSON inputs beside it
(gpu-speed-h200.json, gpu-speed-cpu.json) and a closing paragraph by hand.
"""

import argparse
import importlib.util
import json
import math
import os
import platform
import re
import sys
import time
import types
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RETRAIN = [("pool", 32), ("pool", 64), ("stride", 32), ("stride", 64)]
SCORING = [("pool", 1024), ("pool", 4096), ("stride", 1024), ("stride", 4096)]


def load_model_module():
    """``astronomaly_ahunt.engine.model``, imported through the package.

    The package's ``__init__`` loads nothing until a public name is used, so
    this needs neither Astronomaly nor pandas. ``model.py`` takes TensorFlow
    from ``engine/quiet_tensorflow.py`` but uses it only inside ``AhuntNet``
    (tf.function, TensorSpec); ``build_backbone`` and ``build_head`` are
    plain Keras. Where TensorFlow is not installed (the GPU machine runs
    Keras on JAX), a stand-in for that module gives Keras and an empty ``tf``.
    """
    sys.path.insert(0, str(REPO))
    quiet = "astronomaly_ahunt.engine.quiet_tensorflow"
    stub = importlib.util.find_spec("tensorflow") is None
    if stub:
        os.environ.setdefault("KERAS_BACKEND", "jax")
        import keras
        sys.modules[quiet] = types.SimpleNamespace(keras=keras, tf=types.ModuleType("tf"))
    try:
        return importlib.import_module("astronomaly_ahunt.engine.model")
    finally:
        if stub:
            del sys.modules[quiet]


def machine():
    import keras
    info = {"backend": keras.backend.backend(), "keras": keras.__version__,
            "python": platform.python_version(), "platform": platform.platform(),
            "cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import numpy as np
    info["numpy"] = np.__version__
    if info["backend"] == "jax":
        import jax
        import jaxlib
        info.update(jax=jax.__version__, jaxlib=jaxlib.__version__,
                    device_platform=jax.default_backend(),
                    device=str(jax.devices()[0].device_kind))
    elif info["backend"] == "tensorflow":
        import tensorflow as tf
        gpus = tf.config.list_physical_devices("GPU")
        info.update(tensorflow=tf.__version__, device_platform="gpu" if gpus else "cpu",
                    device=str(gpus[0]) if gpus else info.get("cpu", platform.machine()))
    return info


def classifier(m, input_shape, downsample, n_classes=3, seed=0):
    """Backbone + head as AhuntNet.create/_assemble build and compile them."""
    import keras
    backbone = m.build_backbone(input_shape, 64, None, seed, downsample)
    head = m.build_head("softmax", n_classes, seed + 200)
    inputs = backbone.input
    model = keras.Model(inputs, head(backbone(inputs)), name="ahunt_cnn")
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=m.keras_loss("softmax"))
    return model, backbone, head


def retrain_seconds(m, downsample, batch, epochs, repeats, n=2700):
    import keras
    import numpy as np
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.random((n, 28, 28, 1), dtype=np.float32)
    targets = np.eye(3, dtype=np.float32)[np.repeat(np.arange(3), n // 3)]
    model, _, _ = classifier(m, x.shape[1:], downsample)

    def retrain():
        for _ in range(epochs):
            order = rng.permutation(n)
            model.fit(x[order], targets[order], batch_size=batch, epochs=1, shuffle=False,
                      verbose=0)

    t0 = time.perf_counter()
    retrain()  # compiling (both batch shapes) is not what is measured
    warm = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        retrain()
        times.append(time.perf_counter() - t0)
    return {"downsample": downsample, "batch": batch, "epochs": epochs, "images": n,
            "seconds": min(times), "times": times, "first_seconds": warm,
            "jit_compile": bool(model.jit_compile)}


def scorer(m, downsample):
    import keras
    keras.utils.set_random_seed(0)
    model, backbone, head = classifier(m, (64, 64, 1), downsample)
    latent = backbone(model.input)
    out = keras.Model(model.input, [latent, keras.layers.Softmax()(head(latent))])
    out.compile()
    return out, len([l for l in backbone.layers if l.name.startswith("conv")])


def scoring_rate(m, x, downsample, batch, repeats):
    net, n_conv = scorer(m, downsample)

    def score():
        for start in range(0, len(x), batch):
            z, p = net.predict_on_batch(x[start:start + batch])
        return z, p

    net.predict_on_batch(x[:batch])  # compile
    times = []
    for _ in range(repeats + 1):  # the first full pass is a warm-up
        t0 = time.perf_counter()
        z, p = score()
        times.append(time.perf_counter() - t0)
    assert z.shape == (batch, 64) and p.shape == (batch, 3)
    best = min(times[1:])
    row = {"downsample": downsample, "batch": batch, "cutouts": len(x), "conv_layers": n_conv,
           "seconds": best, "cutouts_per_s": len(x) / best, "times": times}
    try:
        row.update(on_device_rate(net, x, batch, repeats))
    except Exception as error:  # only a supplement: never lose the main numbers
        row["on_device_error"] = repr(error)[:300]
    return row


def on_device_rate(net, x, batch, repeats):
    """JAX only: the same pass with every batch already on the device."""
    import keras
    if keras.backend.backend() != "jax":
        return {}
    import jax
    trainable = [v.value for v in net.trainable_variables]
    fixed = [v.value for v in net.non_trainable_variables]
    fn = jax.jit(lambda tv, ntv, xb: net.stateless_call(tv, ntv, xb, training=False)[0])
    batches = [jax.device_put(x[s:s + batch]) for s in range(0, len(x), batch)]
    jax.block_until_ready(batches)
    jax.block_until_ready(fn(trainable, fixed, batches[0]))
    times = []
    for _ in range(repeats + 1):
        t0 = time.perf_counter()
        outs = [fn(trainable, fixed, b) for b in batches]
        jax.block_until_ready(outs)
        times.append(time.perf_counter() - t0)
    best = min(times[1:])
    return {"on_device_seconds": best, "on_device_cutouts_per_s": len(x) / best}


def measure(args):
    import numpy as np
    m = load_model_module()
    info = machine()
    print(json.dumps(info), flush=True)
    if args.require_gpu and info.get("device_platform") != "gpu":
        sys.exit(f"no GPU under {info['backend']}: {info.get('device_platform')}")
    result = {"machine": info, "retrain": [], "scoring": []}
    for downsample, batch in RETRAIN:
        row = retrain_seconds(m, downsample, batch, args.epochs, args.repeats)
        print(json.dumps(row), flush=True)
        result["retrain"].append(row)
    x = np.random.default_rng(1).random((args.score_n, 64, 64, 1), dtype=np.float32)
    for downsample, batch in SCORING:
        row = scoring_rate(m, x, downsample, batch, args.repeats)
        print(json.dumps(row), flush=True)
        result["scoring"].append(row)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")


def committed_cpu_fit():
    """Keras-fit seconds from the committed benchmarks/results/training-speed.md."""
    path = REPO / "benchmarks" / "results" / "training-speed.md"
    found = {}
    if path.exists():
        for line in path.read_text().splitlines():
            hit = re.match(r"\| Keras fit \| (\w+) \| (\d+) \| ([\d.]+) \|", line)
            if hit:
                found[(hit[1], int(hit[2]))] = float(hit[3])
    return found


def describe(info):
    what = f"{info['device']}" if info.get("device_platform") == "gpu" else \
        f"{info.get('cpu', 'CPU')}, {info['cpus']} CPUs"
    libs = ", ".join(f"{k} {info[k]}" for k in ("keras", "tensorflow", "jax", "jaxlib", "numpy")
                     if k in info)
    return f"{what}; Keras backend {info['backend']} ({libs}; Python {info['python']}); " \
           f"{info['platform']}; {info['date']}"


def report(args):
    gpu, cpu = (json.loads(Path(p).read_text()) for p in args.report)
    old = committed_cpu_fit()
    epochs = gpu["retrain"][0]["epochs"]
    lines = ["# GPU speed: a retrain and a scoring pass, H200 (JAX) against this CPU "
             "(TensorFlow)", "",
             "`benchmarks/gpu_speed.py`; synthetic seeded data; best of the timed repeats "
             "after a warm-up.", "",
             f"GPU: {describe(gpu['machine'])}.", "",
             f"CPU: {describe(cpu['machine'])}; run under `nice -n 10` on a shared machine.", "",
             f"## One retrain: Keras fit, {epochs} epochs over 2,700 images of 28x28x1 "
             "(4 conv layers)", "",
             "| downsampling | batch | GPU s | CPU s | CPU s, training-speed.md | GPU vs CPU |",
             "| --- | --- | --- | --- | --- | --- |"]
    for g, c in zip(gpu["retrain"], cpu["retrain"]):
        key = (g["downsample"], g["batch"])
        ref = f"{old[key]:.2f}" if key in old else "-"
        lines.append(f"| {key[0]} | {key[1]} | {g['seconds']:.2f} | {c['seconds']:.2f} | {ref} | "
                     f"{c['seconds'] / g['seconds']:.1f}x |")
    lines += ["", f"jit: GPU {gpu['retrain'][0]['jit_compile']} (XLA), "
                  f"CPU {cpu['retrain'][0]['jit_compile']} (Keras' 'auto' leaves XLA off on "
                  "a CPU). First retrain, compiling included: GPU "
              + ", ".join(f"{r['first_seconds']:.1f}" for r in gpu["retrain"]) + " s.", "",
              "## Scoring: latent + softmax of 64x64x1 cutouts (6 conv layers), "
              "predict_on_batch from host arrays", "",
              "| downsampling | batch | GPU cutouts/s | GPU on-device cutouts/s | "
              "CPU cutouts/s | GPU vs CPU |", "| --- | --- | --- | --- | --- | --- |"]
    for g, c in zip(gpu["scoring"], cpu["scoring"]):
        dev = g.get("on_device_cutouts_per_s")
        lines.append(f"| {g['downsample']} | {g['batch']} | {g['cutouts_per_s']:,.0f} | "
                     f"{f'{dev:,.0f}' if dev else '-'} | {c['cutouts_per_s']:,.0f} | "
                     f"{g['cutouts_per_s'] / c['cutouts_per_s']:.0f}x |")
    lines += ["", f"Cutouts per pass: GPU {gpu['scoring'][0]['cutouts']:,}, "
                  f"CPU {cpu['scoring'][0]['cutouts']:,}.", ""]
    retrain = [r["seconds"] for r in gpu["retrain"]]
    pool = max(r["cutouts_per_s"] for r in gpu["scoring"] if r["downsample"] == "pool")
    resident = max(r.get("on_device_cutouts_per_s", 0) for r in gpu["scoring"]
                   if r["downsample"] == "pool")
    need = 1e8 / 3600
    lines += ["## Projection (pooling network, the paper's)", "",
              f"- A retrain on such a GPU: {min(retrain):.2f}-{max(retrain):.2f} s, after the "
              "first, which compiles.",
              f"- A 10^6-cutout scoring pass: {1e6 / pool:.1f} s from host arrays"
              + (f", {1e6 / resident:.2f} s with the cutouts already on the GPU" if resident
                 else "") + ".",
              f"- 10^8 cutouts in an hour is {need:,.0f} cutouts/s: "
              f"{math.ceil(need / pool)} such GPU(s) at {pool:,.0f}/s "
              f"({1e8 / pool / 60:.0f} min for 10^8), if cutouts arrive as fast "
              f"({need * 64 * 64 * 4 / 1e6:,.0f} MB/s of float32 64x64 cutouts)."]
    Path(args.output).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="measure here, write JSON to this path")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--score-n", type=int, default=131072,
                        help="cutouts per scoring pass (a multiple of 4096)")
    parser.add_argument("--require-gpu", action="store_true",
                        help="stop at once if the backend sees no GPU")
    parser.add_argument("--report", nargs=2, metavar=("GPU_JSON", "CPU_JSON"))
    parser.add_argument("--output", default="gpu-speed.md")
    args = parser.parse_args()
    if args.report:
        report(args)
    elif args.out:
        if args.score_n % 4096:
            parser.error("--score-n must be a multiple of 4096")
        measure(args)
    else:
        parser.error("give --out (measure) or --report")


if __name__ == "__main__":
    main()
