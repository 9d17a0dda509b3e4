"""The paper's figures from a benchmark: mean per round with its 68 % band.

- Fig. 1: the latent space at rounds 1, middle and last (UMAP if
  umap-learn is installed, else PCA, named in the title);
- Fig. 3: AHUNT against static active learning;
- Fig. 4: per anomaly class MCC and questions (several anomaly classes);
- Fig. 5: the three question strategies;
- Fig. 6: AHUNT against every other method;
- Fig. A1: the three losses.
"""

import numpy as np
from matplotlib.ticker import MaxNLocator

from .plots import COLOURS, plt

COMPARISONS = {
    "fig3_dynamic_vs_static.png": ("AHUNT vs static active learning", ("ahunt", "static-al")),
    "fig5_strategies.png": ("Question strategies",
                            ("ahunt", "ahunt-anomalous", "ahunt-random")),
    "fig6_all_methods.png": ("AHUNT vs every method", None),
    "figA1_losses.png": ("Losses", ("ahunt", "ahunt-focal", "ahunt-isomax")),
}
LABELS = {"ahunt": "AHUNT (uncertainty, softmax)", "ahunt-anomalous": "AHUNT anomalous",
          "ahunt-random": "AHUNT random", "ahunt-focal": "AHUNT focal",
          "ahunt-isomax": "AHUNT IsoMax", "ahunt-paper": "AHUNT, paper lr 1e-5",
          "ahunt-tuned": "AHUNT tuned",
          "static-al": "static AL", "iforest-raw": "IF raw",
          "iforest-static-latent": "IF static latent",
          "iforest-dynamic-latent": "IF dynamic latent", "aadforest": "AADForest",
          "pineforest": "PineForest", "neighbourscore": "NeighbourScore"}

def write_figures(result, output_dir, latent_map="umap"):
    """Every figure the benchmark's methods allow; returns the paths written."""
    agg = result.aggregate()
    methods = result.methods
    paths = []
    for name, (what, wanted) in COMPARISONS.items():
        chosen = [m for m in (wanted or methods) if m in methods]
        if len(chosen) >= 2:
            paths.append(plot_comparison(agg, chosen, output_dir / name,
                                         f"{what}: {result.protocol.name}",
                                         n_q=result.protocol.n_q))
    anomaly_names = [c[len("mcc_argmax_"):] for c in result.rounds.columns
                     if c.startswith("mcc_argmax_")]
    if len(anomaly_names) > 1 and "ahunt" in methods:
        paths.append(plot_per_class(agg[agg["method"] == "ahunt"], anomaly_names,
                                    output_dir / "fig4_per_class.png",
                                    f"AHUNT per anomaly class: {result.protocol.name}"))
    if result.snapshots:
        paths.append(plot_latent(result.snapshots, output_dir / "fig1_latent.png",
                                 f"AHUNT latent space: {result.protocol.name}, seed "
                                 f"{int(result.rounds['seed'].iloc[0])}", latent_map,
                                 anomalies=[a.label for a in result.protocol.anomalies]))
    return paths


def band_note(agg):
    """What the lines and shading are, for a title."""
    n = int(agg["n_seeds"].max())
    return f"mean of {n} seeds, shaded: 16th-84th percentile" if n > 1 else "1 seed"


def _band(ax, agg, metric, label=None, **style):
    line, = ax.plot(agg["round"], agg[f"{metric}_mean"], label=label, **style)
    ax.fill_between(agg["round"], agg[f"{metric}_p16"], agg[f"{metric}_p84"],
                    color=line.get_color(), alpha=0.12, linewidth=0, zorder=1)


def mcc_limits(*columns):
    """y-limits of an MCC axis that keep every line and band inside."""
    low = min(float(np.nanmin(c)) if np.isfinite(c).any() else 0.0 for c in columns)
    return min(0.0, low) - 0.05, 1.02


