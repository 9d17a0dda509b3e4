import importlib.util

import numpy as np
import pandas as pd
import pytest

from astronomaly_ahunt.experiments.benchmark import aggregate, band, load_result
from astronomaly_ahunt.experiments.methods import DEFAULT_METHODS, METHODS, build_runners
from astronomaly_ahunt.engine.presets import PAPER_SETTINGS
from astronomaly_ahunt.experiments.protocols import PROTOCOLS

# trains a CNN: deselect with -m "not slow" for a quick run
pytestmark = pytest.mark.slow

pytest.importorskip("coniferest")


@pytest.fixture(scope="module")
def smoke(tmp_path_factory, digits):
    """Every default method, 2 seeds, 2 short rounds of the digits protocol."""
    from astronomaly_ahunt.experiments.benchmark import run_benchmark
    out = tmp_path_factory.mktemp("bench")
    protocol = PROTOCOLS["digits"].with_overrides(rounds=2)
    result = run_benchmark(protocol, digits, DEFAULT_METHODS, [0, 1],
                           hunter_params={"epochs": 1, "initial_epochs": 2}, snapshot_points=200)
    return result, result.save(out, latent_map="pca"), out


def test_every_method_and_seed_has_numbers_for_every_round(smoke):
    result, _, out = smoke
    rounds = pd.read_csv(out / "rounds.csv")
    assert len(rounds) == len(DEFAULT_METHODS) * 2 * 2
    assert set(rounds["method"]) == set(DEFAULT_METHODS)
    # in the order asked, though riders report through their runner's CNN
    assert rounds.query("seed == 0 and round == 1")["method"].tolist() == list(DEFAULT_METHODS)
    assert rounds.groupby("method")["seed"].nunique().eq(2).all()
    assert rounds[["mcc_topk", "auc", "seconds_score", "peak_rss_mb"]].notna().all().all()
    # all methods see the same objects: 2 rounds of 8 + 8 + 2 digits
    assert rounds.query("round == 2")["n_seen"].eq(36).all()
    assert rounds.query("round == 2")["n_anomalies_seen"].eq(4).all()
    asking = rounds["method"].isin(["ahunt", "ahunt-tuned", "static-al", "aadforest",
                                     "pineforest"])
    assert rounds.loc[asking, "asked"].eq(2).all() and rounds.loc[~asking, "asked"].eq(0).all()
    cnn = rounds["method"].isin(["ahunt", "ahunt-tuned", "static-al"])
    assert rounds.loc[cnn, "mcc_argmax"].notna().all()
    assert rounds.loc[cnn, "seconds_retrain"].gt(0).all()
    assert rounds["mcc_topk"].between(-1, 1).all() and rounds["true_candidates"].between(0, 2).all()


def test_outputs_have_the_right_shape(smoke):
    result, paths, out = smoke
    agg = pd.read_csv(out / "aggregate.csv")
    assert len(agg) == len(DEFAULT_METHODS) * 2
    assert agg["n_seeds"].eq(2).all()
    # each method's band is over its own seeds' rounds, not another method's
    rounds = pd.read_csv(out / "rounds.csv")
    means = rounds.groupby(["method", "round"])["mcc_topk"].agg(["mean", "min", "max"])
    got = agg.set_index(["method", "round"]).loc[means.index]
    np.testing.assert_allclose(got["mcc_topk_mean"], means["mean"], atol=1e-9)
    assert (got["mcc_topk_p16"] >= means["min"] - 1e-9).all()
    assert (got["mcc_topk_p84"] <= means["max"] + 1e-9).all()
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == len(DEFAULT_METHODS) * 2 and runs["wall_seconds"].gt(0).all()
    summary = (out / "summary.md").read_text()
    assert "MCC argmax" in summary and "MCC top-k" in summary
    for method in DEFAULT_METHODS:
        assert f"| {method} |" in summary
    for name in ("fig1_latent.png", "fig3_dynamic_vs_static.png", "fig6_all_methods.png"):
        assert (out / name).stat().st_size > 10_000
    with np.load(out / "latent_snapshots.npz") as snaps:
        assert snaps["latent_r1"].shape == (18, 64) and snaps["names_r2"].shape == (36,)
    again = load_result(out)
    assert again.protocol == result.protocol and sorted(again.snapshots) == [1, 2]
    pd.testing.assert_frame_equal(again.runs(), result.runs(), check_dtype=False)


def test_band_is_the_mean_and_the_16th_and_84th_percentile():
    mean, lo, hi = band(np.arange(101, dtype=float))
    assert (mean, lo, hi) == (50.0, 16.0, 84.0)
    rounds = pd.DataFrame({"method": "m", "seed": [0, 1, 2], "round": 1,
                           **{m: [0.0, 0.5, 1.0] for m in ("mcc_argmax", "mcc_topk", "auc",
                                                           "true_candidates",
                                                           "true_candidates_total",
                                                           "seconds_per_round")}})
    row = aggregate(rounds).iloc[0]
    assert row["mcc_topk_mean"] == 0.5 and row["mcc_topk_p16"] == pytest.approx(0.16)


