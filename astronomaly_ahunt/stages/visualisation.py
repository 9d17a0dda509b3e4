"""A 2-d view of the latent space for the page's Visualisation tab."""

import pandas as pd
from sklearn.decomposition import PCA

COLUMNS = ("latent_pc1", "latent_pc2")


def latent_projection(features, random_state=0):
    """The first two principal components of the latent ``features`` frame.

    PCA rather than UMAP or t-SNE: it takes milliseconds, so it can be
    redone after every Retrain, and the page then shows the latent space
    moving as AHUNT learns (the paper's Fig. 1).
    """
    pca = PCA(n_components=2, random_state=random_state)
    return pd.DataFrame(pca.fit_transform(features.to_numpy()), index=features.index,
                        columns=list(COLUMNS))
