"""Gantt chart of a schedule: one row per accelerator, host loads, compute and stores in distinct colours."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.patches import Patch

from dse.plot import save

COLOURS = {"load": "tab:orange", "compute": "tab:blue", "store": "tab:green"}


def plot_gantt(table: pd.DataFrame, accelerators: list[str], out_stem: Path, title: str = "") -> list[Path]:
    """Write `out_stem`.png and .svg from `Schedule.table()`; times in milliseconds."""
    fig, ax = plt.subplots(figsize=(10, 1.0 + 0.6 * len(accelerators)), dpi=110)
    rows = {name: i for i, name in enumerate(accelerators)}
    bars = table[table["end_s"] > table["start_s"]]
    for phase, colour in COLOURS.items():
        part = bars[bars["phase"] == phase]
        for acc, group in part.groupby("accelerator"):
            spans = list(zip(group["start_s"] * 1e3, (group["end_s"] - group["start_s"]) * 1e3))
            ax.broken_barh(spans, (rows[acc] - 0.35, 0.7), facecolors=colour,
                           edgecolor="k" if phase == "compute" else "none", linewidth=0.3,
                           hatch=None if phase == "compute" else "//")
    ax.set_yticks(range(len(accelerators)), accelerators)
    ax.invert_yaxis()
    ax.set_xlabel("time (ms)")
    ax.set_title(title)
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(handles=[Patch(facecolor=c, hatch=None if p == "compute" else "//",
                             label=p if p == "compute" else f"host {p}") for p, c in COLOURS.items()],
              fontsize=8, loc="upper right")
    return save(fig, out_stem)
