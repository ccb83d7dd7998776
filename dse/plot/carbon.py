"""Carbon plots: lifetime carbon of fleets serving a demand, and break-even time of replacing an incumbent."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from dse.cost.carbon import Profile, breakeven_years, fleet_lifetime, reference_seconds
from dse.plot import save

ACTIVITY = np.linspace(0.0, 1.0, 201)


def plot_lifetime(profiles: list[Profile], years: float, grid_g_per_kwh: float, out_stem: Path,
                  title: str = "") -> list[Path]:
    """Lifetime kg CO2e vs demand (busy fraction of the fastest device), one curve per platform."""
    t_ref = reference_seconds(profiles)
    fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=110)
    for p in profiles:
        carbon = fleet_lifetime(p, ACTIVITY, years, t_ref, grid_g_per_kwh)["carbon_g"] / 1e3
        ax.plot(ACTIVITY, carbon, lw=1.5, label=p.name)
    ax.set_xlabel("activity ratio (busy fraction of the fastest platform)")
    ax.set_ylabel(f"lifetime carbon over {years:g} years (kg CO2e)")
    ax.set_yscale("log")
    ax.set_title(title or "lifetime carbon vs activity ratio")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return save(fig, out_stem)


def plot_breakeven(incumbent: Profile, replacements: list[Profile], out_stem: Path, basis: str = "energy",
                   grid_g_per_kwh: float = 0.0, title: str = "") -> list[Path]:
    """Years until each replacement recovers its embodied energy (or carbon) vs activity ratio."""
    fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=110)
    for p in replacements:
        years = breakeven_years(incumbent, p, ACTIVITY, basis, grid_g_per_kwh)
        ax.plot(ACTIVITY, np.where(np.isfinite(years), years, np.nan), lw=1.5, label=f"{p.name} replacing {incumbent.name}")
    ax.set_xlabel("activity ratio (busy fraction of the faster device)")
    ax.set_ylabel(f"break-even time (years, embodied {basis})")
    ax.set_yscale("log")
    ax.set_title(title or f"break-even of replacing {incumbent.name}")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return save(fig, out_stem)
