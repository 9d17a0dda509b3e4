"""The AHUNT stages driven the way Astronomaly's frontend drives them
(label -> save csv -> combine -> run -> copy columns -> sort), without Astronomaly."""

import numpy as np
import pandas as pd
import pytest

from conftest import small_hunter

# trains a CNN: deselect with -m "not slow" for a quick run
pytestmark = pytest.mark.slow

N_Q = 10


@pytest.fixture(scope="module")
def truth(cutouts):
    return pd.read_csv(cutouts / "truth.csv", index_col=0)["label"]


def build(cutouts, output_dir):
    from astronomaly_ahunt.experiments.example_data import read_catalogue
    from astronomaly_ahunt.stages.image_folder import ImageFolderDataset
    from astronomaly_ahunt.stages.label_mapping import LabelMapping
    from astronomaly_ahunt.stages.pipeline import ahunt_pipeline
    dataset = ImageFolderDataset(directory=str(cutouts / "images"), output_dir=str(output_dir))
    mapping = LabelMapping({0: ("0", "normal", 0), 1: ("1", "normal", 0)})
    return ahunt_pipeline(dataset, str(output_dir), known_labels=read_catalogue(cutouts),
                          hunter=small_hunter(epochs=4), label_mapping=mapping, n_questions=N_Q)


@pytest.fixture(scope="module")
def replayed(cutouts, truth, tmp_path_factory):
    """Two rounds of ten labels, as a person would give them on the page."""
    from astronomaly_ahunt.experiments.compare.replay import FrontendReplay
    out = tmp_path_factory.mktemp("session")
    pipeline = build(cutouts, out)
    page = FrontendReplay(pipeline)
    features_before = pipeline["features"].copy()
    vis_before = pipeline["visualisation"].copy()
    rounds = []
    for _ in range(2):
        asked = page.next_unlabelled(N_Q)
        for obj in asked:
            page.label(obj, truth[obj])
        assert page.retrain()
        rounds.append({"asked": asked, "order": page.anomaly_scores.index.tolist(),
                       "acquisition": page.anomaly_scores["acquisition"].copy()})
    # as saved after the two rounds, before any test runs another
    saved = {name: (out / name).read_text() for name in ("ahunt_session/hunter.json",
                                                         "ml_scores.csv")}
    return dict(out=out, pipeline=pipeline, page=page, rounds=rounds, saved=saved,
                features_before=features_before, vis_before=vis_before)


def test_retrain_updates_the_frontends_frames_and_ranks_ahunt_questions_first(replayed, truth):
    pipeline, page, rounds = replayed["pipeline"], replayed["page"], replayed["rounds"]
    scores = page.anomaly_scores
    # every object got every column, on the page's scales
    assert scores.index.sort_values().equals(truth.index.astype(str).sort_values())
    for column in ("trained_score", "predicted_user_score", "acquisition"):
        assert scores[column].notna().all()
    assert scores["trained_score"].between(0, 5).all()
    assert set(scores["predicted_user_score"]) <= {0.0, 1.0, 3.0, 5.0}
    # each object got its own score (the stage hands them over in the page's order)
    session = pipeline["active_learning"].session
    np.testing.assert_array_equal(scores["trained_score"].to_numpy(),
                                  session.scores[session.positions(scores.index)])
    # the frontend's own frames changed in place: the latent space evolved
    features = pipeline["features"]
    assert page.features is features and features.shape == (372, 64)
    assert not np.allclose(features.to_numpy(), replayed["features_before"].to_numpy())
    assert not np.allclose(pipeline["visualisation"].to_numpy(),
                           replayed["vis_before"].to_numpy())
    # the page lists the next round's questions first, unlabelled before labelled
    stage = pipeline["active_learning"]
    assert (stage.column_to_sort_by, stage.show_unlabelled_first) == ("acquisition", True)
    first = scores.iloc[:N_Q]
    assert (first["human_label"] == -1).all() and (first["acquisition"] > 5).all()
    assert (scores["human_label"] != -1).sum() == 20
    assert scores["human_label"].iloc[-20:].ne(-1).all()
    # the second Retrain, after ten new labels, changed the ranking
    assert rounds[0]["order"][:N_Q] != rounds[1]["order"][:N_Q]
    # measured: 3 of the 12 anomalies among the score-sorted first ten, then
    # 7 of AHUNT's ten questions (a random pick finds 0.3 in ten)
    found = [int((truth[r["asked"]] == 5).sum()) for r in rounds]
    assert found[1] >= 5 and sum(found) >= 8


def test_session_is_saved_after_every_retrain_with_the_csv_of_labels(replayed, truth):
    import io
    import json
    state = json.loads(replayed["saved"]["ahunt_session/hunter.json"])
    asked = [i for r in replayed["rounds"] for i in r["asked"]]
    assert state["round"] == 2 and sorted(state["labelled_ids"]) == sorted(asked)
    assert state["taxonomy"]["classes"] == ["0", "1", "reserve", "label_5"]
    assert state["taxonomy"]["interest"] == {"policy": "fixed", "weights": {
        "reserve": 1.0, "label_3": 1.0, "label_4": 2.0, "label_5": 3.0}}
    csv = pd.read_csv(io.StringIO(replayed["saved"]["ml_scores.csv"]), index_col=0)
    labelled = csv["human_label"][csv["human_label"] != -1]
    assert sorted(labelled.index) == sorted(asked)
    assert (labelled == truth[labelled.index]).all()


