import gzip

import numpy as np
import pytest

from astronomaly_ahunt.experiments.datasets import load_dataset, load_fashion_mnist, load_npz
from astronomaly_ahunt.experiments.protocols import PROTOCOLS, load_protocol


def _write_idx(path, array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def test_fashion_mnist_reads_idx_files_from_a_folder(tmp_path):
    rng = np.random.default_rng(0)
    train, test = rng.integers(0, 256, (5, 28, 28)), rng.integers(0, 256, (3, 28, 28))
    _write_idx(tmp_path / "train-images-idx3-ubyte.gz", train)
    _write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.array([0, 1, 2, 3, 9]))
    _write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", test)
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.array([4, 5, 6]))
    data = load_fashion_mnist(tmp_path)
    assert data.x.shape == (8, 28, 28, 1)
    np.testing.assert_allclose(data.x[6, ..., 0], test[1] / 255.0, rtol=1e-6)
    assert data.y.tolist() == [0, 1, 2, 3, 9, 4, 5, 6]
    assert data.names([9, 2]).tolist() == ["Ankle boot", "Pullover"]


def test_missing_fashion_mnist_names_both_ways_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist.*--data"):
        load_fashion_mnist(tmp_path / "nowhere")


def test_npz_in_keras_layout_is_pooled_and_scaled(tmp_path):
    x = np.full((4, 28, 28), 255, np.uint8)
    np.savez(tmp_path / "mnist.npz", x_train=x[:3], y_train=[0, 1, 2], x_test=x[3:], y_test=[7])
    data = load_npz(tmp_path / "mnist.npz")
    assert data.x.shape == (4, 28, 28, 1) and data.x.max() == 1.0
    assert data.y.tolist() == [0, 1, 2, 7]
    with pytest.raises(FileNotFoundError, match="--data PATH.npz"):
        load_dataset("mnist")


def test_protocols_fit_their_default_data_and_files_load(tmp_path, digits):
    from astronomaly_ahunt.experiments.simulate import draw_rounds
    protocol = PROTOCOLS["digits"]
    initial, rounds = draw_rounds(protocol, digits, np.random.default_rng(0))
    assert np.bincount(digits.y[initial]).tolist() == [40, 60]
    assert [np.bincount(digits.y[r]).tolist() for r in rounds] == [[8, 8, 2]] * 15
    every = np.concatenate([initial] + rounds)
    assert len(np.unique(every)) == len(every)  # no object drawn twice
    with pytest.raises(ValueError, match="needs 4136 objects of class '0' but the dataset has 178"):
        draw_rounds(protocol.with_overrides(rounds=512), digits, np.random.default_rng(0))
    (tmp_path / "p.json").write_text(protocol.with_overrides(name="mine", n_q=3).to_json())
    assert load_protocol(str(tmp_path / "p.json")) == protocol.with_overrides(name="mine", n_q=3)
    with pytest.raises(ValueError, match="known protocols: digits"):
        load_protocol("no-such-protocol")
