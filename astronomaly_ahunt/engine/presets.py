"""Named Hunter settings, so that a benchmark can run them side by side.

Kept free of TensorFlow so that command-line parsing stays fast.
"""

# The paper's printed settings (section 2): each convolution followed by
# pooling, Adam at 1e-5, 3 epochs a round.
PAPER_SETTINGS = {"downsample": "pool", "learning_rate": 1e-5, "epochs": 3}

# No "tuned" preset: the hunting settings chosen on fmnist-paper cost up to
# 0.11 MCC against the default on splits they were not chosen on (the
# benchmark variant ``ahunt-tuned`` keeps them for comparison).
# Semi-supervised: every retrain also learns from the unlabelled pool by
# FixMatch's consistency (Hunter's ``consistency``), at equal weight with the labels.
SEMI_SUPERVISED_SETTINGS = {"consistency": 1.0}

# Given a catalogue (labelled examples of the normal classes), to show the
# scientist as many anomalies as possible: until the first is named, the
# reserve class asks the objects least like any labelled normal in the
# pixels (its nearest-neighbour novelty), then each anomaly class asks its
# most probable members.
CATALOGUE_SETTINGS = {"strategy": "anomalous", "reserve_strategy": "novelty"}

HUNTER_PRESETS = {"default": {}, "paper": PAPER_SETTINGS,
                  "semi-supervised": SEMI_SUPERVISED_SETTINGS, "catalogue": CATALOGUE_SETTINGS}

# Astronomaly's page with no catalogue (the stages' default): the backbone is
# first pretrained to reconstruct the pool, so its latent space describes the
# cutouts before any label; the reserve class's questions explore (in turn
# the most isolated objects in the latent space and in the pixels, as forests
# reweighted by every answer see them, and one typical object per
# latent-space cluster that holds no labelled object, tightest first), and
# anomaly classes' shares go to what ranks high at once among their most
# probable members, in the learnt pixel forest, among the pixels' nearest
# to what was found and in a forest fitted on the answers over the cutouts'
# rotation-invariant shapes, since a person counts what the page shows them.
PAGE_SETTINGS = {"strategy": "anomalous", "reserve_strategy": "explore", "pretrain_epochs": 10}

# The page's settings for a survey (the stages' default from SURVEY_FROM
# objects), where a Retrain must stay short: every Retrain rescores every
# object, and strided convolutions (from 28 px) score 3.4x faster than
# pooling on a CPU (35,000 against 11,000 64-px cutouts a second on 2
# cores), for a few finds less on zoomed FIRST (75 Compact and 45 Bent of
# 125 over 5 seeds, against 79 and 54); and each class is balanced to at
# most 500 examples (a fresh draw each round), half the training of the
# 1,000 pseudo-normals.
SURVEY_SETTINGS = {**PAGE_SETTINGS, "downsample": "auto", "max_per_class": 500}
SURVEY_FROM = 50_000
# From this input side the page's CNN strides instead of pooling: on whole
# FIRST fields at 128 px as many finds as pooling, in a third of the Retrain.
STRIDE_FROM_SIDE = 128


def page_settings(n_objects, side=None):
    """The stages' default Hunter settings for a pool of ``n_objects``
    cutouts ``side`` px wide: ``PAGE_SETTINGS`` (strided from
    ``STRIDE_FROM_SIDE`` px), or ``SURVEY_SETTINGS`` from ``SURVEY_FROM``
    objects on."""
    if n_objects >= SURVEY_FROM:
        return SURVEY_SETTINGS
    if side is not None and side >= STRIDE_FROM_SIDE:
        return {**PAGE_SETTINGS, "downsample": "stride"}
    return PAGE_SETTINGS
