"""The page's labels recorded press by press in the label journal: many
presses at once, a kill, Delete Labels, a Retrain's compaction and a cut
``ml_scores.csv``, each followed by a restart's restore."""

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from astronomaly_ahunt.stages.label_journal import append_labels, journal_path, read_journal

IDS = [f"obj_{i:04d}" for i in range(400)]


def test_a_line_cut_by_a_kill_is_dropped_and_never_glued_to_the_next(tmp_path, capsys):
    path = str(tmp_path / "ml_scores.journal")
    append_labels(path, pd.Series({"a": 5, "b,with comma": 0, "a ": 3}))
    with open(path, "a") as journal:
        journal.write("c,4\nnot a label\nd,")  # a bad line, then a press cut mid-write
    labels = read_journal(path)
    assert labels.to_dict() == {"a": 5, "b,with comma": 0, "a ": 3, "c": 4}
    out = capsys.readouterr().out
    assert "cut short by a kill" in out and "1 line(s) that are not 'id,label'" in out
    append_labels(path, pd.Series({"d": 2, "a": -1}))
    assert read_journal(path).to_dict() == {"a": -1, "b,with comma": 0, "a ": 3, "c": 4,
                                            "d": 2}


class _Session:
    """What the Retrain stage's save asks of the session."""

    def __init__(self, labels=None):
        self.ids = pd.Index(IDS)
        self._labels = labels if labels is not None else pd.Series(dtype=int)

    def labels_as_values(self):
        return self._labels

    def positions(self, ids):
        from astronomaly_ahunt.stages.session import positions
        return positions(self.ids, ids)

    def lookup(self, ids):
        return self.ids.get_indexer(ids.astype(str))


def _page(tmp_path, session=None):
    from astronomaly_ahunt.stages.human_loop_learning import AhuntActiveLearning
    frame = pd.DataFrame({"score": np.linspace(0, 5, len(IDS)), "human_label": -1}, index=IDS)
    stage = AhuntActiveLearning(session or _Session(), anomaly_scores=frame,
                                output_dir=str(tmp_path))
    return frame, stage


def _restored(tmp_path, session=None):
    from astronomaly_ahunt.stages.session import with_saved_labels
    blank = pd.DataFrame({"score": 0.0}, index=IDS)
    return with_saved_labels(blank, str(tmp_path), session)["human_label"]


def test_400_presses_from_8_threads_at_once_all_survive_a_kill(tmp_path):
    frame, stage = _page(tmp_path)
    page_lock = threading.Lock()  # the page's own frame; its races are not ours
    path = str(tmp_path / "ml_scores.csv")

    def press(k):
        # what the server does on /label: set the label in its frame, then
        # save a copy of the frame made outside any lock of ours
        with page_lock:
            frame.loc[IDS[k], "human_label"] = k % 6
            copy = frame.astype({"human_label": "int"})
        stage.save(copy, path, "csv")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(press, range(400)))
    lines = open(journal_path(str(tmp_path))).read().splitlines()
    # each press recorded once (by its own save or a later one that saw it
    # first): O(changes) a press, not O(objects)
    assert len(lines) <= 400 and len({line.split(",")[0] for line in lines}) == 400
    assert not (tmp_path / "ml_scores.csv").exists()  # nothing rewritten whole per press
    # a kill: the stage is gone, a restart reads what is on disk
    assert _restored(tmp_path).tolist() == [k % 6 for k in range(400)]


def test_deletes_stay_deleted_and_a_retrain_compacts_the_journal(tmp_path, monkeypatch):
    from astronomaly_ahunt.stages import human_loop_learning
    # a person deletes seconds after labelling; the test does not wait
    monkeypatch.setattr(human_loop_learning, "RACE_WINDOW", 0.0)
    frame, stage = _page(tmp_path)
    path = str(tmp_path / "ml_scores.csv")
    for k in range(10):
        frame.loc[IDS[k], "human_label"] = 5
        stage.save(frame, path, "csv")
    frame["human_label"] = -1  # Delete Labels: in the page's memory only
    frame.loc[IDS[20], "human_label"] = 3  # the next press carries the deletes
    stage.save(frame, path, "csv")
    restored = _restored(tmp_path)
    assert restored[IDS[20]] == 3 and (restored.drop(IDS[20]) == -1).all()

    stage._save_page_labels(frame["human_label"])  # what a Retrain ends with
    assert not (tmp_path / "ml_scores.journal").exists()
    assert pd.read_csv(path, index_col=0)["human_label"].tolist() == frame["human_label"].tolist()
    frame.loc[IDS[21], "human_label"] = 4
    stage.save(frame, path, "csv")
    assert open(journal_path(str(tmp_path))).read() == f"{IDS[21]},4\n"
    assert _restored(tmp_path)[[IDS[20], IDS[21]]].tolist() == [3, 4]


