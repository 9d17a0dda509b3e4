"""The ``astronomaly-ahunt`` command.

Imports here stay cheap (no TensorFlow, pandas or scikit-learn) so that
``--help`` and bad arguments answer at once; each command imports what it
runs, and checks its inputs before it prints a header or writes a file.
"""

import argparse
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from .engine.losses import LOSSES
from .engine.presets import HUNTER_PRESETS
from .engine.questions import STRATEGIES
from .experiments.methods import DEFAULT_METHODS, METHODS
from .experiments.protocols import PROTOCOLS
from .stages.page import INTERESTING_FROM

DEFAULT_OUTPUT = "ahunt_output"


class _Parser(argparse.ArgumentParser):
    """argparse with its usage dropped from errors: one line that names the
    problem and where to read more."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _count(text):
    """A whole number of at least 1, for counts where 0 would run for nothing."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} would run nothing; give 1 or more")
    return value


def build_parser():
    parser = _Parser(prog="astronomaly-ahunt", description="AHUNT anomaly hunting for Astronomaly")
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s {metadata.version('astronomaly_ahunt')}")
    commands = parser.add_subparsers(dest="command", required=True)
    _add_simulate_parser(commands)
    _add_benchmark_parser(commands)
    _add_compare_parser(commands)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, FileNotFoundError) as err:
        print(f"astronomaly-ahunt {args.command}: error: {err}", file=sys.stderr)
        return 2


def _add_output_arguments(command, default, default_text=None):
    command.add_argument("--output-dir", default=default,
                         help=f"folder for the results (default: {default_text or default})")
    command.add_argument("--force", action="store_true",
                         help="replace results already in --output-dir")


def _refuse_to_overwrite(args, result_file):
    """Stop before any work if ``--output-dir`` cannot hold the results (a
    file, under a file, a folder nobody may write) or holds an earlier run's."""
    folder = Path(args.output_dir).absolute()
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    if not existing.is_dir():
        where = "is a file" if existing == folder else f"is under a file ({existing})"
        raise ValueError(f"--output-dir {args.output_dir} {where}: name a folder")
    try:  # the one sure test of writing there, for root too: write, then take it back
        tempfile.TemporaryFile(dir=existing).close()
    except OSError as err:
        raise ValueError(f"--output-dir {args.output_dir} cannot be written "
                         f"({err.strerror} in {existing}): name another folder") from None
    if (folder / result_file).exists() and not args.force:
        raise ValueError(f"{args.output_dir} already holds results ({result_file}); choose "
                         f"another --output-dir, or add --force to replace them")


def _add_simulate_parser(commands):
    sim = commands.add_parser("simulate", help="run a round protocol with a simulated oracle",
                              description="Run AHUNT (and an isolation forest on raw pixels) "
                                          "through PROTOCOL's rounds, the oracle answering "
                                          "with the true labels; write rounds.csv, "
                                          "summary.json and rounds.png to --output-dir.")
    sim.add_argument("protocol", nargs="?", default="digits",
                     help=f"protocol name ({', '.join(PROTOCOLS)}) or a JSON file of "
                          f"protocol fields; default: digits (embedded, no download)")
    sim.add_argument("--data", help="dataset file or folder for protocols whose data is not "
                                    "embedded (an MNIST .npz, the Fashion-MNIST folder)")
    sim.add_argument("--rounds", type=_count, help="override the protocol's number of rounds")
    sim.add_argument("--questions", type=_count, help="override n_q, questions per round")
    sim.add_argument("--strategy", choices=list(STRATEGIES),
                     help="question strategy (default: the preset's, else uncertainty)")
    sim.add_argument("--loss", default="softmax", choices=LOSSES,
                     help="the CNN's loss: softmax cross-entropy (the paper's), focal, or "
                          "IsoMax (distance to a prototype per class); default softmax")
    sim.add_argument("--preset", choices=sorted(HUNTER_PRESETS), default="default",
                     help="'paper': the paper's printed training settings; "
                          "'catalogue': asks what no labelled normal resembles, then each "
                          "anomaly class's most probable members (see README.md)")
    sim.add_argument("--seed", type=int, default=0,
                     help="seed of the rounds drawn, the CNN and every random choice "
                          "(default 0)")
    sim.add_argument("--no-baseline", action="store_true",
                     help="skip the isolation forest on raw pixels")
    _add_output_arguments(sim, DEFAULT_OUTPUT)
    sim.set_defaults(run=simulate_command)