def test_variants_and_riders_build_the_runners_they_need():
    protocol = PROTOCOLS["digits"]
    runners = build_runners(["iforest-dynamic-latent", "ahunt-isomax", "ahunt-paper",
                             "iforest-static-latent", "pineforest"], protocol, seed=3)
    assert [r.outputs for r in runners] == [("ahunt", "iforest-dynamic-latent"),
                                            ("ahunt-isomax",), ("ahunt-paper",),
                                            ("static-al", "iforest-static-latent"),
                                            ("pineforest",)]
    assert runners[1].hunter.loss == "isomax"
    assert runners[2].hunter.learning_rate == PAPER_SETTINGS["learning_rate"]
    assert runners[3].frozen and not runners[0].frozen
    assert runners[0].hunter.random_state == 3
    with pytest.raises(ValueError, match="unknown methods \\['nope'\\]"):
        build_runners(["nope"], protocol, 0)
    assert set(DEFAULT_METHODS) <= set(METHODS)


@pytest.mark.skipif(importlib.util.find_spec("firstgalaxydata") is None,
                    reason="firstgalaxydata (optional, non-commercial images) not installed")
def test_first_radio_galaxies_load_offline_and_fit_their_protocol():
    from astronomaly_ahunt.experiments.datasets import load_first
    from astronomaly_ahunt.experiments.simulate import draw_rounds
    data = load_first(size=32)
    assert data.x.shape == (2158, 32, 32, 1) and 0 <= data.x.min() and data.x.max() <= 1
    assert np.bincount(data.y).tolist() == [495, 924, 391, 348]
    initial, rounds = draw_rounds(PROTOCOLS["first-radio"], data, np.random.default_rng(0))
    assert np.bincount(data.y[initial]).tolist() == [120, 300]
    assert np.bincount(data.y[rounds[0]], minlength=4).tolist() == [18, 30, 0, 6]


def test_cli_benchmark_rejects_unknown_methods(capsys):
    from astronomaly_ahunt.cli import main
    assert main(["benchmark", "digits", "--methods", "ahunt", "bogus"]) == 2
    assert "unknown methods ['bogus']" in capsys.readouterr().err


def test_static_al_moves_only_the_head(digits):
    from astronomaly_ahunt.experiments.simulate import draw_rounds
    protocol = PROTOCOLS["digits"]
    static, = build_runners(["static-al"], protocol, 0, {"epochs": 1, "initial_epochs": 1})
    initial, rounds = draw_rounds(protocol, digits, np.random.default_rng(0))
    static.start(digits.x[initial], digits.names(digits.y[initial]), 0)
    before = [w.copy() for w in static.hunter.net_.backbone.get_weights()]
    head_before = static.hunter.net_.head.get_weights()[0].copy()
    static.step(digits.x[rounds[0]], rounds[0], 2,
                lambda ids: digits.names(digits.y[np.asarray(ids)]))
    for old, new in zip(before, static.hunter.net_.backbone.get_weights()):
        np.testing.assert_array_equal(old, new)
    assert not np.allclose(head_before, static.hunter.net_.head.get_weights()[0][:, :3])


def test_neighbourscore_is_refused_clearly_without_astronomaly(monkeypatch):
    from astronomaly_ahunt.experiments import methods
    monkeypatch.setattr(methods, "astronomaly_available", lambda: False)
    with pytest.raises(ValueError, match="neighbourscore needs Astronomaly: "):
        methods.check_methods(["iforest-raw", "neighbourscore"])
    assert methods.check_methods(["iforest-raw"]) == ["iforest-raw"]


def test_a_run_names_the_cpu_generation_whose_rounding_its_finds_follow(tmp_path):
    from astronomaly_ahunt.experiments.benchmark import cpu_model
    cpuinfo = tmp_path / "cpuinfo"
    first = "processor\t: 0\ncpu family\t: 25\nmodel\t\t: 17\nmodel name\t: AMD EPYC\n" \
        "flags\t\t: fpu sse2 avx2 avx512f\n"
    cpuinfo.write_text(first + "\n" + first.replace("processor\t: 0", "processor\t: 1"))
    assert cpu_model(cpuinfo) == "AMD EPYC (family 25 model 17, AVX-512)"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu avx2\n")
    assert cpu_model(cpuinfo) == "AMD EPYC (AVX2)"
    assert cpu_model(tmp_path / "absent")  # the platform's own name where Linux's is not there
