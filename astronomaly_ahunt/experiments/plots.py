"""Figures a person would rather look at than read."""

import matplotlib

matplotlib.use("Agg")  # files only: the simulator runs on headless machines
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

TOTAL_COLOUR = "tab:red"
# one colour per method in every figure; AHUNT in black, drawn last and thickest
COLOURS = {"ahunt": "black", "ahunt-tuned": "tab:blue", "ahunt-anomalous": "tab:green",
           "ahunt-random": "tab:olive", "ahunt-focal": "tab:cyan", "ahunt-isomax": "teal",
           "ahunt-paper": "darkgoldenrod", "static-al": "tab:red", "iforest-raw": "tab:brown",
           "iforest-static-latent": "tab:purple", "iforest-dynamic-latent": "tab:orange",
           "aadforest": "tab:pink", "pineforest": "tab:gray", "neighbourscore": "gold",
           "static": "tab:red", "random": "0.6", "ahunt-before": "tab:brown"}


def plot_rounds(table, path, title="AHUNT"):
    """MCC per round (AHUNT argmax and top-k, and any baseline), and the
    anomalies found per round with their running total, as one PNG."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8.5, 7), sharex=True, layout="constrained")
    top.plot(table["round"], table["mcc_argmax"], "o-", color="black", label="AHUNT, argmax")
    top.plot(table["round"], table["mcc_topk"], "s--", color="0.45", label="AHUNT, top-k")
    for col in table.columns:
        if col.endswith("_mcc_topk"):
            top.plot(table["round"], table[col], "^:", color="tab:brown",
                     label=f"{col[:-len('_mcc_topk')]}, top-k")
    mccs = table[[c for c in table.columns if c.endswith(("mcc_argmax", "mcc_topk"))]]
    top.set_ylim(min(0.0, float(mccs.min().min())) - 0.05, 1.02)
    top.axhline(0, color="0.8", lw=0.8, zorder=0)
    top.set_ylabel("MCC over all data seen")
    top.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    top.set_title(title)
    bottom.bar(table["round"], table["true_candidates"], color="tab:orange",
               label="anomalies found\nthis round")
    bottom.plot(table["round"], table["asked"], "k_", markersize=14, mew=2,
                label="questions this round")
    bottom.set_ylim(0, max(table["asked"].max(), table["true_candidates"].max()) + 0.5)
    bottom.set_xlabel("round")
    bottom.set_ylabel("per round (bars)")
    twin = bottom.twinx()
    twin.plot(table["round"], table["true_candidates_total"], "-", color=TOTAL_COLOUR, lw=2,
              label="anomalies found\nso far (right axis)")
    twin.set_ylim(0, None)
    twin.set_ylabel("anomalies found so far (red line)", color=TOTAL_COLOUR)
    twin.tick_params(axis="y", colors=TOTAL_COLOUR)
    for ax in (bottom, twin):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    handles, labels = bottom.get_legend_handles_labels()
    more = twin.get_legend_handles_labels()
    # beside the twin axis' labels, so that no marker of the first rounds is covered
    bottom.legend(handles + more[0], labels + more[1], loc="upper left",
                  bbox_to_anchor=(1.12, 1), frameon=False)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
