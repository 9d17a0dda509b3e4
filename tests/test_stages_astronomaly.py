"""The AHUNT stages under Astronomaly's real ``Controller`` (the object behind
its web page), when Astronomaly is installed."""

import shutil
import tempfile
import textwrap
from pathlib import Path

import pandas as pd
import pytest

# trains a CNN: deselect with -m "not slow" for a quick run
pytestmark = pytest.mark.slow

pytest.importorskip("astronomaly")

SCRIPT = """
from astronomaly.data_management.image_reader import ImageThumbnailsDataset
from astronomaly_ahunt import Hunter
from astronomaly_ahunt.experiments.example_data import read_catalogue
from astronomaly_ahunt.stages.label_mapping import LabelMapping
from astronomaly_ahunt.stages.pipeline import ahunt_pipeline


def run_pipeline():
    dataset = ImageThumbnailsDataset(directory={images!r}, output_dir={out!r})
    mapping = LabelMapping({{0: ("0", "normal", 0), 1: ("1", "normal", 0)}})
    return ahunt_pipeline(dataset, {out!r}, known_labels=read_catalogue({data!r}),
                          hunter=Hunter(epochs=4, initial_epochs=3, random_state=0),
                          label_mapping=mapping)
"""


@pytest.fixture(scope="module")
def workdir():
    # Astronomaly's log parser splits on '-', which pytest's tmp_path is full of
    path = Path(tempfile.mkdtemp(prefix="ahunt_", dir="/tmp"))
    assert "-" not in str(path)
    yield path
    shutil.rmtree(path)


def test_real_controller_labels_retrains_and_resumes(workdir):
    from astronomaly.base.base_pipeline import PipelineStage
    from astronomaly.frontend.interface import Controller
    from astronomaly_ahunt.experiments.example_data import write_digits_cutouts

    data = write_digits_cutouts(workdir / "data", n_anomalies=12, size=8)
    truth = pd.read_csv(data / "truth.csv", index_col=0)["label"]
    script = workdir / "ahunt_controller_pipeline.py"
    script.write_text(textwrap.dedent(SCRIPT.format(
        images=str(data / "images"), out=str(workdir / "out"), data=str(data))))

    controller = Controller(str(script))
    controller.run_pipeline()
    assert isinstance(controller.active_learning, PipelineStage)
    features = controller.features
    before = features.to_numpy().copy()
    controller.sort_ml_scores("score")
    asked = controller.anomaly_scores.index[:10].tolist()
    for obj in asked:
        controller.set_human_label(obj, float(truth[obj]))
    # each press is on disk before it is answered: in the label journal
    from astronomaly_ahunt.stages.label_journal import journal_path, read_journal
    pressed = read_journal(journal_path(str(workdir / "out")))
    assert (pressed[asked] == truth[asked]).all() and len(pressed) == len(asked)

    answer = controller.run_active_learning()
    assert answer == {"status": "success", "column_to_sort_by": "acquisition",
                      "show_unlabelled_first": True}
    assert controller.features is features and (features.to_numpy() != before).any()
    controller.sort_ml_scores(answer["column_to_sort_by"], answer["show_unlabelled_first"])
    scores = controller.anomaly_scores
    assert scores[["trained_score", "predicted_user_score", "acquisition"]].notna().all().all()
    assert (scores["acquisition"].iloc[:10] > 5).all()
    assert (scores["human_label"].iloc[:10] == -1).all()
    assert {"trained_score", "predicted_user_score", "acquisition"} <= set(
        controller.get_active_learning_columns())

    # a restarted server: the same script, run again in a new Controller
    again = Controller(str(script))
    again.run_pipeline()
    hunter = again.active_learning.session.hunter
    assert hunter.round_ == 1 and sorted(hunter.labels_) == sorted(asked)
    labels = again.anomaly_scores["human_label"]
    assert sorted(labels.index[labels != -1]) == sorted(asked)

    # a label outside 0-5 and one on an unknown id, sent through the page's
    # /label, are refused and leave the Controller's frame as it was
    victim = labels.index[labels == -1][0]
    with pytest.raises(ValueError, match=f"label refused for 1 object.*{victim}: label 7"):
        again.set_human_label(victim, 7.0)
    with pytest.raises(ValueError, match="ghost: not an object of this data set"):
        again.set_human_label("ghost", 5.0)
    assert "ghost" not in again.anomaly_scores.index
    assert again.anomaly_scores.loc[victim, "human_label"] == -1
    # Delete Labels, then one new label and Retrain: the deleted ones leave the
    # session and a restart does not bring them back
    again.delete_labels()
    again.set_human_label(victim, 0.0)
    assert again.run_active_learning()["status"] == "success"
    assert list(hunter.labels_) == [victim] and hunter.round_ == 2
    third = Controller(str(script))
    third.run_pipeline()
    labels = third.anomaly_scores["human_label"]
    assert labels.index[labels != -1].tolist() == [victim]


def test_presses_at_once_through_the_real_controller_all_survive_a_kill(workdir):
    """Flask answers each /label on its own thread: 8 threads pressing every
    one of the 372 objects through the real Controller's set_human_label at
    once, then the server is gone;
    a restart restores every one. Astronomaly sets a label in its frame
    without a lock, and presses at once can lose one another there: the
    Retrain stage writes each press again, under its lock, from the
    Controller's own arguments."""
    from concurrent.futures import ThreadPoolExecutor

    from astronomaly.frontend.interface import Controller
    from astronomaly_ahunt.experiments.example_data import write_digits_cutouts
    from astronomaly_ahunt.stages.session import with_saved_labels

    data = write_digits_cutouts(workdir / "data8", n_anomalies=12, size=8)
    script = workdir / "ahunt_presses_pipeline.py"
    script.write_text(textwrap.dedent(SCRIPT.format(
        images=str(data / "images"), out=str(workdir / "presses"), data=str(data))))
    controller = Controller(str(script))
    controller.run_pipeline()
    ids = controller.anomaly_scores.index.tolist()
    pressed = {obj: k % 6 for k, obj in enumerate(ids)}
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda obj: controller.set_human_label(obj, float(pressed[obj])), ids))
    blank = pd.DataFrame(index=controller.anomaly_scores.index)
    restored = with_saved_labels(blank, str(workdir / "presses"))["human_label"]
    assert restored[ids].tolist() == [pressed[obj] for obj in ids]
    # and the next Retrain trains on every one, whatever the frame lost
    assert controller.run_active_learning()["status"] == "success"
    assert controller.anomaly_scores.loc[ids, "human_label"].astype(int).tolist() == \
        [pressed[obj] for obj in ids]
    assert len(controller.active_learning.session.hunter.labels_) == len(ids)
    # after the page's Random sort (a new frame) an unknown id is refused and
    # taken out of the new list at once, and the next press goes through
    controller.randomise_ml_scores(True)
    shown = len(controller.anomaly_scores)
    with pytest.raises(ValueError, match="ghost: not an object of this data set"):
        controller.set_human_label("ghost", 5.0)
    assert len(controller.anomaly_scores) == shown == controller.get_max_id()
    controller.set_human_label(ids[0], 3.0)  # every object is labelled: a new answer
    assert controller.run_active_learning()["status"] == "success"
    assert controller.active_learning.session.hunter.labels_[ids[0]] == "label_3"
