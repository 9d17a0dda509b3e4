"""A folder of image cutouts as a Dataset: Astronomaly's
``ImageThumbnailsDataset`` when it is installed, else a small reader of ours
with the same ids (file names without extension), ``metadata``, samples
(RGB arrays for png/jpg, as OpenCV reads them) and transform functions."""

import io
import os

import numpy as np
import pandas as pd

from .astronomaly_compat import ASTRONOMALY_INSTALLED, FallbackDataset
from .stretch import sky_stretch

IMAGE_TYPES = ("png", "jpg", "jpeg", "bmp", "tif", "tiff")
FITS_TYPES = ("fits", "fit", "fts")


def _apply(functions, x):
    for function in functions or ():
        x = function(x)
    return x


class ImageFolderDataset(FallbackDataset):
    """Cutouts in ``directory``: png/jpg/bmp/tif via Pillow, FITS via astropy.

    Parameters
    ----------
    directory : str
    output_dir : str
    display_image_size : int, optional
        Side in pixels of the PNG shown on the page.
    transform_function : list of callables, optional
        Applied in turn to every sample (2-d array in, 2-d array out), as
        Astronomaly's datasets do.
    display_transform_function : list of callables, optional
        Applied to what the page shows; default ``transform_function``.
    """

    def __init__(self, display_image_size=None, transform_function=None,
                 display_transform_function=None, **kwargs):
        super().__init__(display_image_size=display_image_size,
                         transform_function=transform_function,
                         display_transform_function=display_transform_function, **kwargs)
        self.data_type = "image"
        self.display_image_size = display_image_size
        self.transform_function = transform_function
        self.display_transform_function = display_transform_function or transform_function
        known = IMAGE_TYPES + FITS_TYPES
        files = [f for f in self.files if f.rsplit(".", 1)[-1].lower() in known]
        ids = [os.path.basename(f).rsplit(".", 1)[0] for f in files]
        self.metadata = pd.DataFrame({"filename": files}, index=ids)
        twice = self.metadata.index[self.metadata.index.duplicated()].unique()
        if len(twice):
            raise ValueError(f"{len(twice)} cutout id(s) (a file's name without its extension) "
                             f"name two files each, first {list(twice[:3])}; rename them")
        self.index = self.metadata.index.values
        # a cutout's file by its id without pandas' .loc, which costs a fifth
        # of reading a 64-px PNG: a survey's first read calls this 10^6 times
        self._files = self.metadata["filename"].to_numpy()
        self._where = self.metadata.index

    def _read(self, idx):
        filename = self._files[self._where.get_loc(idx)]
        if filename.rsplit(".", 1)[-1].lower() in FITS_TYPES:
            from astropy.io import fits
            return np.asarray(fits.getdata(filename), dtype=float)
        from PIL import Image
        with Image.open(filename) as image:
            return np.asarray(image.convert("RGB"))

    def get_sample(self, idx):
        return _apply(self.transform_function, self._read(idx))

    def get_display_data(self, idx):
        from PIL import Image
        x = np.asarray(_apply(self.display_transform_function, self._read(idx)), dtype=float)
        low, high = np.nanmin(x), np.nanmax(x)
        x = np.nan_to_num((x - low) / (high - low) if high > low else x * 0) * 255
        image = Image.fromarray(x.astype(np.uint8).squeeze())
        if self.display_image_size:
            image = image.resize((self.display_image_size,) * 2, Image.NEAREST)
        out = io.BytesIO()
        image.save(out, format="PNG")
        out.seek(0)
        return out


# IHDR's bit depth and colour type (grey, RGB) of the PNGs read without get_sample
_PLAIN_PNG = {(8, 0), (8, 2)}


def plain_png_names(dataset):
    """A Series of file names by id when ``dataset``'s samples are its image
    files' pixels as they are, read by Astronomaly's ``ImageThumbnailsDataset``
    or an :class:`ImageFolderDataset` with no transform; else None. Only these
    exact classes: a subclass may read its files otherwise."""
    known = [ImageFolderDataset]
    if ASTRONOMALY_INSTALLED:
        from astronomaly.data_management.image_reader import ImageThumbnailsDataset
        known.append(ImageThumbnailsDataset)
    if type(dataset) not in known or getattr(dataset, "transform_function", None) \
            or getattr(dataset, "fits_format", False):
        return None
    metadata = getattr(dataset, "metadata", None)
    if metadata is None or "filename" not in metadata or not metadata.index.is_unique:
        return None
    return metadata["filename"]


def read_plain_png(filename):
    """The pixels of an 8-bit grey (2-d) or RGB PNG, as ``get_sample`` gives
    them, or None for any other file. PNG is lossless, so any decoder gives
    the same pixels; libpng through imagecodecs takes a sixth of the time
    Pillow takes for a 64-px cutout, and a survey's first read decodes 10^6."""
    if not filename.lower().endswith(".png"):
        return None
    import imagecodecs
    with open(filename, "rb") as file:
        data = file.read()
    if len(data) < 26 or (data[24], data[25]) not in _PLAIN_PNG:
        return None
    try:
        pixels = imagecodecs.png_decode(data)
    except Exception:  # a damaged file: the dataset's own reader reports it
        return None
    plain = pixels.dtype == np.uint8 and (pixels.ndim == 2 or pixels.shape[2:] == (3,))
    return pixels if plain else None


def image_folder(directory, output_dir, display_image_size=None, fits_stretch=sky_stretch,
                 **kwargs):
    """The folder as Astronomaly's ``ImageThumbnailsDataset`` when installed,
    else as an :class:`ImageFolderDataset`.

    A folder of FITS cutouts is read as FITS (Astronomaly reads FITS only
    when told: ``fits_format=True``) and, unless the caller passes its own
    ``transform_function``, through ``fits_stretch`` (default
    :func:`.stretch.sky_stretch`: background and noise clipped, asinh above)
    for the CNN and the page alike; ``fits_stretch=None`` keeps the linear
    flux. Other keyword arguments go to the dataset.
    """
    fits_folder = any(name.rsplit(".", 1)[-1].lower() in FITS_TYPES
                      for name in os.listdir(directory))
    if fits_folder and fits_stretch is not None and "transform_function" not in kwargs:
        kwargs["transform_function"] = [fits_stretch]
    if ASTRONOMALY_INSTALLED:
        kwargs.setdefault("fits_format", fits_folder)
        from astronomaly.data_management.image_reader import ImageThumbnailsDataset
        return ImageThumbnailsDataset(directory=directory, output_dir=output_dir,
                                      display_image_size=display_image_size, **kwargs)
    kwargs.pop("fits_format", None)
    return ImageFolderDataset(directory=directory, output_dir=output_dir,
                              display_image_size=display_image_size, **kwargs)
