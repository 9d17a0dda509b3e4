"""Every bad input to the command ends in one line that names the problem and
the fix, a non-zero exit and nothing written; none of these needs TensorFlow."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from astronomaly_ahunt.cli import main
from astronomaly_ahunt.experiments.protocols import PROTOCOLS

REPO = Path(__file__).resolve().parents[1]


def fails(capsys, argv, output_dir):
    """The one error line of ``argv``, after checking that it exited non-zero,
    printed nothing else and created no ``output_dir``."""
    existed = output_dir.exists()
    try:
        code = main([*argv, "--output-dir", str(output_dir)])
    except SystemExit as exit_:  # argparse's own checks
        code = exit_.code
    out, err = capsys.readouterr()
    assert code != 0 and out == ""
    assert output_dir.exists() == existed
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def protocol_file(tmp_path):
    """Write the digits protocol's fields, changed by ``edit``, to a JSON file."""
    def write(edit, text=None):
        fields = json.loads(PROTOCOLS["digits"].to_json())
        edit(fields)
        path = tmp_path / "protocol.json"
        path.write_text(text if text is not None else json.dumps(fields))
        return str(path)
    return write


@pytest.mark.parametrize("field", ["normal", "anomalies", "name"])
def test_protocol_missing_a_field(capsys, tmp_path, protocol_file, field):
    line = fails(capsys, ["simulate", protocol_file(lambda f: f.pop(field))], tmp_path / "out")
    assert "protocol.json: the protocol misses " + field in line
    assert "(required)" in line


def test_protocol_with_an_unknown_field(capsys, tmp_path, protocol_file):
    line = fails(capsys, ["simulate", protocol_file(lambda f: f.update(colour="red"))],
                 tmp_path / "out")
    assert "unknown field(s) colour; its fields are name, dataset" in line


def test_malformed_protocol_names_the_file(capsys, tmp_path, protocol_file):
    path = protocol_file(lambda f: None, text='{"name": "x",,}')
    line = fails(capsys, ["benchmark", path], tmp_path / "out")
    assert f"{path} is not valid JSON" in line and "line 1, column 14" in line


def test_protocol_class_that_is_not_a_class(capsys, tmp_path, protocol_file):
    path = protocol_file(lambda f: f.update(normal=["0", "7x"]))
    line = fails(capsys, ["simulate", path], tmp_path / "out")
    assert "'7x' is not a class of this dataset; give a name (0, 1," in line


def test_npz_without_labels(capsys, tmp_path, protocol_file):
    np.savez(tmp_path / "images.npz", x=np.zeros((3, 28, 28)))
    path = protocol_file(lambda f: f.update(dataset="mnist"))
    line = fails(capsys, ["simulate", path, "--data", str(tmp_path / "images.npz")],
                 tmp_path / "out")
    assert "images.npz has arrays x; expected images and labels" in line


@pytest.mark.parametrize("shape", [(100, 784), (100, 1, 28, 28)])
def test_npz_with_images_of_the_wrong_shape(capsys, tmp_path, protocol_file, shape):
    np.savez(tmp_path / "images.npz", x=np.zeros(shape), y=np.arange(100) % 3)
    path = protocol_file(lambda f: f.update(dataset="mnist"))
    line = fails(capsys, ["simulate", path, "--data", str(tmp_path / "images.npz")],
                 tmp_path / "out")
    assert f"images of shape {shape}, expected (n, height, width)" in line


def test_npz_with_too_few_of_a_class(capsys, tmp_path, protocol_file):
    np.savez(tmp_path / "images.npz", x=np.zeros((30, 28, 28)), y=np.arange(30) % 3)
    path = protocol_file(lambda f: f.update(dataset="mnist"))
    line = fails(capsys, ["simulate", path, "--data", str(tmp_path / "images.npz")],
                 tmp_path / "out")
    assert "needs 160 objects of class '0' but the dataset has 10; use fewer rounds" in line


