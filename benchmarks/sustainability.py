"""The sustainability paper's two claims (papers.md §3.1), reproduced under the assumptions of docs/sustainability.md.

1. Replacing PIM-enabled DDR3 with Racetrack PIM recovers its embodied energy in about one year.
2. At high activity ratios a mobile GPU is the more sustainable choice, at low ones Racetrack PIM.

Run: python benchmarks/sustainability.py [--workload alexnet] [--lifetime-years 5] [--grid world]
"""

from __future__ import annotations

import argparse

import numpy as np

from dse.cost.carbon import (J_PER_KWH, breakeven_years, fleet_lifetime, indifference_activity, load_act, profile,
                             reference_seconds)
from dse.cost.platform import load_platform
from dse.hw.gpu import known_gpus
from dse.workload import build

ACTIVITIES = (0.0, 0.1, 0.25, 0.5, 0.75, 1.0)


def job_profile(name: str, workload, act):
    platform = load_platform(name)
    return profile(platform.evaluate(workload), platform, act)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", default="alexnet")
    parser.add_argument("--lifetime-years", type=float, default=5.0)
    parser.add_argument("--grid", default="world")
    args = parser.parse_args()
    act = load_act()
    grid = act.grid(args.grid)
    workload = build(args.workload)
    ddr3, race = (job_profile(n, workload, act) for n in ("ddr3-pim", "racetrack-pim"))
    print(f"workload {args.workload} int8 inference; grid {args.grid} ({grid:g} g/kWh); fab grid {act.fab_grid}")
    for p in (ddr3, race):
        print(f"  {p.name:14s} {float(p.seconds_per_job) * 1e3:8.2f} ms/inference  {float(p.energy_per_job_j):.4f} J  "
              f"idle {p.idle_w} W  embodied {p.embodied_energy_j / J_PER_KWH:.2f} kWh, {p.embodied_carbon_g / 1e3:.2f} kg")

    print("\nClaim 1: break-even of Racetrack PIM replacing PIM-enabled DDR3 (years)")
    print("  activity  " + "  ".join(f"{a:6.2f}" for a in ACTIVITIES))
    for basis in ("energy", "carbon"):
        years = breakeven_years(ddr3, race, np.array(ACTIVITIES), basis, grid)
        print(f"  {basis:8s}  " + "  ".join(f"{y:6.2f}" for y in years))
    fine = np.linspace(0, 1, 1001)
    energy_years = breakeven_years(ddr3, race, fine, "energy", grid)
    print(f"  embodied energy recovered in {energy_years.min():.2f}-{energy_years.max():.2f} years over activity "
          f"0..1 (shortest at activity {fine[np.argmin(energy_years)]:.3f}); within 1 year for activity in "
          f"{_ranges(fine, energy_years <= 1.0)}")

    print(f"\nClaim 2: indifference activity ratio, new mobile GPU vs new Racetrack PIM over {args.lifetime_years:g} "
          f"years (activity = busy fraction of the GPU; Racetrack provisioned as enough units for the same demand)")
    for gpu in known_gpus():
        g = job_profile(gpu, workload, act)
        t_ref = reference_seconds([g, race])
        for basis in ("energy", "carbon"):
            roots = indifference_activity(g, race, args.lifetime_years, basis, grid)
            key = "energy_j" if basis == "energy" else "carbon_g"
            low, high = ([fleet_lifetime(p, a, args.lifetime_years, t_ref, grid)[key] for p in (g, race)]
                         for a in (0.0, 1.0))
            winner = lambda pair: gpu if pair[0] < pair[1] else race.name  # noqa: E731
            print(f"  {gpu:12s} {basis:6s} a* = {', '.join(f'{r:.4f}' for r in roots) or 'none':24s} "
                  f"cheaper at a=0: {winner(low):14s} at a=1: {winner(high)}")


def _ranges(x: np.ndarray, mask: np.ndarray) -> str:
    """Intervals of x where mask holds, as text."""
    if not mask.any():
        return "no activity"
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(int), [0]])))
    return ", ".join(f"[{x[s]:.3f}, {x[e - 1]:.3f}]" for s, e in zip(edges[::2], edges[1::2]))


if __name__ == "__main__":
    main()
