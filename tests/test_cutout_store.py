"""The cutout store, chunked passes over it, and scoring them on Dask."""

import os
from pathlib import Path

import numpy as np
import pytest

from conftest import small_hunter

# trains a CNN: deselect with -m "not slow" for a quick run
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    from astronomaly_ahunt.experiments.example_data import write_digits_cutouts
    cutouts = write_digits_cutouts(tmp_path_factory.mktemp("digits"), n_anomalies=4, size=8)
    folder = tmp_path_factory.mktemp("fifty")
    for src in sorted((cutouts / "images").iterdir())[:50]:
        (folder / src.name).write_bytes(src.read_bytes())
    return folder


def dataset_of(folder, output_dir):
    from astronomaly_ahunt.stages.image_folder import ImageFolderDataset
    return ImageFolderDataset(directory=str(folder), output_dir=str(output_dir))


def test_store_holds_model_input_in_chunks_and_is_reused_until_a_file_changes(folder, tmp_path,
                                                                             capsys):
    from PIL import Image
    from astronomaly_ahunt.stages.cutout_store import CutoutStore, to_model_input
    dataset = dataset_of(folder, tmp_path)
    store = CutoutStore.build(dataset, tmp_path / "store", chunk_size=16)
    assert list(store.ids) == sorted(dataset.index)
    assert store.images.array.dtype == np.float16 and store.images.array.chunks == (16, 8, 8, 1)
    expected = np.stack([to_model_input(dataset.get_sample(i)) for i in store.ids])
    assert np.abs(store.images[:] - expected).max() < 1e-3
    assert np.array_equal(store.images[[7, 2]], store.images[:][[7, 2]])
    # the chunks are written without zarr, the edge chunk too: zarr reads them all
    assert np.array_equal(np.asarray(store.images.array[:]), store.images.read(slice(None)))
    assert "stored 50 cutouts" in capsys.readouterr().out

    again = CutoutStore.build(dataset_of(folder, tmp_path), tmp_path / "store", chunk_size=16)
    assert "reusing the 50 stored cutouts" in capsys.readouterr().out
    assert np.array_equal(again.images[:], store.images[:])

    # an index cut short by a kill is a cache: read again, with a warning naming it
    state = tmp_path / "store" / "store.json"
    state.write_text(state.read_text()[:20])
    again = CutoutStore.build(dataset_of(folder, tmp_path), tmp_path / "store", chunk_size=16)
    out = capsys.readouterr().out
    assert f"the cutout store in {tmp_path / 'store'} cannot be read (JSONDecodeError" in out
    assert "stored 50 cutouts" in out and np.array_equal(again.images[:], store.images[:])
    assert [p.name for p in (tmp_path / "store").iterdir() if p.name.startswith(".")] == []

    changed = folder / f"{store.ids[5]}.png"
    original = changed.read_bytes()
    try:
        Image.fromarray(np.eye(8, dtype=np.uint8) * 255).save(changed)
        rebuilt = CutoutStore.build(dataset_of(folder, tmp_path), tmp_path / "store")
        assert "stored 50 cutouts" in capsys.readouterr().out
        assert np.array_equal(rebuilt.images[[5]][0, ..., 0], np.eye(8))
    finally:
        changed.write_bytes(original)


def test_a_survey_is_read_in_processes_into_the_same_store(folder, tmp_path, monkeypatch):
    from astronomaly_ahunt.stages import cutout_store
    from astronomaly_ahunt.stages.cutout_store import CutoutStore
    bad = tmp_path / "folder"
    bad.mkdir()
    for src in folder.iterdir():
        (bad / src.name).write_bytes(src.read_bytes())
    (bad / "broken.png").write_bytes(b"not a png")  # skipped and named, in a worker too
    threads = CutoutStore.build(dataset_of(bad, tmp_path), tmp_path / "threads", chunk_size=16)
    monkeypatch.setattr(cutout_store, "PROCESS_READ_FROM", 0)
    monkeypatch.setattr(cutout_store, "READ_BLOCK", 5)  # blocks across chunk ends
    forked = CutoutStore.build(dataset_of(bad, tmp_path), tmp_path / "forked", chunk_size=16,
                               n_workers=2)
    assert list(forked.ids) == list(threads.ids) and len(forked.ids) == 50
    assert np.array_equal(forked.images[:], threads.images[:])
    assert list(forked.skipped) == list(threads.skipped) == ["broken"]