def _load(args):
    """The protocol with the command line's overrides and its data, checked
    against each other, before anything runs."""
    from .experiments.datasets import load_dataset
    from .experiments.protocols import load_protocol
    from .experiments.simulate import check_protocol

    protocol = load_protocol(args.protocol).with_overrides(rounds=args.rounds, n_q=args.questions)
    data = load_dataset(protocol.dataset, args.data, protocol.image_size)
    check_protocol(protocol, data)
    return protocol, data


def simulate_command(args):
    # a wrong argument is named first, even where an earlier run's results lie
    protocol, data = _load(args)
    _refuse_to_overwrite(args, "rounds.csv")
    print(f"AHUNT simulation '{protocol.name}': {protocol.description}")
    params = {**HUNTER_PRESETS[args.preset], "loss": args.loss}
    strategy = args.strategy or params.pop("strategy", "uncertainty")
    print(f"{protocol.rounds} rounds, {protocol.n_q} questions a round, strategy "
          f"{strategy}, loss {args.loss}, preset {args.preset}, seed {args.seed}; "
          f"training round 0 ...", flush=True)
    from .experiments.simulate import BASELINES, simulate  # imports TensorFlow: after the checks

    result = simulate(protocol, data, strategy=strategy, seed=args.seed,
                      baselines=() if args.no_baseline else BASELINES,
                      hunter_params=params, progress=_print_round)
    paths = result.save(args.output_dir)
    print(_summary_text(result.summary, paths))
    return 0


def _print_round(row):
    asked = " ".join(f"{k[len('asked_'):]}:{int(v)}" for k, v in row.items()
                     if k.startswith("asked_") and v == v)
    baseline = "".join(f"  {k[:-len('_mcc_topk')]} {_number(v)}" for k, v in row.items()
                       if k.endswith("_mcc_topk"))
    secs = row["seconds_select"] + row["seconds_retrain"] + row["seconds_score"]
    print(f"round {row['round']:3d}  asked {asked:<24s} anomalies found {row['true_candidates']}"
          f"  MCC argmax {_number(row['mcc_argmax'])} top-k {_number(row['mcc_topk'])}"
          f"{baseline}  ({secs:.1f} s)", flush=True)


def _number(value):
    """Two decimals, or the tables' "–" where a method has no such number."""
    return "–" if value != value else f"{value:.2f}"


def _summary_text(s, paths):
    found = ", ".join(f"'{k}' in round {v}" for k, v in s["anomaly_classes_discovered"].items())
    rows = [("final MCC, argmax class", f"{s['final_mcc_argmax']:.3f}"),
            ("final MCC, top-k", f"{s['final_mcc_topk']:.3f}")]
    rows += [(f"final MCC, {k[len('final_'):-len('_mcc_topk')]} (top-k)", f"{v:.3f}")
             for k, v in s.items() if k.endswith("_mcc_topk") and k != "final_mcc_topk"]
    rows += [("ROC AUC, anomaly probability", f"{s['final_auc']:.3f}"),
             ("anomalies found", f"{s['anomalies_found']} of {s['questions']} questions"),
             ("anomaly classes, first named", found or "none"),
             ("seconds per round", f"{s['seconds_per_round']:.2f} (retrain "
                                   f"{s['seconds_retrain_per_round']:.2f}); "
                                   f"whole run {s['wall_seconds']:.0f} s")]
    header = f"\n== AHUNT on {s['protocol']}: {s['rounds']} rounds, seed {s['seed']} =="
    return "\n".join([header] + [f"{label:<32s}{value}" for label, value in rows]
                     + ["written: " + ", ".join(str(p) for p in paths), GLOSSARY])


GLOSSARY = """
MCC: Matthews correlation of "anomaly or not" over the pool (1 every object right, 0 chance);
  argmax: an object is called an anomaly when its most probable class is one;
  top-k: the k highest anomaly scores are called anomalies, k = the anomalies in the pool.
reserve: the CNN's class for anomalies nobody has named yet; its questions explore.
iforest-raw: an isolation forest on the raw pixels, the baseline that learns nothing."""


