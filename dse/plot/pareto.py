"""2-D Pareto plots: every feasible trial, the front of that objective pair, infeasible trials, the chosen point;
points with identical objectives are drawn once."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from dse.plot import save


def plot_front(trials: pd.DataFrame, front: pd.Series, x: str, y: str, out_stem: Path,
               chosen: int | None = None, title: str = "") -> list[Path]:
    """Write `out_stem`.png and .svg; `front` flags the rows non-dominated in (x, y); `chosen` is a trial number."""
    fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=110)
    xs, ys = f"objective_{x}", f"objective_{y}"
    feasible = trials["feasible"].astype(bool)
    dominated = _once(trials[feasible & ~front], xs, ys)
    ax.scatter(dominated[xs], dominated[ys], s=12, color="0.7", label="dominated")
    infeasible = _once(trials[~feasible & trials[xs].notna()], xs, ys)
    if len(infeasible):
        ax.scatter(infeasible[xs], infeasible[ys], s=14, marker="x", color="tab:red", alpha=0.6, label="infeasible")
    on_front = _once(trials[front], xs, ys).sort_values(xs)
    ax.plot(on_front[xs], on_front[ys], "-o", color="tab:blue", ms=4, lw=1.2, label="Pareto front")
    if chosen is not None and (trials["trial"] == chosen).any():
        point = trials[trials["trial"] == chosen].iloc[0]
        ax.scatter([point[xs]], [point[ys]], s=140, marker="*", color="tab:orange", edgecolor="k", zorder=5,
                   label=f"chosen (trial {chosen})")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    _log_if_wide(ax, trials[xs], "x")
    _log_if_wide(ax, trials[ys], "y")
    ax.set_title(title or f"{y} vs {x}")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return save(fig, out_stem)


def _once(rows: pd.DataFrame, xs: str, ys: str) -> pd.DataFrame:
    """Rows with identical (x, y) objectives drawn once (repeated designs would stack invisibly)."""
    return rows.drop_duplicates(subset=[xs, ys])


def _log_if_wide(ax: plt.Axes, values: pd.Series, axis: str) -> None:
    """Objectives spanning decades read better on a log axis."""
    positive = values[values > 0]
    if len(positive) > 1 and positive.max() / positive.min() > 100:
        (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