def plot_comparison(agg, methods, path, title, n_q):
    """MCC argmax, MCC top-k and the anomalies found so far, per round, one
    line (and band over seeds) per method; one legend beside the panels."""
    fig, axes = plt.subplots(3, 1, figsize=(9.5, 9.5), sharex=True, layout="constrained")
    # AHUNT last, so the others never hide it
    for method in sorted(methods, key=lambda m: m == "ahunt"):
        rows = agg[agg["method"] == method]
        style = {"color": COLOURS.get(method), "label": LABELS.get(method, method),
                 "lw": 2.6 if method == "ahunt" else 1.5, "zorder": 3 if method == "ahunt" else 2}
        if rows["mcc_argmax_mean"].notna().any():
            _band(axes[0], rows, "mcc_argmax", **style)
        _band(axes[1], rows, "mcc_topk", **style)
        _band(axes[2], rows, "true_candidates_total", **style)
    rounds = np.sort(agg["round"].unique())
    axes[2].plot(rounds, n_q * rounds, ":", color="0.5", lw=1.2,
                 label=f"every question an anomaly ({n_q} a round)")
    shown = agg[agg["method"].isin(methods)]
    # the ceiling may leave the panel: where every method finds few, their lines matter more
    axes[2].set_ylim(0, 1.15 * max(float(shown["true_candidates_total_p84"].max()), n_q))
    for ax, metric in zip(axes[:2], ("mcc_argmax", "mcc_topk")):
        ax.set_ylim(*mcc_limits(shown[f"{metric}_p16"], shown[f"{metric}_mean"]))
        ax.axhline(0, color="0.8", lw=0.8, zorder=0)
    axes[0].set_ylabel("MCC, argmax class")
    axes[1].set_ylabel("MCC, top-k\n(k = anomalies seen)")
    axes[2].set_ylabel("anomalies found so far\n(in its questions, or its\ntop n_q a round "
                       "if it asks none)")
    axes[2].set_xlabel("round")
    axes[2].xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[2].yaxis.set_major_locator(MaxNLocator(integer=True))
    handles, labels = axes[2].get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: labels[i] != LABELS["ahunt"])
    fig.legend([handles[i] for i in order], [labels[i] for i in order], loc="outside right center",
               fontsize=9, frameon=False)
    fig.suptitle(f"{title}\n{band_note(agg)}")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_per_class(agg, anomaly_names, path, title):
    """The paper's Fig. 4: MCC of each anomaly class (argmax), and questions
    per target class with the hits among them (see :func:`.runners._by_target`)."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 7), sharex=True, layout="constrained")
    for k, name in enumerate(anomaly_names):
        _band(top, agg, f"mcc_argmax_{name}", name, color=f"C{k + 1}", lw=2)
    top.set_ylabel("MCC of each anomaly class,\nargmax")
    top.set_ylim(*mcc_limits(*(agg[f"mcc_argmax_{n}_p16"] for n in anomaly_names)))
    top.legend(title="anomaly class", loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    fig.suptitle(f"{title}\n{band_note(agg)}")
    targets = [c[len("asked_"):-len("_mean")] for c in agg.columns
               if c.startswith("asked_") and c.endswith("_mean") and agg[c].notna().any()]
    for target in targets:
        # the reserve class's share hunts the unknown; each anomaly class's share, its own class
        colour = f"C{anomaly_names.index(target) + 1}" if target in anomaly_names else "0.4"
        bottom.plot(agg["round"], agg[f"asked_{target}_mean"].fillna(0), "--", color=colour,
                    label=f"asked for {target}")
        if f"found_{target}_mean" in agg:
            hunted = target if target in anomaly_names else "a class not named before"
            bottom.plot(agg["round"], agg[f"found_{target}_mean"].fillna(0), "-", color=colour,
                        lw=2, label=f"hits: {hunted}")
    bottom.set_ylabel("questions per round\n(dashed: asked, solid: hits)")
    bottom.set_xlabel("round")
    bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
    bottom.yaxis.set_major_locator(MaxNLocator(integer=True))
    bottom.legend(title="share of the questions", loc="upper left", bbox_to_anchor=(1.01, 1),
                  frameon=False, fontsize=9)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def embed_2d(latent, method="umap", seed=0):
    """2-d map of latent features and the name of the map: UMAP if asked
    for and importable, else PCA."""
    if method == "umap":
        try:
            # umap-learn imports TensorFlow (for ParametricUMAP): load it quietly first
            from ..engine import quiet_tensorflow  # noqa: F401
            import umap
        except ImportError:
            method = "pca"
        else:
            return umap.UMAP(random_state=seed, n_jobs=1).fit_transform(latent), "UMAP"
    from sklearn.decomposition import PCA
    return PCA(2, random_state=seed).fit_transform(latent), "PCA"


def plot_latent(snapshots, path, title, method="umap", anomalies=()):
    """The paper's Fig. 1: the latent space at each snapshot round,
    coloured by true class: the normal classes pale, the ``anomalies``
    (by default, or when none of them is a class name seen, the classes of
    at most a tenth of the objects) strong, larger and on top, or the
    normals would hide them."""
    fig, axes = plt.subplots(1, len(snapshots), figsize=(4.5 * len(snapshots), 4.8),
                             layout="constrained")
    axes = np.atleast_1d(axes)
    last = np.asarray(snapshots[max(snapshots)][1]).astype(str)
    classes, counts = np.unique(last, return_counts=True)
    classes = classes[np.argsort(-counts, kind="stable")].tolist()
    rare = set(map(str, anomalies)) & set(classes) or \
        {c for c in classes if np.mean(last == c) <= 0.1}
    pale, strong = iter(["#9ecae1", "#fdd0a2", "#c7e9c0", "#dadaeb"] * 3), \
        iter(["#d62728", "black", "#9467bd", "#e377c2"] * 3)
    colours = {c: next(strong) if c in rare else next(pale) for c in classes}
    name = method
    for ax, (r, (latent, names)) in zip(axes, sorted(snapshots.items())):
        xy, name = embed_2d(latent, method)
        names = np.asarray(names).astype(str)
        for c in classes:
            mask = names == c
            ax.scatter(xy[mask, 0], xy[mask, 1], s=16 if c in rare else 4, color=colours[c],
                       label=f"{c} (anomaly)" if c in rare else c, zorder=3 if c in rare else 2)
        ax.set_title(f"after round {r}")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center",
               ncol=len(classes), markerscale=2.5, frameon=False)
    fig.suptitle(f"{title}; {name} of the latent features of everything seen so far")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
