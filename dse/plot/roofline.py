"""A roofline plot with each kernel of a workload placed on it: attained ops/s against arithmetic intensity."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from dse.plot import save


def plot_roofline(table: pd.DataFrame, peak_ops: float, bandwidth: float, achievable_ops: float,
                  achievable_bw: float, out_stem: Path, title: str = "") -> list[Path]:
    """`table` from `dse.cost.roofline.layer_table`; the roofs are the datasheet peak and bandwidth (dashed) and
    the achievable ones the model uses (GEMM efficiency x peak, bandwidth efficiency x bandwidth; solid). Each
    kernel is a point sized by its share of the time, coloured by op kind."""
    fig, ax = plt.subplots(figsize=(7.2, 4.8), dpi=110)
    shown = table[(table["intensity"] > 0) & (table["attained_ops_per_s"] > 0)]
    low = min(float(shown["intensity"].min()) if len(shown) else 0.1, 0.1)
    high = max(float(shown["intensity"].max()) if len(shown) else 1e3, 1e3)
    x = np.logspace(np.log10(low / 2), np.log10(high * 2), 200)
    ax.plot(x, np.minimum(peak_ops, bandwidth * x), "--", color="0.5", lw=1, label="datasheet roof")
    ax.plot(x, np.minimum(achievable_ops, achievable_bw * x), "-", color="k", lw=1.4, label="achievable roof (model)")
    for op, group in shown.groupby("op"):
        ax.scatter(group["intensity"], group["attained_ops_per_s"], s=10 + 400 * group["share"], alpha=0.6,
                   label=str(op))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (ops / DRAM byte)")
    ax.set_ylabel("attained ops / s")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=7, loc="lower right")
    return save(fig, out_stem)
