"""A folder of image cutouts as a Dataset: Astronomaly's
``ImageThumbnailsDataset`` when it is installed, else a small reader of ours
with the same ids (file names without extension), ``metadata`` and samples
(RGB arrays for png/jpg, as OpenCV reads them)."""

import io
import os

import numpy as np
import pandas as pd

from .astronomaly_compat import ASTRONOMALY_INSTALLED, FallbackDataset

IMAGE_TYPES = ("png", "jpg", "jpeg", "bmp", "tif", "tiff")
FITS_TYPES = ("fits", "fit", "fts")


class ImageFolderDataset(FallbackDataset):
    """Cutouts in ``directory``: png/jpg/bmp/tif via Pillow, FITS via astropy.

    Parameters
    ----------
    directory : str
    output_dir : str
    display_image_size : int, optional
        Side in pixels of the PNG shown on the page.
    """

    def __init__(self, display_image_size=None, **kwargs):
        super().__init__(display_image_size=display_image_size, **kwargs)
        self.data_type = "image"
        self.display_image_size = display_image_size
        known = IMAGE_TYPES + FITS_TYPES
        files = [f for f in self.files if f.rsplit(".", 1)[-1].lower() in known]
        ids = [os.path.basename(f).rsplit(".", 1)[0] for f in files]
        self.metadata = pd.DataFrame({"filename": files}, index=ids)
        self.index = self.metadata.index.values

    def get_sample(self, idx):
        filename = self.metadata.loc[idx, "filename"]
        if filename.rsplit(".", 1)[-1].lower() in FITS_TYPES:
            from astropy.io import fits
            return np.asarray(fits.getdata(filename), dtype=float)
        from PIL import Image
        with Image.open(filename) as image:
            return np.asarray(image.convert("RGB"))

    def get_display_data(self, idx):
        from PIL import Image
        x = np.asarray(self.get_sample(idx), dtype=float)
        low, high = np.nanmin(x), np.nanmax(x)
        x = np.nan_to_num((x - low) / (high - low) if high > low else x * 0) * 255
        image = Image.fromarray(x.astype(np.uint8).squeeze())
        if self.display_image_size:
            image = image.resize((self.display_image_size,) * 2, Image.NEAREST)
        out = io.BytesIO()
        image.save(out, format="PNG")
        out.seek(0)
        return out


def image_folder(directory, output_dir, display_image_size=None, **kwargs):
    """The folder as Astronomaly's ``ImageThumbnailsDataset`` when installed,
    else as an :class:`ImageFolderDataset`.

    Astronomaly reads FITS only when told (``fits_format=True``): a folder
    holding FITS cutouts tells it, unless the caller says otherwise.
    """
    if ASTRONOMALY_INSTALLED:
        if "fits_format" not in kwargs:
            kwargs["fits_format"] = any(name.rsplit(".", 1)[-1].lower() in FITS_TYPES
                                        for name in os.listdir(directory))
        from astronomaly.data_management.image_reader import ImageThumbnailsDataset
        return ImageThumbnailsDataset(directory=directory, output_dir=output_dir,
                                      display_image_size=display_image_size, **kwargs)
    return ImageFolderDataset(directory=directory, output_dir=output_dir,
                              display_image_size=display_image_size, **kwargs)
