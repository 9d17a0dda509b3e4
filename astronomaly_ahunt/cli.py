"""The ``astronomaly-ahunt`` command."""

import argparse
import sys
from pathlib import Path

from .experiments import compare
from .engine.presets import HUNTER_PRESETS

DEFAULT_OUTPUT = "ahunt_output"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="astronomaly-ahunt",
                                     description="AHUNT anomaly hunting for Astronomaly")
    commands = parser.add_subparsers(dest="command", required=True)
    sim = commands.add_parser("simulate", help="run a round protocol with a simulated oracle")
    sim.add_argument("protocol", nargs="?", default="digits",
                     help="protocol name (digits, mnist-paper, fmnist-paper, "
                          "fmnist-two-anomalies) or a JSON file of protocol fields; "
                          "default: digits (embedded, no download)")
    sim.add_argument("--data", help="dataset file or folder for protocols whose data is not "
                                    "embedded (an MNIST .npz, the Fashion-MNIST folder)")
    sim.add_argument("--rounds", type=int, help="override the protocol's number of rounds")
    sim.add_argument("--questions", type=int, help="override n_q, questions per round")
    sim.add_argument("--strategy", choices=["uncertainty", "anomalous", "random"],
                     help="question strategy (default: the preset's, else uncertainty)")
    sim.add_argument("--loss", default="softmax", choices=["softmax", "focal", "isomax"])
    sim.add_argument("--preset", choices=sorted(HUNTER_PRESETS), default="default",
                     help="'tuned': our question rule and faster CNN; 'paper': the paper's "
                          "printed training settings (see benchmarks/README.md)")
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--no-baseline", action="store_true",
                     help="skip the isolation forest on raw pixels")
    sim.add_argument("--output-dir", default=DEFAULT_OUTPUT)
    sim.set_defaults(run=simulate_command)
    _add_benchmark_parser(commands)
    compare.add_parser(commands)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, FileNotFoundError) as err:
        print(f"astronomaly-ahunt: error: {err}", file=sys.stderr)
        return 2


def simulate_command(args):
    from .experiments.datasets import load_dataset
    from .experiments.protocols import load_protocol

    protocol = load_protocol(args.protocol).with_overrides(rounds=args.rounds, n_q=args.questions)
    data = load_dataset(protocol.dataset, args.data, protocol.image_size)
    print(f"AHUNT simulation '{protocol.name}': {protocol.description}")
    params = {**HUNTER_PRESETS[args.preset], "loss": args.loss}
    strategy = args.strategy or params.pop("strategy", "uncertainty")
    print(f"{protocol.rounds} rounds, {protocol.n_q} questions a round, strategy "
          f"{strategy}, loss {args.loss}, preset {args.preset}, seed {args.seed}; "
          f"training round 0 ...", flush=True)
    from .experiments.simulate import BASELINES, simulate  # imports TensorFlow: after the cheap checks

    result = simulate(protocol, data, strategy=strategy, seed=args.seed,
                      baselines=() if args.no_baseline else BASELINES,
                      hunter_params=params, progress=_print_round)
    paths = result.save(args.output_dir)
    print(_summary_text(result.summary, paths))
    return 0


def _print_round(row):
    asked = " ".join(f"{k[len('asked_'):]}:{int(v)}" for k, v in row.items()
                     if k.startswith("asked_") and v == v)
    baseline = "".join(f"  {k[:-len('_mcc_topk')]} {v:.2f}" for k, v in row.items()
                       if k.endswith("_mcc_topk"))
    secs = row["seconds_select"] + row["seconds_retrain"] + row["seconds_score"]
    print(f"round {row['round']:3d}  asked {asked:<24s} anomalies found {row['true_candidates']}"
          f"  MCC argmax {row['mcc_argmax']:.2f} top-k {row['mcc_topk']:.2f}{baseline}"
          f"  ({secs:.1f} s)", flush=True)


