"""The compare command's peers (AADForest, random labelling, Astronomaly's
static pipeline) through the page replay, and the command itself."""

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from astronomaly_ahunt.cli import main
from astronomaly_ahunt.experiments.compare import pipelines
from astronomaly_ahunt.experiments.compare.pipelines import aadforest, random_labelling
from astronomaly_ahunt.experiments.compare.replay import FrontendReplay


@pytest.fixture
def workdir():
    # Astronomaly's log parser splits on '-', which pytest's tmp_path is full of
    path = Path(tempfile.mkdtemp(prefix="cmp_", dir="/tmp"))
    yield path
    shutil.rmtree(path)


@pytest.fixture(scope="module")
def two_kinds():
    """60 faint noise cutouts n00-n59, and two kinds of unusual ones, equally
    far from them: a60-a64 with a bright top-left corner, b65-b69 with a
    bright bottom-right one."""
    from PIL import Image
    folder = Path(tempfile.mkdtemp(prefix="cmp_", dir="/tmp"))
    (folder / "images").mkdir()
    rng = np.random.default_rng(0)
    for i in range(70):
        x = rng.uniform(0, 60, (8, 8))
        kind = "n" if i < 60 else "a" if i < 65 else "b"
        if kind == "a":
            x[:3, :3] = 255
        elif kind == "b":
            x[-3:, -3:] = 255
        Image.fromarray(x.astype(np.uint8)).save(folder / "images" / f"{kind}{i:02d}.png")
    yield folder
    shutil.rmtree(folder)


def test_aadforest_learns_which_unusual_objects_are_interesting(two_kinds, workdir):
    pytest.importorskip("coniferest")
    page = FrontendReplay(aadforest(str(two_kinds), str(workdir), seed=0, image_size=8))
    # unsupervised, both kinds of unusual object head the page, mixed
    assert {i[0] for i in page.next_unlabelled(10)} == {"a", "b"}
    page.label("a60", 5)
    page.label("b65", 0)
    assert page.retrain()
    order = page.next_unlabelled(68)
    a_ranks = [order.index(f"a{i}") for i in range(61, 65)]
    b_ranks = [order.index(f"b{i}") for i in range(66, 70)]
    # one label each: every remaining a now comes before every b, the bs sink
    # below most of the plain noise
    assert max(a_ranks) < min(b_ranks) and min(b_ranks) > 30, (a_ranks, b_ranks)
    assert page.anomaly_scores["trained_score"].between(0, 5).all()


def test_random_labelling_finds_what_chance_finds_and_repeats_with_its_seed(two_kinds, workdir):
    truth = pd.Series({p.stem: 5 if p.stem[0] == "a" else 0
                       for p in (two_kinds / "images").glob("*.png")})

    def pages(seed, run=0):
        # a folder each: the pipeline would resume the labels of a folder's earlier session
        out = str(workdir / f"seed{seed}_run{run}")
        page = FrontendReplay(random_labelling(str(two_kinds), out, seed, 8))
        asked = []
        for _ in range(2):
            asked.append(page.next_unlabelled(10))
            for obj in asked[-1]:
                page.label(obj, truth[obj])
            page.retrain()
        return asked

    first = pages(0)
    assert pages(0, run=1) == first
    assert len(set(first[0] + first[1])) == 20
    found = [int((truth[sum(pages(seed), [])] == 5).sum()) for seed in range(20)]
    # 20 labels among 70 objects, 5 interesting: 1.43 expected a seed
    assert abs(np.mean(found) - 20 * 5 / 70) < 0.5, found
    assert len(set(found)) > 1


def test_static_pipeline_repeats_with_its_seed(two_kinds, workdir):
    pytest.importorskip("astronomaly")

    def found(seed, out):
        page = FrontendReplay(pipelines.static(str(two_kinds), str(workdir / out), seed, 8))
        page.label("a60", 5)
        page.label("b65", 0)
        page.retrain()
        return page.next_unlabelled(68)

    assert found(0, "one") == found(0, "two")
    assert found(0, "one") != found(1, "three")


def test_compare_data_writes_the_table_the_plot_and_per_seed_summary(workdir, capsys):
    pytest.importorskip("coniferest")
    args = ["compare", "--data", "digits", "--normal", "0", "1", "--n-normal", "30",
            "--n-rare", "4", "--methods", "aadforest", "random", "--seeds", "0", "1",
            "--rounds", "2", "--labels", "5", "--output-dir", str(workdir / "out"),
            "--data-dir", str(workdir / "data")]
    assert main(args) == 0
    table = pd.read_csv(workdir / "out" / "compare.csv")
    assert list(table.columns) == ["data", "method", "seed", "round", "labels", "found",
                                   "first_found", "seconds_retrain"]
    # the label that found the first rare object lies within the labels spent so far
    found = table.dropna(subset="first_found")
    assert ((found["first_found"] >= 1) & (found["first_found"] <= found["labels"])).all()
    assert table[table["first_found"].isna()]["found"].eq(0).all()
    assert table.groupby(["method", "seed"])["labels"].apply(list).tolist() == [[5, 10]] * 4
    assert (table["found"] <= 4).all() and (table["seconds_retrain"] > 0).all()
    summary = (workdir / "out" / "summary.txt").read_text()
    assert "4 interesting of 64 cutouts" in summary and "seed 1" in summary
    assert (workdir / "out" / "compare.png").stat().st_size > 10_000
    out = capsys.readouterr().out
    assert out.count("seed 0  aadforest") == 1 and out.count("seed 1  random") == 1
    # results are not replaced unasked; a second run starts afresh rather
    # than resuming the first run's labels
    assert main(args) == 2
    assert "already holds results (compare.csv)" in capsys.readouterr().err
    assert main(args + ["--force"]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(workdir / "out" / "compare.csv")
                                  .drop(columns="seconds_retrain"),
                                  table.drop(columns="seconds_retrain"))


