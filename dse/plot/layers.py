"""Per-layer latency of one design: where a network's time goes, layer by layer in execution order."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from dse.plot import save

#: How many of the slowest layers are named on the plot.
NAMED = 6


def plot_layer_latency(frame: pd.DataFrame, out_stem: Path, title: str = "") -> list[Path]:
    """Bars of `seconds` per row of `frame` (columns `layer`, `seconds`, `macs`), MAC layers and the rest in two
    colours, the slowest layers named; writes `out_stem`.png and .svg."""
    ms = frame["seconds"].to_numpy(float) * 1e3
    mac = frame["macs"].to_numpy(float) > 0
    x = np.arange(len(frame))
    fig, ax = plt.subplots(figsize=(max(6.4, min(16.0, 0.06 * len(frame) + 4)), 4.2), dpi=110)
    ax.bar(x[mac], ms[mac], width=0.9, color="tab:blue", label="MAC layers")
    ax.bar(x[~mac], ms[~mac], width=0.9, color="tab:gray", label="other layers (streamed)")
    for i in np.argsort(ms)[::-1][:NAMED]:
        ax.annotate(str(frame["layer"].iloc[i])[:24], (x[i], ms[i]), fontsize=7, rotation=30,
                    xytext=(2, 2), textcoords="offset points")
    ax.set_xlabel("layer (execution order)")
    ax.set_ylabel("latency (ms)")
    ax.set_title(title or "per-layer latency", fontsize=10)
    ax.text(0.99, 0.97, f"total {ms.sum():.3g} ms", transform=ax.transAxes, ha="right", va="top", fontsize=8)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper center")
    return save(fig, out_stem)