def _summary_text(s, paths):
    found = ", ".join(f"{k} (round {v})" for k, v in s["anomaly_classes_discovered"].items())
    rows = [("final MCC, argmax class", f"{s['final_mcc_argmax']:.3f}"),
            ("final MCC, top-k", f"{s['final_mcc_topk']:.3f}")]
    rows += [(f"final MCC, {k[len('final_'):-len('_mcc_topk')]} (top-k)", f"{v:.3f}")
             for k, v in s.items() if k.endswith("_mcc_topk") and k != "final_mcc_topk"]
    rows += [("ROC AUC, anomaly probability", f"{s['final_auc']:.3f}"),
             ("anomalies found", f"{s['anomalies_found']} of {s['questions']} questions"),
             ("anomaly classes discovered", found or "none"),
             ("seconds per round", f"{s['seconds_per_round']:.2f} (retrain "
                                   f"{s['seconds_retrain_per_round']:.2f}); "
                                   f"whole run {s['wall_seconds']:.0f} s")]
    header = f"\n== AHUNT on {s['protocol']}: {s['rounds']} rounds, seed {s['seed']} =="
    return "\n".join([header] + [f"{label:<32s}{value}" for label, value in rows]
                     + ["written: " + ", ".join(str(p) for p in paths)])


def _add_benchmark_parser(commands):
    from .experiments.methods import DEFAULT_METHODS, METHODS
    bench = commands.add_parser(
        "benchmark", help="compare methods over several seeds on the same rounds",
        description="Run METHODS for each seed on the same rounds of PROTOCOL; write per-run "
                    "CSVs, a Markdown summary (mean and 68%% band over seeds) and the paper's "
                    "figures to --output-dir.")
    bench.add_argument("protocol", help="digits, fmnist-paper, fmnist-two-anomalies, "
                                        "first-radio, mnist-paper, cifar-paper, desi-paper, "
                                        "or a JSON file of protocol fields")
    bench.add_argument("--data", help="dataset file or folder, for data that is not embedded")
    bench.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS),
                       metavar="METHOD", help=f"any of: {', '.join(METHODS)}; default: "
                                              f"{' '.join(DEFAULT_METHODS)}")
    bench.add_argument("--seeds", type=int, default=10, help="number of seeds (default 10)")
    bench.add_argument("--first-seed", type=int, default=0)
    bench.add_argument("--rounds", type=int, help="override the protocol's number of rounds")
    bench.add_argument("--questions", type=int, help="override n_q, questions per round")
    bench.add_argument("--preset", choices=sorted(HUNTER_PRESETS), default="default",
                       help="settings for every AHUNT method on top of its own: 'paper' is the "
                            "paper's printed training (Adam 1e-5, 3 epochs a round), 'tuned' "
                            "our question rule and faster CNN (the ahunt-tuned method)")
    bench.add_argument("--latent-map", choices=["umap", "pca"], default="umap",
                       help="2-d map of Fig. 1 (UMAP falls back to PCA without umap-learn)")
    bench.add_argument("--output-dir", default="ahunt_benchmark")
    bench.set_defaults(run=benchmark_command)


def benchmark_command(args):
    from .experiments.datasets import load_dataset
    from .experiments.methods import check_methods
    from .experiments.protocols import load_protocol

    protocol = load_protocol(args.protocol).with_overrides(rounds=args.rounds, n_q=args.questions)
    methods = check_methods(args.methods)
    data = load_dataset(protocol.dataset, args.data, protocol.image_size)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    print(f"benchmark '{protocol.name}': {', '.join(methods)}; seeds {seeds[0]}..{seeds[-1]}, "
          f"{protocol.rounds} rounds, n_q {protocol.n_q}, preset {args.preset}", flush=True)
    from .experiments.benchmark import run_benchmark  # imports TensorFlow: after the cheap checks

    result = run_benchmark(protocol, data, methods, seeds,
                           hunter_params=HUNTER_PRESETS[args.preset],
                           progress=_print_benchmark_round)
    paths = result.save(args.output_dir, latent_map=args.latent_map)
    tables = (Path(args.output_dir) / "summary.md").read_text().splitlines()
    print("\n".join(line for line in tables if line.startswith("|")))
    print("written: " + ", ".join(str(p) for p in paths))
    return 0


def _print_benchmark_round(seed, records):
    cells = "  ".join(f"{r['method']} {r['mcc_argmax']:.2f}/{r['mcc_topk']:.2f} "
                      f"{r['true_candidates']}" for r in records)
    secs = sum(r["seconds_select"] + r["seconds_retrain"] + r["seconds_score"] for r in records)
    print(f"seed {seed} round {records[0]['round']:3d} (MCC argmax/top-k, anomalies found)  "
          f"{cells}  ({secs:.1f} s)", flush=True)


if __name__ == "__main__":
    sys.exit(main())