@pytest.mark.parametrize("cut", ["mid-line", "at a line end"])
def test_a_cut_ml_scores_gives_way_to_the_session_and_the_presses_since(tmp_path, capsys, cut):
    frame, stage = _page(tmp_path)
    path = tmp_path / "ml_scores.csv"
    frame.loc[IDS[:30], "human_label"] = 0
    frame.loc[IDS[:3], "human_label"] = 5
    stage._save_page_labels(frame["human_label"])  # a Retrain; the session saved the same
    session = _Session(frame.loc[frame["human_label"] >= 0, "human_label"])
    frame.loc[IDS[399], "human_label"] = 4
    stage.save(frame, str(path), "csv")  # a press after it
    text = path.read_text()
    end = int(len(text) * 0.97)
    path.write_text(text[:end] if cut == "mid-line" else text[:text.rindex("\n", 0, end) + 1])
    restored = _restored(tmp_path, session)
    assert "ml_scores.csv cannot be read" in capsys.readouterr().out
    assert restored.tolist() == frame["human_label"].tolist()


def test_after_a_random_sort_a_refused_press_blocks_no_later_press_nor_the_retrain(tmp_path):
    frame, stage = _page(tmp_path)
    path = str(tmp_path / "ml_scores.csv")
    # the page's Random sort replaces its frame; the stage still holds the old one
    page = frame.loc[np.random.default_rng(0).permutation(IDS)]
    for obj, label in (("ghost", 5), (IDS[7], 9)):
        page.loc[obj, "human_label"] = label  # what /label does, unchecked
        with pytest.raises(ValueError, match=f"label refused for 1 object.*{obj}"):
            stage.save(page.astype({"human_label": "int"}), path, "csv")
    assert "ghost" in page.index and page.loc[IDS[7], "human_label"] == 9  # out of our reach
    page.loc[IDS[8], "human_label"] = 4
    stage.save(page.astype({"human_label": "int"}), path, "csv")  # answered: nothing new refused
    assert _restored(tmp_path)[[IDS[7], IDS[8]]].tolist() == [-1, 4]
    # the Retrain gets the page's own frame: what was refused leaves it there
    features = pd.DataFrame({"latent_00": 0.0}, index=IDS)
    combined = stage.combine_data_frames(features, page)
    assert "ghost" not in page.index and page.loc[IDS[7], "human_label"] == -1
    assert len(combined) == len(IDS) and stage.anomaly_scores is page


def test_a_label_unset_by_two_presses_at_once_is_not_taken_for_a_delete(tmp_path):
    frame, stage = _page(tmp_path)
    path = str(tmp_path / "ml_scores.csv")
    frame.loc[IDS[0], "human_label"] = 5
    stale = frame.astype({"human_label": "int"})
    stale.loc[IDS[0], "human_label"] = -1  # the server's frame lost it to another press
    stale.loc[IDS[1], "human_label"] = 3
    stage.save(frame.astype({"human_label": "int"}), path, "csv")
    stage.save(stale, path, "csv")
    assert _restored(tmp_path)[[IDS[0], IDS[1]]].tolist() == [5, 3]
    # the Retrain trains on the acknowledged label, not on the frame's loss
    frame.loc[IDS[0], "human_label"] = -1
    frame.loc[IDS[1], "human_label"] = 3
    stage.combine_data_frames(pd.DataFrame({"latent_00": 0.0}, index=IDS), frame)
    assert frame.loc[IDS[0], "human_label"] == 5