def _add_benchmark_parser(commands):
    bench = commands.add_parser(
        "benchmark", help="compare methods over several seeds on the same rounds",
        description="Run METHODS for each seed on the same rounds of PROTOCOL; write per-run "
                    "CSVs, a Markdown summary (mean and 68% band over seeds) and the paper's "
                    "figures to --output-dir.")
    bench.add_argument("protocol", help=f"{', '.join(PROTOCOLS)}, or a JSON file of "
                                        f"protocol fields")
    bench.add_argument("--data", help="dataset file or folder, for data that is not embedded")
    bench.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS),
                       metavar="METHOD", help=f"any of: {', '.join(METHODS)}; default: "
                                              f"{' '.join(DEFAULT_METHODS)}")
    bench.add_argument("--seeds", type=_count, default=10, help="number of seeds (default 10)")
    bench.add_argument("--first-seed", type=int, default=0,
                       help="the first seed; seeds run from it upwards (default 0)")
    bench.add_argument("--rounds", type=_count, help="override the protocol's number of rounds")
    bench.add_argument("--questions", type=_count, help="override n_q, questions per round")
    bench.add_argument("--preset", choices=sorted(HUNTER_PRESETS), default="default",
                       help="settings for every AHUNT method on top of its own: 'paper' is the "
                            "paper's printed training (Adam 1e-5, 3 epochs a round)")
    bench.add_argument("--latent-map", choices=["umap", "pca"], default="umap",
                       help="2-d map of Fig. 1 (UMAP falls back to PCA without umap-learn)")
    _add_output_arguments(bench, "ahunt_benchmark")
    bench.set_defaults(run=benchmark_command)


def benchmark_command(args):
    from .experiments.methods import check_methods

    methods = check_methods(args.methods)
    protocol, data = _load(args)
    _refuse_to_overwrite(args, "rounds.csv")
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    print(f"benchmark '{protocol.name}': {', '.join(methods)}; seeds {seeds[0]}..{seeds[-1]}, "
          f"{protocol.rounds} rounds, n_q {protocol.n_q}, preset {args.preset}", flush=True)
    from .experiments.benchmark import run_benchmark  # imports TensorFlow: after the checks

    result = run_benchmark(protocol, data, methods, seeds,
                           hunter_params=HUNTER_PRESETS[args.preset],
                           progress=_print_benchmark_round)
    paths = result.save(args.output_dir, latent_map=args.latent_map)
    tables = (Path(args.output_dir) / "summary.md").read_text().splitlines()
    print("\n".join(line for line in tables if line.startswith("|")))
    print("written: " + ", ".join(str(p) for p in paths))
    return 0


def _print_benchmark_round(seed, records):
    cells = "  ".join(f"{r['method']} {_number(r['mcc_argmax'])}/{_number(r['mcc_topk'])} "
                      f"{r['true_candidates']}" for r in records)
    secs = sum(r["seconds_select"] + r["seconds_retrain"] + r["seconds_score"] for r in records)
    print(f"seed {seed} round {records[0]['round']:3d} (MCC argmax/top-k, anomalies found)  "
          f"{cells}  ({secs:.1f} s)", flush=True)


