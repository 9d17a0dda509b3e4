"""The label mapping and the fallback stage base, without TensorFlow."""

import numpy as np
import pandas as pd
import pytest

from astronomaly_ahunt.stages.astronomaly_compat import FallbackPipelineStage
from astronomaly_ahunt.stages.label_mapping import LabelMapping
from astronomaly_ahunt.engine.taxonomy import Taxonomy


def test_default_mapping_makes_0_normal_1_2_boring_and_3_to_5_ever_more_interesting():
    mapping = LabelMapping.default()
    assert [mapping.class_of(v) for v in range(6)] == ["normal"] + [f"label_{v}" for v in range(1, 6)]
    assert mapping.kinds() == {"normal": "normal", "label_1": "normal", "label_2": "normal",
                               "label_3": "anomaly", "label_4": "anomaly", "label_5": "anomaly"}
    tax = Taxonomy(["normal"])
    tax.interest = mapping.interest_policy(tax.reserve)
    assert tax.interest_weights() == [0.0, 1.0]  # nothing labelled yet: all on the reserve
    for name in ("label_1", "label_3", "label_5", "label_2"):
        tax.add_class(name, mapping.kinds()[name])
    assert tax.classes == ["normal", "reserve", "label_1", "label_3", "label_5", "label_2"]
    assert tax.normal == ["normal", "label_1", "label_2"]
    assert tax.interest_weights() == [0.0, 0.2, 0.0, 0.2, 0.6, 0.0]
    assert mapping.value_of("label_4", 0) == 4 and mapping.value_of("normal", 0) == 0
    assert mapping.lowest_interesting_value() == 3


def test_custom_mapping_and_its_errors():
    mapping = LabelMapping({0: ("galaxy", "normal", 0), 1: ("galaxy", "normal", 0),
                            5: ("lens", "anomaly", 4.0)}, reserve_interest=1.0)
    assert mapping.class_of(1) == "galaxy" and mapping.value_of("galaxy", -1) == 1
    assert dict(mapping.interest_policy("reserve").by_class) == {
        "reserve": 1.0, "label_3": 1.0, "label_4": 2.0, "lens": 4.0}
    with pytest.raises(ValueError, match="not one of the page's labels"):
        LabelMapping({7: ("x", "anomaly", 1)})
    with pytest.raises(ValueError, match="is normal, so its interest must be 0"):
        LabelMapping({0: ("galaxy", "normal", 1)})
    with pytest.raises(ValueError, match="reserve class's name"):
        LabelMapping({5: ("reserve", "anomaly", 1)}).interest_policy("reserve")
    with pytest.raises(ValueError, match="two kinds or interests"):
        LabelMapping({4: ("x", "anomaly", 1), 5: ("x", "anomaly", 2)})
    labels = pd.Series([-1, 3, 6], index=["a", "b", "c"])
    with pytest.raises(ValueError, match=r"1 object\(s\) have other values \(c: 6\)"):
        mapping.check_labels(labels)


class Doubler(FallbackPipelineStage):
    calls = 0

    def __init__(self, factor=2, **kwargs):
        super().__init__(factor=factor, **kwargs)
        self.factor = factor
        self.labels = ["first", "second"]

    def _execute_function(self, data):
        Doubler.calls += 1
        return data * self.factor


def test_fallback_stage_caches_like_astronomaly_but_survives_hyphens(tmp_path):
    out = str(tmp_path / "with-hyphen")
    frame = pd.DataFrame({"x": [1.0, 2.0, np.nan]}, index=["a", "b", "c"])
    first = Doubler(output_dir=out).run(frame)
    assert first.index.tolist() == ["a", "b"] and Doubler.calls == 1  # NaN row dropped
    again = Doubler(output_dir=out).run(frame)
    assert Doubler.calls == 1 and again["x"].tolist() == [2.0, 4.0]  # from the cache
    Doubler(output_dir=out, force_rerun=True).run(frame)
    assert Doubler.calls == 2
    assert Doubler(factor=3, output_dir=out).run(frame)["x"].tolist() == [3.0, 6.0]
    assert Doubler.calls == 3
    Doubler(output_dir=out, drop_nans=False).run(frame)
    assert Doubler.calls == 4
    log = (tmp_path / "with-hyphen" / "astronomaly.log").read_text()
    assert "Doubler(factor=3, output_dir=" in log and "previously called" in log

    class Rows:
        index = np.array(["p", "q", "r"])

        def get_sample(self, idx):
            return {"p": np.array([1.0, 2.0]), "q": np.array([5.0, 5.0]),
                    "r": np.array([np.nan, 1.0])}[idx]

    features = Doubler(output_dir=out, save_output=False).run_on_dataset(Rows())
    # an all-equal sample holds no data and is skipped; NaN becomes 0
    assert features.index.tolist() == ["p", "r"]
    assert features.to_numpy().tolist() == [[2.0, 4.0], [0.0, 2.0]]


