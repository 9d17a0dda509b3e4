"""Figures a person would rather look at than read."""

import matplotlib

matplotlib.use("Agg")  # files only: the simulator runs on headless machines
import matplotlib.pyplot as plt  # noqa: E402


def plot_rounds(table, path, title="AHUNT"):
    """MCC per round (AHUNT argmax and top-k, and any baseline), and true
    candidates per round with their running total, as one PNG."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 7), sharex=True)
    top.plot(table["round"], table["mcc_argmax"], "o-", label="AHUNT (argmax)")
    top.plot(table["round"], table["mcc_topk"], "s--", label="AHUNT (top-k)")
    for col in table.columns:
        if col.endswith("_mcc_topk"):
            top.plot(table["round"], table[col], "^:", label=f"{col[:-len('_mcc_topk')]} (top-k)")
    top.set_ylabel("MCC, all data seen")
    top.set_ylim(-0.1, 1.02)
    top.legend(loc="lower right")
    top.set_title(title)
    bottom.bar(table["round"], table["true_candidates"], color="tab:orange",
               label="true candidates this round")
    bottom.plot(table["round"], table["asked"], "k_", markersize=14, label="questions this round")
    twin = bottom.twinx()
    twin.plot(table["round"], table["true_candidates_total"], "-", color="tab:red",
              label="running total")
    twin.set_ylabel("anomalies found, total")
    bottom.set_xlabel("round")
    bottom.set_ylabel("per round")
    lines = bottom.get_legend_handles_labels()
    more = twin.get_legend_handles_labels()
    bottom.legend(lines[0] + more[0], lines[1] + more[1], loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