@pytest.mark.parametrize("argv", [["benchmark", "digits", "--seeds", "0"],
                                  ["simulate", "--questions", "0"],
                                  ["simulate", "--rounds", "-3"]])
def test_counts_that_would_run_nothing(capsys, tmp_path, argv):
    line = fails(capsys, argv, tmp_path / "out")
    assert "would run nothing; give 1 or more (see astronomaly-ahunt " in line


def test_data_given_to_a_protocol_that_takes_none(capsys, tmp_path):
    line = fails(capsys, ["simulate", "--data", "/nonexistent"], tmp_path / "out")
    assert "takes no --data (got /nonexistent); drop --data" in line


@pytest.mark.parametrize("command", ["simulate", "benchmark"])
def test_output_folder_with_results_is_not_replaced(capsys, tmp_path, command):
    out = tmp_path / "out"
    out.mkdir()
    (out / "rounds.csv").write_text("earlier results")
    argv = [command, "digits"] + (["--seeds", "1"] if command == "benchmark" else [])
    line = fails(capsys, argv, out)
    assert f"{out} already holds results (rounds.csv)" in line and "--force" in line
    assert (out / "rounds.csv").read_text() == "earlier results"


@pytest.mark.parametrize("command", ["simulate", "benchmark", "compare"])
def test_output_folder_that_cannot_hold_results_is_refused_before_any_work(capsys, tmp_path,
                                                                           command):
    argv = {"simulate": ["simulate", "digits"], "benchmark": ["benchmark", "digits"],
            "compare": ["compare", "--data", "digits"]}[command]
    a_file = tmp_path / "results.txt"
    a_file.write_text("kept")
    assert "is a file: name a folder" in fails(capsys, argv, a_file)
    assert f"is under a file ({a_file})" in fails(capsys, argv, a_file / "out")
    assert "cannot be written" in fails(capsys, argv, Path("/proc/ahunt_out"))
    assert a_file.read_text() == "kept" and sorted(tmp_path.iterdir()) == [a_file]


def test_version_answers_in_one_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip().startswith("astronomaly-ahunt 0.")


def test_missing_first_data_names_the_install_without_pytorch(capsys, tmp_path, monkeypatch):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *args: None if name == "firstgalaxydata"
                        else find_spec(name, *args))
    line = fails(capsys, ["simulate", "first-radio"], tmp_path / "out")
    assert "pip install --no-deps firstgalaxydata (its zip of images is all this needs" in line


def test_help_answers_without_tensorflow():
    probe = ("import sys\n"
             "from astronomaly_ahunt.cli import main\n"
             "for argv in ([], ['simulate'], ['benchmark'], ['compare']):\n"
             "    try:\n"
             "        main(argv + ['--help'])\n"
             "    except SystemExit:\n"
             "        pass\n"
             "heavy = ('tensorflow', 'keras', 'pandas', 'sklearn', 'matplotlib')\n"
             "print('loaded:', [m for m in heavy if m in sys.modules])\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True,
                          text=True, check=True)
    assert "68% band" in done.stdout and "%%" not in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "loaded: []"


def test_tensorflow_start_up_log_reaches_no_one():
    ours = "ASTRONOMALY_AHUNT_SET_TF_LOG_LEVEL"  # quiet_tensorflow.OURS_VARIABLE, without TF here
    env = {k: v for k, v in os.environ.items()
           if k not in ("TF_CPP_MIN_LOG_LEVEL", ours)}
    probe = "import astronomaly_ahunt.engine.model as m; m.tf.constant(1.0) + 1"
    # a fresh process, and one that inherits the level we set (a Dask worker)
    for extra in ({}, {"TF_CPP_MIN_LOG_LEVEL": "2", ours: "1"}):
        done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, env={**env, **extra},
                              capture_output=True, text=True, check=True)
        assert done.stderr == ""