def test_ahunt_stages_write_atomically_and_never_read_a_cache(tmp_path, monkeypatch):
    from astronomaly_ahunt.stages.astronomaly_compat import AhuntStage

    class Stage(AhuntStage):
        def _execute_function(self, data):
            return data * 2

    # a file cut short by a killed server is never read at construction
    (tmp_path / "Stage_output.csv").write_text("")
    stage = Stage(output_dir=str(tmp_path), file_format="csv")
    frame = pd.DataFrame({"a": [1.0, 2.0]}, index=["x", "y"])
    stage.save(frame, str(tmp_path / "ml_scores.csv"), "csv")
    before = (tmp_path / "ml_scores.csv").read_text()

    def killed_half_way(self, path, *args, **kwargs):
        with open(path, "w") as f:
            f.write("id,a\nx,")
        raise KeyboardInterrupt("killed while writing")

    monkeypatch.setattr(pd.DataFrame, "to_csv", killed_half_way)
    with pytest.raises(KeyboardInterrupt):
        stage.save(frame * 3, str(tmp_path / "ml_scores.csv"), "csv")
    assert (tmp_path / "ml_scores.csv").read_text() == before
    monkeypatch.undo()
    assert stage.run(frame).equals(frame * 2)
    assert stage.run(frame).equals(frame * 2)  # run again: computed again, not loaded


def test_presses_saved_at_once_from_many_threads_never_tear_the_file(tmp_path):
    """Flask answers each label press on its own thread: eight threads of 50
    saves each, at once, must all succeed and leave one whole file, written
    by one of them, and no temporary file behind."""
    from concurrent.futures import ThreadPoolExecutor

    from astronomaly_ahunt.stages.astronomaly_compat import AhuntStage, remove_stale_temporaries

    class Stage(AhuntStage):
        def _execute_function(self, data):
            return data

    stage = Stage(output_dir=str(tmp_path), file_format="csv")
    ids = [f"obj_{i:04d}" for i in range(400)]
    path = str(tmp_path / "ml_scores.csv")

    def press(k):
        labels = np.full(len(ids), -1)
        labels[:k + 1] = k % 6  # each press's frame differs from every other's
        stage.save(pd.DataFrame({"human_label": labels}, index=ids), path, "csv")
        return k

    with ThreadPoolExecutor(8) as pool:
        assert sorted(pool.map(press, range(400))) == list(range(400))
    saved = pd.read_csv(path, index_col=0)
    assert saved.index.tolist() == ids
    k = int((saved["human_label"] != -1).sum()) - 1  # the press whose frame this is
    assert saved["human_label"].tolist() == [k % 6] * (k + 1) + [-1] * (len(ids) - k - 1)
    assert [p.name for p in tmp_path.iterdir() if p.name != "astronomaly.log"] == \
        ["ml_scores.csv"]
    # what a kill mid-save leaves is removed at the next start, nothing else
    (tmp_path / ".ml_scores.csv.123.abc.tmp.csv").write_text("id,human_label\nobj_0")
    assert remove_stale_temporaries(str(tmp_path)) == 1
    assert [p.name for p in tmp_path.iterdir() if p.name != "astronomaly.log"] == \
        ["ml_scores.csv"]


def test_two_files_with_one_id_are_refused_with_their_name(tmp_path):
    from PIL import Image
    from astronomaly_ahunt.stages.image_folder import ImageFolderDataset
    for name in ("a.png", "a.jpg", "b.png"):
        Image.new("L", (8, 8)).save(tmp_path / name)
    with pytest.raises(ValueError, match=r"1 cutout id.*\['a'\]; rename them"):
        ImageFolderDataset(directory=str(tmp_path), output_dir=str(tmp_path / "out"))
