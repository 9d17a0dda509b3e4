"""FITS cutouts in linear flux: the stretch the CNN and the page see, the
folder reader that applies it, and FIRST written back as flux with noise."""

import io

import numpy as np
import pytest

from astronomaly_ahunt.stages.stretch import sky_stretch

NOISE = 1e-3


def source_on_noise(seed=0, size=64, peak_snr=200.0):
    """A Gaussian source of peak ``peak_snr`` x NOISE at the centre of a
    field of noise; returns the field and the source without noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size] - size // 2
    source = peak_snr * NOISE * np.exp(-(xx ** 2 + yy ** 2) / (2 * 3.0 ** 2))
    return source + rng.normal(0, NOISE, (size, size)), source


def test_stretch_blanks_the_noise_and_lifts_faint_emission_above_linear():
    field, source = source_on_noise()
    out = sky_stretch(field)
    assert out.min() == 0.0 and out.max() == pytest.approx(1.0)
    noise_only = source < 0.1 * NOISE
    assert (out[noise_only] > 0).mean() < 0.01  # 3 sigma: ~0.1 % of noise pixels pass
    faint = (source > 10 * NOISE) & (source < 20 * NOISE)  # 5-10 % of the peak
    linear = sky_stretch(field, softening=None)
    assert np.median(out[faint]) > 2 * np.median(linear[faint])
    assert np.median(linear[faint]) > 0


def test_stretch_keeps_nans_for_the_store_and_blanks_an_empty_field():
    field, _ = source_on_noise()
    field[3, 5] = np.nan
    out = sky_stretch(field)
    assert np.isnan(out[3, 5]) and np.isnan(out).sum() == 1
    empty = np.random.default_rng(1).normal(0, NOISE, (32, 32))
    empty[empty > 2 * NOISE] = 2 * NOISE  # nothing above 3 sigma
    assert not sky_stretch(empty).any()


@pytest.fixture
def fits_folder(tmp_path):
    from astropy.io import fits
    folder = tmp_path / "fits"
    folder.mkdir()
    for seed in range(3):
        field, _ = source_on_noise(seed, peak_snr=50.0 * (seed + 1))
        fits.PrimaryHDU(field.astype(np.float32)).writeto(folder / f"src{seed}.fits")
    return folder


def test_a_fits_folder_is_stretched_for_the_cnn_and_the_page_unless_told(fits_folder, tmp_path):
    from PIL import Image
    from astropy.io import fits
    from astronomaly_ahunt.stages.image_folder import image_folder
    dataset = image_folder(str(fits_folder), str(tmp_path / "out"), display_image_size=64)
    raw = fits.getdata(fits_folder / "src1.fits")
    sample = np.asarray(dataset.get_sample("src1"), dtype=float).squeeze()
    assert np.allclose(sample, sky_stretch(raw), atol=1e-6)
    png = dataset.get_display_data("src1")
    shown = np.asarray(Image.open(io.BytesIO(png.getvalue()) if hasattr(png, "getvalue")
                                  else png).convert("L"), dtype=float)
    h, w = shown.shape  # Astronomaly draws it at its own size
    centre = shown[3 * h // 8:5 * h // 8, 3 * w // 8:5 * w // 8].mean()
    corner = shown[:h // 5, :w // 5].mean()
    assert centre > corner + 40  # the source stands out of a blank sky, not of noise

    linear = image_folder(str(fits_folder), str(tmp_path / "linear"), fits_stretch=None)
    assert np.allclose(np.asarray(linear.get_sample("src1"), dtype=float).squeeze(), raw)


def test_shrinking_a_field_keeps_a_one_pixel_source_wherever_it_falls():
    from astronomaly_ahunt.stages.cutout_store import to_model_input
    for column in range(140, 150):  # plain bilinear sampling misses some of these
        field = np.zeros((300, 300), dtype=np.float32)
        field[150, column] = 1.0
        small = to_model_input(field, image_size=(64, 64))
        assert small.max() == pytest.approx(1.0), column
        assert small.shape == (64, 64, 1)


def test_first_written_as_fits_is_linear_flux_with_the_survey_noise(tmp_path):
    from astropy.io import fits
    from astronomaly_ahunt.experiments.datasets import LabelledImages
    from astronomaly_ahunt.experiments.example_data import FIRST_NOISE, write_cutouts
    rng = np.random.default_rng(0)
    x = np.zeros((12, 40, 40, 1))
    x[:, 18:22, 18:22] = rng.uniform(0.2, 1.0, (12, 4, 4, 1))  # clipped sources, as published
    data = LabelledImages(x, np.repeat([0, 1, 2], 4), ("a", "b", "c"))
    folder = write_cutouts(tmp_path / "set", lambda: data, {"a": 0, "b": 0}, "c", 2,
                           n_catalogue=0, seed=0, size=40, prefix="src", fits=True)
    files = sorted((folder / "images").glob("*.fits"))
    assert len(files) == 10 and not list((folder / "images").glob("*.png"))
    flux = fits.getdata(files[0])
    assert flux.shape == (40, 40)
    sky = np.concatenate([flux[:15].ravel(), flux[25:].ravel()])
    assert abs(sky.mean()) < 0.2 * FIRST_NOISE
    assert sky.std() == pytest.approx(FIRST_NOISE, rel=0.1)
    assert np.median(flux[18:22, 18:22]) > 3 * FIRST_NOISE  # the emission is above the clip
    assert flux.max() > 10 * FIRST_NOISE


def test_the_store_is_reused_across_restarts_with_a_stretch_of_chosen_settings(fits_folder,
                                                                              tmp_path):
    import functools
    from astronomaly_ahunt.stages.cutout_store import fingerprint
    from astronomaly_ahunt.stages.image_folder import image_folder

    def stamp(floor):
        stretch = functools.partial(sky_stretch, noise_floor=floor)
        return fingerprint(image_folder(str(fits_folder), str(tmp_path), fits_stretch=stretch))

    assert stamp(5.0) == stamp(5.0)  # a new partial object, as after a restart
    assert stamp(5.0) != stamp(4.0)


def test_cutouts_larger_than_the_cnn_side_are_shrunk_to_it_keeping_their_aspect():
    from astronomaly_ahunt.stages.cutout_store import MAX_INPUT_SIDE, default_input_size
    assert default_input_size(np.zeros((64, 64, 3))) is None  # kept as they are
    assert default_input_size(np.zeros((MAX_INPUT_SIDE, 90))) is None
    assert default_input_size(np.zeros((300, 300))) == (MAX_INPUT_SIDE, MAX_INPUT_SIDE)
    assert default_input_size(np.zeros((512, 256))) == (MAX_INPUT_SIDE, MAX_INPUT_SIDE // 2)
    assert default_input_size(np.zeros((3, 300, 300))) == (MAX_INPUT_SIDE,) * 2  # bands first


def test_the_page_cnn_strides_from_128_px_and_pools_below():
    from astronomaly_ahunt.engine.presets import (PAGE_SETTINGS, STRIDE_FROM_SIDE,
                                                  SURVEY_FROM, SURVEY_SETTINGS, page_settings)
    assert page_settings(600, 64) is PAGE_SETTINGS  # the Hunter's default: pooling
    assert page_settings(600, STRIDE_FROM_SIDE) == {**PAGE_SETTINGS, "downsample": "stride"}
    assert page_settings(SURVEY_FROM, 64) is SURVEY_SETTINGS
