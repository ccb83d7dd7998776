"""Plots written as files a person opens: Pareto fronts, Gantt schedules, rooflines, carbon break-even."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers and CI
import matplotlib.pyplot as plt  # noqa: E402


def save(fig: plt.Figure, out_stem: Path) -> list[Path]:
    """Write the figure as `out_stem`.png (to look at) and .svg (to put in a paper), then free it."""
    fig.tight_layout()
    paths = [out_stem.with_suffix(".png"), out_stem.with_suffix(".svg")]
    for path in paths:
        fig.savefig(path)
    plt.close(fig)
    return paths