def test_chunked_pass_matches_one_batch_and_restart_rescores_nothing(folder, tmp_path,
                                                                      monkeypatch, capsys):
    from astronomaly_ahunt.engine.model import AhuntNet
    from astronomaly_ahunt.stages.feature_extraction import AhuntFeatures
    out = tmp_path / "out"
    # 16 per chunk: 50 objects make three full chunks and a partial one
    stage = AhuntFeatures(hunter=small_hunter(), n_initial=30, chunk_size=16, output_dir=str(out))
    features = stage.run_on_dataset(dataset_of(folder, tmp_path))
    session = stage.session_
    latent, proba = session.hunter.latent_and_proba(session.images[:])
    assert session.images.chunk_size == 16
    assert np.allclose(features.to_numpy(), latent, atol=1e-5)
    assert np.allclose(session.latent_and_proba([9, 40])[1], proba[[9, 40]], atol=1e-5)

    def no_scoring(*args, **kwargs):
        raise AssertionError("a restart with an unchanged folder scored the objects again")

    def restart():
        with monkeypatch.context() as patched:
            patched.setattr(AhuntNet, "predict", no_scoring)
            return AhuntFeatures(chunk_size=16, output_dir=str(out)).run_on_dataset(
                dataset_of(folder, tmp_path))

    assert np.array_equal(restart().to_numpy(), features.to_numpy())
    hunter = session.hunter
    hunter.tell(list(session.ids[:3]), ["odd"] * 3, x=session.images[:3])
    hunter.retrain()
    session.save()
    initial = next(session.directory.glob("initial-*.npz"))
    written = initial.stat().st_mtime_ns
    latent, proba = session.latent_and_proba()
    session.save()
    assert initial.stat().st_mtime_ns == written  # the round-0 examples are not rewritten

    assert np.array_equal(restart().to_numpy(), latent)
    # the saved pass is a cache: cut by a kill, it costs one pass, not the start
    from astronomaly_ahunt.stages.session import PASS_FILE
    saved_pass = session.directory / PASS_FILE
    saved_pass.write_bytes(saved_pass.read_bytes()[:100])
    rescored = AhuntFeatures(chunk_size=16, output_dir=str(out)).run_on_dataset(
        dataset_of(folder, tmp_path))
    assert np.allclose(rescored.to_numpy(), latent, atol=1e-5)
    assert f"WARNING: {saved_pass} cannot be read (BadZipFile" in capsys.readouterr().out

    # pixel features: one pass over the store, kept beside it for a restart
    from astronomaly_ahunt.engine.questions import SHAPE_DIMS, PoolPixels, pixel_features
    pixels = session.pixel_features()
    whole = pixel_features(session.images[:], 0, chunk_size=50)
    assert pixels.arrays().keys() == whole.arrays().keys()
    for name, kept in pixels.arrays().items():
        assert np.allclose(kept, getattr(whole, name), atol=1e-3)
    from astronomaly_ahunt.stages import session as session_module
    with monkeypatch.context() as patched:
        patched.setattr(session_module, "pixel_features", no_scoring)
        again = AhuntFeatures(chunk_size=16, output_dir=str(out))
        again.run_on_dataset(dataset_of(folder, tmp_path))
        restarted = again.session_.pixel_features().arrays()
        assert restarted.keys() == pixels.arrays().keys()
        assert all(np.array_equal(restarted[name], kept) for name, kept in pixels.arrays().items())
        # a cache holding the shape features of another version is not used
        cache = next(Path(session.images.path).parent.glob("pixel_features-*.npz"))
        np.savez(cache, pixels=pixels.pixels, shape=np.zeros((len(pixels.pixels), 3), np.float32))
        older = AhuntFeatures(chunk_size=16, output_dir=str(out))
        older.run_on_dataset(dataset_of(folder, tmp_path))
        with pytest.raises(AssertionError, match="scored the objects again"):
            older.session_.pixel_features()
        # nor, for a pool with shapes, one without the principal components
        # wide pixels were projected on; a pool without shapes needs none
        from astronomaly_ahunt.engine import questions
        patched.setattr(questions, "PIXEL_DIMS", 16)
        np.savez(cache, pixels=pixels.pixels)
        kept = AhuntFeatures(chunk_size=16, output_dir=str(out))
        kept.run_on_dataset(dataset_of(folder, tmp_path))
        assert np.array_equal(kept.session_.pixel_features().pixels, pixels.pixels)
        np.savez(cache, pixels=pixels.pixels,
                 shape=np.zeros((len(pixels.pixels), SHAPE_DIMS), np.float32))
        older = AhuntFeatures(chunk_size=16, output_dir=str(out))
        older.run_on_dataset(dataset_of(folder, tmp_path))
        with pytest.raises(AssertionError, match="scored the objects again"):
            older.session_.pixel_features()

    # pseudo-normals: from the less interesting half, never labelled, and
    # from DRAW_CHUNKS chunks of the store, so a draw does not read them all
    monkeypatch.setattr(session_module, "DRAW_CHUNKS", 2)
    session.scores = (np.arange(50) % 2).astype(float)  # even positions are the dull half
    session.pseudo_normals = 30
    session.draw_pseudo_normals()
    drawn = session.positions(hunter.initial_ids_)
    assert len(drawn) >= 6 and (drawn % 2 == 0).all() and not set(drawn) & {0, 2}
    assert len(set(drawn // 16)) == 2  # the dull half lies in all 4 chunks
    # the pixel projection's sample too
    fitted = []
    monkeypatch.setattr(session_module, "pixel_features",
                        lambda images, seed, size, fit_rows: fitted.append(fit_rows)
                        or PoolPixels(np.zeros((len(images), 1), np.float32)))
    session._pixels = None
    next(Path(session.images.path).parent.glob("pixel_features-*.npz")).unlink()
    session.pixel_features()
    assert len(fitted[0]) > 16 and len(set(fitted[0] // 16)) == 2


def test_dask_scoring_matches_in_process(folder, tmp_path):
    from dask.distributed import LocalCluster
    from astronomaly_ahunt.stages.dask_scoring import DaskScoring
    from astronomaly_ahunt.stages.feature_extraction import AhuntFeatures
    stage = AhuntFeatures(hunter=small_hunter(), n_initial=30, chunk_size=16,
                          output_dir=str(tmp_path / "out"))
    stage.run_on_dataset(dataset_of(folder, tmp_path))
    session = stage.session_
    latent, proba = session.latent_and_proba()
    with LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        scoring = DaskScoring(cluster.scheduler_address, tmp_path / "models")
        try:
            on_dask = scoring.latent_and_proba(session.hunter, session.images)
            scoring.latent_and_proba(session.hunter, session.images)
        finally:
            scoring.close()
    assert np.allclose(on_dask[0], latent, atol=1e-5) and np.allclose(on_dask[1], proba, atol=1e-6)
    # one model file for two passes of the same round
    assert len(os.listdir(tmp_path / "models")) == 1


def test_a_survey_sized_pool_gets_the_cheaper_default_network(folder, tmp_path, monkeypatch,
                                                              capsys):
    from astronomaly_ahunt.engine import presets
    from astronomaly_ahunt.stages.feature_extraction import AhuntFeatures
    monkeypatch.setattr(presets, "SURVEY_FROM", 50)  # this folder holds 50 cutouts
    stage = AhuntFeatures(n_initial=20, chunk_size=16, output_dir=str(tmp_path / "out"))
    stage.run_on_dataset(dataset_of(folder, tmp_path))
    hunter = stage.session_.hunter
    assert (hunter.downsample, hunter.max_per_class) == ("auto", 500)
    assert "50 objects: SURVEY_SETTINGS" in capsys.readouterr().out


def test_fits_cubes_keep_their_bands_as_channels_or_average_them(tmp_path):
    from astropy.io import fits
    from astronomaly_ahunt.stages.cutout_store import CutoutStore
    from astronomaly_ahunt.stages.image_folder import image_folder
    rng = np.random.default_rng(0)
    cubes = {f"src{i}": rng.random((3, 12, 10)).astype(np.float32) for i in range(5)}
    cubes["src2"][2] += 5.0  # bright in the third band only
    folder = tmp_path / "fits"
    folder.mkdir()
    for name, cube in cubes.items():
        fits.PrimaryHDU(cube).writeto(folder / f"{name}.fits")  # NAXIS3 = 3 bands
    dataset = image_folder(str(folder), str(tmp_path), fits_stretch=None)  # the flux as it is

    bands = CutoutStore.build(dataset, tmp_path / "bands", greyscale=False)
    assert bands.images.shape == (5, 12, 10, 3)
    cube = cubes["src2"]
    expected = np.moveaxis((cube - cube.min()) / (cube.max() - cube.min()), 0, -1)
    where = list(bands.ids).index("src2")
    assert np.abs(bands.images[[where]][0] - expected).max() < 1e-3
    assert bands.images[[where]][0][..., 2].mean() > 0.9  # the bright band stays apart

    grey = CutoutStore.build(dataset, tmp_path / "grey", greyscale=True)
    assert grey.images.shape == (5, 12, 10, 1)
    mean = cube.mean(axis=0)
    assert np.abs(grey.images[[where]][0, ..., 0] - (mean - mean.min()) /
                  (mean.max() - mean.min())).max() < 1e-3


@pytest.mark.parametrize("layout", ["written-by-build", "kept-decoded", "other-codec"])
def test_reads_match_zarr_for_slices_positions_buffers_and_unwritten_chunks(tmp_path, layout,
                                                                            monkeypatch):
    import zarr
    from zarr.codecs import BloscCodec
    from astronomaly_ahunt.stages import cutout_store
    from astronomaly_ahunt.stages.cutout_store import StoredImages
    # a small store is decoded once and kept; here only when the layout says so
    monkeypatch.setattr(cutout_store, "KEEP_DECODED_BYTES", 10**9 if layout == "kept-decoded"
                        else 0)
    x = np.random.default_rng(0).random((45, 6, 5, 2)).astype(np.float16)
    x[16:32] = 0  # a chunk of zeros alone is never written to disk
    extra = {"compressors": [BloscCodec(cname="lz4")]} if layout == "other-codec" else {}
    array = zarr.create_array(store=str(tmp_path / "a.zarr"), dtype=np.float16, shape=x.shape,
                              chunks=(16,) + x.shape[1:], **extra)
    array[:] = x
    images = StoredImages(tmp_path / "a.zarr")
    assert (images._chunk_file is None) == (layout == "other-codec")
    assert not (tmp_path / "a.zarr" / "c" / "1").exists()
    for where in (slice(None), slice(16, 32), slice(32, 45), slice(3, 40), [44, 0, 17, 3, 3],
                  np.array([], dtype=int), np.r_[0, 2, 1, 3:16]):
        assert np.array_equal(images.read(where), x[where]), where
        assert images[where].dtype == np.float32 and np.array_equal(images[where], x[where])
    buffer = np.full((16,) + x.shape[1:], np.nan, np.float16)
    for where in (slice(0, 16), slice(32, 45), [9, 1]):
        got = images.read(where, out=buffer)
        assert np.shares_memory(got, buffer) and np.array_equal(got, x[where])
    with pytest.raises(IndexError):
        images.read([45])
    assert (images._kept is not None) == (layout == "kept-decoded")
