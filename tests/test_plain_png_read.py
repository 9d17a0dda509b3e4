"""The first read's own PNG decoding and 8-bit conversion: the same store, to
the bit, as the dataset's ``get_sample`` gives."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

MODES = ("L", "RGB", "LA", "RGBA", "P", "1", "I;16")
PLAIN = ("L", "RGB")  # 8-bit grey and RGB: decoded without get_sample


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    from PIL import Image
    folder = tmp_path_factory.mktemp("modes")
    rng = np.random.default_rng(3)
    for k in range(28):
        mode = MODES[k % len(MODES)]
        rgb = (rng.random((9, 11, 3)) * rng.uniform(20, 255)).astype(np.uint8)
        image = Image.fromarray(rgb[..., 0].astype(np.uint16) * 250) if mode == "I;16" \
            else Image.fromarray(rgb).convert(mode)
        image.save(folder / f"{mode.replace(';', '')}_{k:02d}.png")
    Image.fromarray(rgb).save(folder / "photo.jpg")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(40))
    (folder / "cut.png").write_bytes((folder / "L_00.png").read_bytes()[:50])
    return folder


def stores(dataset_class, folder, tmp_path, monkeypatch, **settings):
    """The store through the plain-PNG path and through get_sample alone (a
    subclass is not taken for plain), and how often the first called get_sample."""
    from astronomaly_ahunt.stages.cutout_store import CutoutStore

    class ReadsItself(dataset_class):
        pass

    calls = []
    get_sample = dataset_class.get_sample
    monkeypatch.setattr(dataset_class, "get_sample",
                        lambda self, idx: calls.append(idx) or get_sample(self, idx))
    fast = CutoutStore.build(dataset_class(directory=str(folder), output_dir=str(tmp_path)),
                             tmp_path / "fast", **settings)
    n_calls = len(calls)
    slow = CutoutStore.build(ReadsItself(directory=str(folder), output_dir=str(tmp_path)),
                             tmp_path / "slow", **settings)
    return fast, slow, n_calls


@pytest.mark.parametrize("greyscale", [True, False])
def test_plain_pngs_are_stored_as_get_sample_reads_them(folder, tmp_path, monkeypatch,
                                                         greyscale):
    from astronomaly_ahunt.stages.image_folder import ImageFolderDataset
    fast, slow, n_calls = stores(ImageFolderDataset, folder, tmp_path, monkeypatch,
                                 greyscale=greyscale)
    assert list(fast.ids) == list(slow.ids) and len(fast.ids) == 29
    assert fast.images[:].tobytes() == slow.images[:].tobytes()
    assert fast.images.shape[-1] == (1 if greyscale else 3)
    assert fast.skipped == slow.skipped and sorted(fast.skipped) == ["broken", "cut"]
    # only what is not an 8-bit grey or RGB PNG, or cannot be decoded, went to get_sample
    plain = sum(name.split("_")[0] in PLAIN for name in fast.ids)
    assert plain == 8 and n_calls == 31 - plain


def test_astronomalys_own_dataset_gets_the_same_store(folder, tmp_path, monkeypatch):
    pytest.importorskip("astronomaly")
    from astronomaly.data_management.image_reader import ImageThumbnailsDataset
    fast, slow, n_calls = stores(ImageThumbnailsDataset, folder, tmp_path, monkeypatch)
    assert fast.images[:].tobytes() == slow.images[:].tobytes() and n_calls < 31


def test_a_transform_or_fits_keeps_the_datasets_own_reader(folder, tmp_path):
    from astronomaly_ahunt.stages.image_folder import ImageFolderDataset, plain_png_names
    assert plain_png_names(ImageFolderDataset(directory=str(folder), output_dir=str(tmp_path)))\
        is not None
    assert plain_png_names(ImageFolderDataset(directory=str(folder), output_dir=str(tmp_path),
                                              transform_function=[np.sqrt])) is None


@settings(max_examples=60, deadline=None)
@given(arrays(np.uint8, st.sampled_from([(5, 7), (6, 4, 1), (5, 7, 3), (4, 6, 4)])),
       st.booleans(), st.sampled_from([np.float32, np.float16]))
def test_eight_bit_pixels_convert_as_their_float32_values_do(pixels, greyscale, dtype):
    from astronomaly_ahunt.stages.cutout_store import to_model_input
    looked_up = to_model_input(pixels, greyscale, dtype=dtype)
    computed = to_model_input(pixels.astype(np.float32), greyscale).astype(dtype)
    assert looked_up.dtype == dtype and looked_up.shape == computed.shape
    assert looked_up.tobytes() == computed.tobytes()
