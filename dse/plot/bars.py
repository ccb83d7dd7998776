"""Grouped bars of a model's figure next to a reference's, per item (e.g. per layer against a measured chip)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from dse.plot import save


def plot_model_vs_reference(labels: list[str], reference: list[float], model: list[float], out_stem: Path,
                            ylabel: str, reference_label: str, model_label: str, title: str = "") -> list[Path]:
    """Write `out_stem`.png and .svg: per label a reference bar and a model bar, with the model/reference ratio
    printed above each pair."""
    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(max(6.0, 0.7 * len(labels) + 2), 4.0), dpi=110)
    ax.bar(x - 0.2, reference, 0.4, label=reference_label, color="tab:gray")
    ax.bar(x + 0.2, model, 0.4, label=model_label, color="tab:blue")
    for xi, r, m in zip(x, reference, model):
        ax.annotate(f"{m / r:.2f}", (xi, max(r, m)), ha="center", va="bottom", fontsize=7)
    ax.set_xticks(x, labels, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    return save(fig, out_stem)
