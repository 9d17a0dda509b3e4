"""Astronomaly's own active learning (``neighbourscore``) as a benchmark method,
when Astronomaly is installed."""

import logging
import tempfile

import numpy as np
import pytest

from astronomaly_ahunt.experiments.methods import build_runners
from astronomaly_ahunt.experiments.protocols import PROTOCOLS
from astronomaly_ahunt.experiments.simulate import draw_rounds, run_rounds

# trains a CNN: deselect with -m "not slow" for a quick run
pytestmark = pytest.mark.slow

pytest.importorskip("astronomaly")

PROTOCOL = PROTOCOLS["digits"].with_overrides(rounds=3)
METHODS = ["neighbourscore", "iforest-raw"]


def _run(digits, seed=0):
    runners = build_runners(METHODS, PROTOCOL, seed)
    records = run_rounds(runners, PROTOCOL, digits, seed)
    initial, rounds = draw_rounds(PROTOCOL, digits, np.random.default_rng(seed))
    final = runners[0].evaluate(digits.x[np.concatenate(rounds)])["neighbourscore"].score
    return records, final, runners[0]


@pytest.fixture(scope="module")
def two_runs(digits):
    first = _run(digits)
    # the runner must not depend on where NumPy's global generator happens to be
    np.random.random(7)
    return first, _run(digits)


def test_neighbourscore_asks_n_q_a_round_and_scores_everything_seen(two_runs):
    (records, final, runner), _ = two_runs
    assert [r["method"] for r in records] == METHODS * PROTOCOL.rounds
    for rec in records:
        assert np.isfinite([rec["mcc_topk"], rec["auc"], rec["seconds_score"]]).all()
        assert rec["asked"] == (PROTOCOL.n_q if rec["method"] == "neighbourscore" else 0)
    assert np.isfinite(final).all() and len(final) == records[-1]["n_seen"]
    # answers on Astronomaly's 0-5 scale, n_q of them a round
    labelled = runner.labels_[runner.labels_ != -1]
    assert set(labelled) <= {0, 5} and len(labelled) == PROTOCOL.n_q * PROTOCOL.rounds


def test_neighbourscore_runs_are_reproducible(two_runs):
    (records, final, runner), (records2, final2, runner2) = two_runs
    timing = ("seconds_start", "seconds_select", "seconds_retrain", "seconds_score",
              "peak_rss_mb")
    for a, b in zip(records, records2):
        assert {k: v for k, v in a.items() if k not in timing} == \
            {k: v for k, v in b.items() if k not in timing}
    np.testing.assert_array_equal(runner.labels_, runner2.labels_)
    np.testing.assert_array_equal(final, final2)


def test_neighbourscore_writes_no_files_and_leaves_logging_alone(digits, tmp_path,
                                                                monkeypatch):
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    monkeypatch.chdir(tmp_path)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    runner, = build_runners(["neighbourscore"], PROTOCOL, 0)
    initial, rounds = draw_rounds(PROTOCOL, digits, np.random.default_rng(0))
    runner.start(digits.x[initial], digits.names(digits.y[initial]), 0)
    for batch in rounds[:2]:
        runner.step(digits.x[batch], batch, PROTOCOL.n_q,
                    lambda ids: digits.names(digits.y[np.asarray(ids)]))
    runner.evaluate(digits.x[np.concatenate(rounds[:2])])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tmp"]
    assert not any((tmp_path / "tmp").iterdir())
    assert root.handlers == handlers and root.level == level
