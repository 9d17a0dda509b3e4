"""What the CNN and the page see of a FITS cutout in linear flux.

A survey's FITS cutout holds flux with noise: min-max scaled as it is, a
field with one bright source is a dark square with a dot, and a faint
source's field is noise. :func:`sky_stretch` puts a cutout on [0, 1] as an
astronomer looks at it: the background and the noise measured by sigma
clipping, everything below a few times the noise set to 0, and the emission
above it on an asinh stretch (astropy's ``AsinhStretch``), which shows the
faint jets of a source beside its bright core.
"""

import warnings

import numpy as np

# below this many noise levels above the background a pixel is blank:
# FIRST's own cutouts are clipped at 3 sigma (Griese et al. 2023)
NOISE_FLOOR = 3.0
# astropy's asinh softening on [0, 1]: linear below ~a, logarithmic above
ASINH_SOFTENING = 0.1
# the background and noise are measured on at most about this many pixels
# (an even grid over the cutout): as precise for a noise level, and a 300-px
# field is read 4 times faster
STATS_PIXELS = 10_000


def sky_stretch(image, noise_floor=NOISE_FLOOR, softening=ASINH_SOFTENING):
    """``image`` (linear flux, any float dtype, NaNs allowed) on [0, 1].

    Pixels at or below background + ``noise_floor`` x noise (sigma-clipped
    median and standard deviation) are 0, the brightest pixel is 1, and
    those between follow astropy's ``AsinhStretch(softening)``;
    ``softening=None`` keeps them linear. NaNs stay NaN, for the cutout
    store to report. A field with nothing above the floor is all 0.
    """
    from astropy.stats import sigma_clipped_stats
    from astropy.visualization import AsinhStretch, LinearStretch, ManualInterval
    x = np.asarray(image, dtype=np.float32)
    with warnings.catch_warnings():  # NaNs are masked, and the store reports them
        warnings.simplefilter("ignore")
        step = max(1, int(np.ceil(np.sqrt(x.size / STATS_PIXELS))))
        grid = x[..., ::step, ::step] if x.ndim >= 2 else x[::step]
        _, background, noise = sigma_clipped_stats(grid, sigma=3.0, maxiters=3)
    low, high = background + noise_floor * noise, np.nanmax(x)
    if not high > low:
        return np.where(np.isnan(x), np.nan, 0.0).astype(np.float32)
    scaled = ManualInterval(low, high)(x, clip=True)
    stretch = LinearStretch() if softening is None else AsinhStretch(softening)
    return np.where(np.isnan(x), np.nan, stretch(scaled, clip=True)).astype(np.float32)
