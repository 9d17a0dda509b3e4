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

from .plots import plt

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
          "static-al": "static AL", "iforest-raw": "IF raw",
          "iforest-static-latent": "IF static latent",
          "iforest-dynamic-latent": "IF dynamic latent", "aadforest": "AADForest",
          "pineforest": "PineForest"}


def write_figures(result, output_dir, latent_map="umap"):
    """Every figure the benchmark's methods allow; returns the paths written."""
    agg = result.aggregate()
    methods = result.methods
    title = f"{result.protocol.name}, {agg['n_seeds'].max()} seed(s)"
    paths = []
    for name, (what, wanted) in COMPARISONS.items():
        chosen = [m for m in (wanted or methods) if m in methods]
        if len(chosen) >= 2:
            paths.append(plot_comparison(agg, chosen, output_dir / name, f"{what}: {title}",
                                         n_q=result.protocol.n_q))
    anomaly_names = [c[len("mcc_argmax_"):] for c in result.rounds.columns
                     if c.startswith("mcc_argmax_")]
    if len(anomaly_names) > 1 and "ahunt" in methods:
        paths.append(plot_per_class(agg[agg["method"] == "ahunt"], anomaly_names,
                                    output_dir / "fig4_per_class.png", f"AHUNT per class: {title}"))
    if result.snapshots:
        paths.append(plot_latent(result.snapshots, output_dir / "fig1_latent.png",
                                 f"AHUNT latent space: {result.protocol.name}, seed "
                                 f"{int(result.rounds['seed'].iloc[0])}", latent_map))
    return paths


def _band(ax, agg, metric, label, style="-"):
    line, = ax.plot(agg["round"], agg[f"{metric}_mean"], style, label=label)
    ax.fill_between(agg["round"], agg[f"{metric}_p16"], agg[f"{metric}_p84"],
                    color=line.get_color(), alpha=0.2, linewidth=0)


def plot_comparison(agg, methods, path, title, n_q):
    """MCC argmax, MCC top-k and the fraction of questions that hit an
    anomaly, per round, one line and band per method."""
    fig, axes = plt.subplots(3, 1, figsize=(7, 9), sharex=True)
    for method in methods:
        rows = agg[agg["method"] == method]
        label = LABELS.get(method, method)
        if rows["mcc_argmax_mean"].notna().any():
            _band(axes[0], rows, "mcc_argmax", label)
        else:
            axes[0].plot([], [])  # keeps each method's colour the same in every panel
        _band(axes[1], rows, "mcc_topk", label)
        frac = rows.assign(**{f"frac_{k}": rows[f"true_candidates_{k}"] / n_q
                              for k in ("mean", "p16", "p84")})
        _band(axes[2], frac, "frac", label)
    axes[0].set_ylabel("MCC, argmax class")
    axes[1].set_ylabel("MCC, top-k (k = anomalies seen)")
    axes[2].set_ylabel(f"anomalies among {n_q} questions\n(top n_q if it asks none)")
    for ax in axes[:2]:
        ax.set_ylim(-0.1, 1.02)
    axes[2].set_ylim(-0.02, 1.02)
    axes[2].set_xlabel("round")
    axes[2].xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[1].legend(fontsize=8, loc="lower right")
    axes[0].set_title(title + " (mean, 68 % band)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_per_class(agg, anomaly_names, path, title):
    """The paper's Fig. 4: MCC of each anomaly class (argmax), and questions
    per target class with the hits among them."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 7), sharex=True)
    for name in anomaly_names:
        _band(top, agg, f"mcc_argmax_{name}", f"{name}")
    top.set_ylabel("MCC per anomaly class, argmax")
    top.set_ylim(-0.1, 1.02)
    top.legend(loc="lower right")
    top.set_title(title + " (mean, 68 % band)")
    targets = [c[len("asked_"):-len("_mean")] for c in agg.columns
               if c.startswith("asked_") and c.endswith("_mean") and agg[c].notna().any()]
    for target in targets:
        asked = agg[f"asked_{target}_mean"].fillna(0)
        line, = bottom.plot(agg["round"], asked, "--", label=f"asked {target}")
        if f"found_{target}_mean" in agg:
            bottom.plot(agg["round"], agg[f"found_{target}_mean"].fillna(0), "-",
                        color=line.get_color(), label=f"hits {target}")
    bottom.set_ylabel("questions per round")
    bottom.set_xlabel("round")
    bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
    bottom.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def embed_2d(latent, method="umap", seed=0):
    """2-d map of latent features and the name of the map: UMAP if asked
    for and importable, else PCA."""
    if method == "umap":
        try:
            import umap
        except ImportError:
            method = "pca"
        else:
            return umap.UMAP(random_state=seed, n_jobs=1).fit_transform(latent), "UMAP"
    from sklearn.decomposition import PCA
    return PCA(2, random_state=seed).fit_transform(latent), "PCA"


def plot_latent(snapshots, path, title, method="umap"):
    """The paper's Fig. 1: the latent space at each snapshot round,
    coloured by true class."""
    fig, axes = plt.subplots(1, len(snapshots), figsize=(4.5 * len(snapshots), 4.5))
    axes = np.atleast_1d(axes)
    last = np.asarray(snapshots[max(snapshots)][1]).astype(str)
    # the rare (anomaly) classes are drawn last and larger, or the normals would hide them
    classes, counts = np.unique(last, return_counts=True)
    classes = classes[np.argsort(-counts, kind="stable")].tolist()
    colours = {c: plt.cm.tab10(i % 10) for i, c in enumerate(classes)}
    name = method
    for ax, (r, (latent, names)) in zip(axes, sorted(snapshots.items())):
        xy, name = embed_2d(latent, method)
        names = np.asarray(names).astype(str)
        for c in classes:
            mask = names == c
            size = 4 if np.mean(last == c) > 0.1 else 14
            ax.scatter(xy[mask, 0], xy[mask, 1], s=size, color=colours[c], label=c, alpha=0.7)
        ax.set_title(f"round {r}")
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0].legend(markerscale=3, fontsize=8)
    fig.suptitle(f"{title} ({name})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
