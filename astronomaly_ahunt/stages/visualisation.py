"""A 2-d view of the latent space for the page's Visualisation tab."""

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

COLUMNS = ("latent_pc1", "latent_pc2")
# two components of 64-d features are settled long before this many rows;
# more would make every Retrain's projection grow with the survey
FIT_SAMPLE = 20_000


def latent_projection(features, random_state=0):
    """The first two principal components of the latent ``features`` frame.

    PCA rather than UMAP or t-SNE: it takes milliseconds, so it can be
    redone after every Retrain, and the page then shows the latent space
    moving as AHUNT learns (the paper's Fig. 1). Fitted on at most
    ``FIT_SAMPLE`` rows drawn with ``random_state``, applied to all.
    """
    x = features.to_numpy()
    rows = np.random.default_rng(random_state).choice(len(x), FIT_SAMPLE, replace=False) \
        if len(x) > FIT_SAMPLE else slice(None)
    pca = PCA(n_components=2, random_state=random_state).fit(x[rows])
    return pd.DataFrame(pca.transform(x), index=features.index, columns=list(COLUMNS))