def test_bad_inputs_name_the_problem_and_change_nothing(replayed):
    pipeline, page = replayed["pipeline"], replayed["page"]
    stage, hunter = pipeline["active_learning"], pipeline["active_learning"].session.hunter
    frame = stage.combine_data_frames(pipeline["features"], page.anomaly_scores)
    before = (hunter.round_, dict(hunter.labels_), pipeline["features"].to_numpy().copy())

    def unchanged():
        assert (hunter.round_, hunter.labels_) == before[:2]
        np.testing.assert_array_equal(pipeline["features"].to_numpy(), before[2])

    victim = frame.index[frame["human_label"] == -1][0]
    for value, message in ((7, r"0-5; 1 object\(s\) have other values \(" + victim + ": 7"),
                           (np.nan, "0-5; 1 object.*nan")):
        bad = frame.copy()
        bad["human_label"] = bad["human_label"].astype(float)
        bad.loc[victim, "human_label"] = value
        with pytest.raises(ValueError, match=message):
            stage.run(bad)
        unchanged()
    with pytest.raises(ValueError, match=r"not in this AHUNT session \(first: \['nosuchobject'\]"):
        stage.run(pd.concat([frame, frame.iloc[:1].rename(index=lambda _: "nosuchobject")]))
    unchanged()
    with pytest.raises(ValueError, match="no object is labelled"):
        stage.run(frame.assign(human_label=-1))
    unchanged()
    # NaN features do not drop an object: every id still comes back
    with_nan = frame.copy()
    with_nan.iloc[:5, 0] = np.nan
    output = stage.run(with_nan)
    assert output.index.sort_values().equals(frame.index.sort_values())
    assert hunter.round_ == before[0] + 1


def test_unreadable_and_nan_cutouts_are_reported_not_fatal(cutouts, tmp_path, capsys):
    from astronomaly_ahunt.stages.astronomaly_compat import FallbackDataset
    from astronomaly_ahunt.stages.feature_extraction import AhuntFeatures
    from astronomaly_ahunt.stages.image_folder import ImageFolderDataset
    folder = tmp_path / "imgs"
    folder.mkdir()
    for i, src in enumerate(sorted((cutouts / "images").iterdir())[:40]):
        (folder / src.name).write_bytes(src.read_bytes())
    (folder / "broken.png").write_bytes(b"not a png")
    dataset = ImageFolderDataset(directory=str(folder), output_dir=str(tmp_path))
    stage = AhuntFeatures(hunter=small_hunter(), output_dir=str(tmp_path / "out"))
    features = stage.run_on_dataset(dataset)
    assert features.shape == (40, 64) and "broken" not in features.index
    assert list(stage.skipped_) == ["broken"] and "UnidentifiedImageError" in stage.skipped_["broken"]
    printed = capsys.readouterr().out
    assert "1 object(s) could not be read and are left out: broken" in printed
    assert "one class 'normal' from 40 objects" in printed

    class Arrays(FallbackDataset):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.index = np.array(["a", "b", "c"])

        def get_sample(self, idx):
            x = np.arange(64.0).reshape(8, 8)
            return np.where(np.eye(8, dtype=bool), np.nan, x) if idx == "b" else x

    stage = AhuntFeatures(hunter=small_hunter(), output_dir=str(tmp_path / "nan"))
    assert stage.run_on_dataset(Arrays(output_dir=str(tmp_path))).shape == (3, 64)
    assert "NaN pixels set to 0 in 1 object(s), first ['b']" in capsys.readouterr().out
    strict = AhuntFeatures(hunter=small_hunter(), drop_nans=False,
                           output_dir=str(tmp_path / "strict"))
    with pytest.raises(ValueError, match="object 'b' has NaN"):
        strict.run_on_dataset(Arrays(output_dir=str(tmp_path)))


def test_a_server_killed_during_retrain_resumes_every_label_and_the_round(cutouts, truth,
                                                                          tmp_path):
    from astronomaly_ahunt.experiments.compare.replay import FrontendReplay
    page = FrontendReplay(build(cutouts, tmp_path))
    first = page.next_unlabelled(6)
    for obj in first:
        page.label(obj, truth[obj])
    page.retrain()
    later = page.next_unlabelled(4)
    for obj in later:
        page.label(obj, truth[obj])
    hunter = page.active_learning.session.hunter

    def killed(*args, **kwargs):
        raise KeyboardInterrupt("server killed mid-Retrain")

    hunter.net_.train = killed
    with pytest.raises(KeyboardInterrupt):
        page.retrain()

    resumed = build(cutouts, tmp_path)  # a restarted server runs run_pipeline() again
    again = resumed["active_learning"].session.hunter
    assert again.round_ == 1 and sorted(again.labels_) == sorted(first)
    labels = resumed["anomaly_scores"]["human_label"]
    assert sorted(labels.index[labels != -1]) == sorted(first + later)
    assert (labels[first + later] == truth[first + later]).all()
    FrontendReplay(resumed).retrain()
    assert again.round_ == 2 and sorted(again.labels_) == sorted(first + later)