def _add_compare_parser(commands):
    from .experiments.compare.data import PAGE_METHODS, SPLITS, SUITE_NAMES as SUITES
    cmp = commands.add_parser(
        "compare", help="label pipelines from a truth table, round by round, as a person "
                        "would on the page: --data NAME compares methods on a catalogue-free "
                        "image set, SCRIPT... --truth CSV compares pipeline scripts",
        description="For each seed and each method (--data) or SCRIPT: run_pipeline(), then "
                    "ROUNDS rounds of: label the first LABELS unlabelled objects of the "
                    "page's order from the truth table, Retrain, re-sort. Prints and plots "
                    "interesting objects found per label spent.")
    cmp.add_argument("scripts", nargs="*", metavar="SCRIPT",
                     help="pipeline scripts, e.g. example_scripts/ahunt_digits.py "
                          "example_scripts/astronomaly_digits_static.py (with --truth)")
    cmp.add_argument("--data", metavar="NAME", choices=list(SPLITS),
                     help=f"a catalogue-free data set ({', '.join(SPLITS)}), written once "
                          f"under --data-dir with a truth.csv of 0 (normal) and 5 (rare)")
    cmp.add_argument("--suite", metavar="NAME", choices=list(SUITES),
                     help=f"every split of a suite ({', '.join(SUITES)}: each class in turn "
                          f"rare among the others), a table and a plot over all of them")
    cmp.add_argument("--splits", nargs="+", metavar="SPLIT",
                     help="with --suite: only these of its splits (e.g. digit_rare_5)")
    cmp.add_argument("--methods", nargs="+", metavar="METHOD",
                     help=f"with --data or --suite: any of {', '.join(PAGE_METHODS)} (default: all "
                          f"whose packages are installed)")
    cmp.add_argument("--normal", nargs="+", metavar="CLASS",
                     help="with --data: normal classes instead of the data set's own")
    cmp.add_argument("--rare", metavar="CLASS", help="with --data: the rare class instead")
    cmp.add_argument("--n-normal", type=_count, help="with --data: objects of each normal class")
    cmp.add_argument("--n-rare", type=_count, help="with --data: objects of the rare class")
    cmp.add_argument("--crop", type=_count, metavar="PX",
                     help="with --data first-*: keep the central PX of the 300 px images "
                          "before resizing (the sources lie within the central 100)")
    cmp.add_argument("--data-dir", default="ahunt_output/compare_data",
                     help="with --data: where the data sets are written and reused (default: "
                          "ahunt_output/compare_data)")
    cmp.add_argument("--truth",
                     help="with SCRIPTs: csv of object id, label 0-5; '{seed}' is replaced by "
                          "the seed (e.g. ahunt_output/digits_cutouts_seed{seed}/truth.csv)")
    cmp.add_argument("--rounds", type=_count, default=5, help="rounds of labelling (default 5)")
    cmp.add_argument("--labels", type=_count, default=20, help="labels per round (default 20)")
    cmp.add_argument("--seeds", type=int, nargs="+",
                     help="seeds, each a separate run of every method or script "
                          "(default 0 1 2 3 4; with --suite 0 1 2 3 4 5)")
    cmp.add_argument("--interesting", type=int, default=INTERESTING_FROM,
                     help=f"labels >= this count as interesting (default {INTERESTING_FROM})")
    _add_output_arguments(cmp, None, "ahunt_output/compare, or ahunt_output/compare_NAME "
                                     "with --data")
    cmp.set_defaults(run=compare_command)


def _default_methods(args):
    """With no --methods: every method whose package is installed, saying
    which are skipped (after every check, so an error prints nothing else)."""
    if args.methods is None:
        from .experiments.compare.pipelines import available_methods
        args.methods, skipped = available_methods()
        for method, remedy in skipped:
            print(f"compare: {method} skipped: it {remedy}")


def compare_command(args):
    if args.suite:
        if args.data or args.scripts or args.truth:
            raise ValueError("give one of --suite NAME, --data NAME or SCRIPT... --truth CSV")
        args.seeds = args.seeds or [0, 1, 2, 3, 4, 5]
        # no '-' in the folder: Astronomaly's log parser splits on it
        folder = args.suite.replace("-", "_")
        args.output_dir = args.output_dir or f"ahunt_output/compare_suite_{folder}"
        _refuse_to_overwrite(args, "suite.csv")
        from .experiments.compare.suite import compare_suite_command, suite_splits
        suite_splits(args.suite, args.splits)  # an unknown split fails before anything prints
        _default_methods(args)
        return compare_suite_command(args)
    if args.splits:
        raise ValueError("--splits chooses splits of a --suite")
    args.seeds = args.seeds or [0, 1, 2, 3, 4]
    if args.data:
        if args.scripts or args.truth:
            raise ValueError("give either --data NAME or SCRIPT... --truth CSV, not both")
        args.output_dir = args.output_dir or f"ahunt_output/compare_{args.data.replace('-', '_')}"
        _refuse_to_overwrite(args, "compare.csv")
        _default_methods(args)
        from .experiments.compare.peers import compare_data_command
        return compare_data_command(args)
    if not args.scripts or not args.truth:
        raise ValueError("give --data NAME (a catalogue-free data set), or pipeline SCRIPTs "
                         "with --truth CSV")
    from .experiments.compare.results import write_results
    from .experiments.compare.scripts import MissingAstronomaly, compare

    from .experiments.benchmark import run_record
    args.output_dir = args.output_dir or "ahunt_output/compare"
    _refuse_to_overwrite(args, "compare.csv")
    record = run_record()  # the code as it was when the run started
    try:
        table = compare(args.scripts, args.truth, args.rounds, args.labels, args.seeds,
                        args.interesting, args.output_dir)
    except MissingAstronomaly as err:
        print(f"astronomaly-ahunt compare: {err}", file=sys.stderr)
        return 3
    write_results(table, Path(args.output_dir), f"{', '.join(Path(s).stem for s in args.scripts)} "
                  f"on {args.truth}", record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