def test_compare_refuses_in_one_line_before_anything_runs(workdir, capsys, monkeypatch):
    data = ["--data-dir", str(workdir / "data"), "--output-dir", str(workdir / "out")]
    monkeypatch.setitem(pipelines.REQUIREMENTS, "static",
                        (lambda: False, pipelines.REQUIREMENTS["static"][1]))
    assert main(["compare", "--data", "digits", "--methods", "random", "static"] + data) == 2
    assert main(["compare", "--data", "digits", "--methods", "magic"] + data) == 2
    assert main(["compare", "--data", "digits", "script.py"] + data) == 2
    assert main(["compare"] + data) == 2
    monkeypatch.setenv("FASHION_MNIST_DIR", str(workdir / "nowhere"))
    assert main(["compare", "--data", "fmnist", "--methods", "random"] + data) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert lines == [
        "astronomaly-ahunt compare: error: method static needs Astronomaly, which is not on PyPI: git "
        "clone https://github.com/MichelleLochner/astronomaly && pip install -e astronomaly "
        "(or leave it out of --methods)",
        "astronomaly-ahunt compare: error: unknown method(s) magic; known: ahunt, static, aadforest, "
        "random",
        "astronomaly-ahunt compare: error: give either --data NAME or SCRIPT... --truth CSV, not both",
        "astronomaly-ahunt compare: error: give --data NAME (a catalogue-free data set), or pipeline "
        "SCRIPTs with --truth CSV",
        lines[-1]]
    assert lines[-1].startswith("astronomaly-ahunt compare: error: Fashion-MNIST not found in")
    assert not (workdir / "data").exists() and not (workdir / "out").exists()


def test_compare_with_no_method_named_runs_what_is_installed_and_says_what_it_skips(
        workdir, capsys, monkeypatch):
    from astronomaly_ahunt.experiments.compare import peers
    monkeypatch.setitem(pipelines.REQUIREMENTS, "static",
                        (lambda: False, pipelines.REQUIREMENTS["static"][1]))
    ran = {}

    def compare_methods(name, methods, *args, **kwargs):
        ran["methods"] = methods
        raise ValueError("stopped after the choice of methods")

    monkeypatch.setattr(peers, "compare_methods", compare_methods)
    args = ["compare", "--data", "digits", "--output-dir", str(workdir / "out"),
            "--data-dir", str(workdir / "data")]
    assert main(args) == 2
    assert ran["methods"] == ["ahunt", "aadforest", "random"]
    assert "compare: static skipped: it needs Astronomaly" in capsys.readouterr().out


def test_the_http_driver_finds_what_the_in_process_replay_finds(two_kinds, workdir, monkeypatch):
    pytest.importorskip("coniferest")
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "compare_http", Path(__file__).parent.parent / "benchmarks" / "compare_http.py")
    http = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(http)
    from astronomaly_ahunt.experiments.compare.replay import replay
    truth = pd.Series({p.stem: 5 if p.stem[0] == "a" else 0
                       for p in (two_kinds / "images").glob("*.png")}, name="label")
    truth.to_csv(workdir / "truth.csv")

    page = FrontendReplay(aadforest(str(two_kinds), str(workdir / "http"), 0, 8))

    def server(url, path, payload):
        """The answers run_server.py gives the page, from the replayed Controller."""
        if path == "/getmaxid":
            return len(page.anomaly_scores)
        if path == "/getindex":
            return page.anomaly_scores.index[payload]
        if path == "/sort":
            page.sort(*payload)
        elif path == "/label":
            page.label(payload["id"], float(payload["label"]))
        elif path == "/retrain":
            stage = page.active_learning
            return {"status": "success" if page.retrain() else "failed",
                    "column_to_sort_by": stage.column_to_sort_by,
                    "show_unlabelled_first": stage.show_unlabelled_first}
        return "success"

    monkeypatch.setattr(http, "post", server)
    over_http = http.drive("http://fake", http.read_truth(workdir / "truth.csv"), 3, 3, 3,
                           progress=lambda *a, **k: None)
    in_process = replay(lambda: aadforest(str(two_kinds), str(workdir / "replay"), 0, 8),
                        workdir / "truth.csv", 3, 3, 3)
    # after one Retrain on 3 labels the forest hands over every remaining a
    assert [r["found"] for r in over_http] == [r["found"] for r in in_process] == [2, 5, 5]
    assert [r["labels"] for r in over_http] == [3, 6, 9]
