"""The sustainability paper's two claims (papers.md §3.1), re-derived from the sourced device numbers, and how they
move when each estimated input is scaled by -50% and +50%.

1. Replacing PIM-enabled DDR3 with Racetrack PIM recovers its embodied energy in about one year.
2. At high activity ratios a mobile GPU is the more sustainable choice, at low ones Racetrack PIM.

The sensitivity tables (`--sensitivity`, Markdown) are the ones in docs/sustainability.md: every input whose
`source:` says `[estimate: reason]` in the devices of the claim is scaled, one at a time, in a copy of its YAML file.

Run: python benchmarks/sustainability.py [--workload alexnet] [--lifetime-years 5] [--grid world] [--sensitivity]
"""

from __future__ import annotations

import argparse
import re
import tempfile
from pathlib import Path

import numpy as np
import yaml

from dse.cost.carbon import (J_PER_KWH, breakeven_years, fleet_lifetime, indifference_activity, load_act, profile,
                             reference_seconds)
from dse.cost.platform import Platform, gpu_platform, load_platform, pim_platform
from dse.hw.gpu import known_gpus, load_gpu_file
from dse.hw.pim import load_pim_file
from dse.resources import accelerators
from dse.workload import build

ACTIVITIES = (0.0, 0.05, 0.1, 0.25, 0.5, 1.0)
PAYBACK_ACTIVITIES = (0.0, 0.01)
FINE = np.linspace(0, 1, 1001)
SCALES = (0.5, 1.5)
#: Alternative idle states of the DDR3 module (Micron MT18JDF51272AZ Table 11, see accelerators/pim/ddr3-pim.yaml).
DDR3_IDLE_STATES = {"precharge standby (IDD2N + refresh)": 0.553, "precharge power-down (IDD2P0 + refresh)": 0.189}


def job_profile(platform: Platform, workload, act):
    return profile(platform.evaluate(workload), platform, act)


def claims(workload, act, grid: float, years: float, name: str) -> None:
    ddr3, race = (job_profile(load_platform(n), workload, act) for n in ("ddr3-pim", "racetrack-pim"))
    print(f"workload {name} int8 inference; grid {grid:g} g/kWh; fab grid {act.fab_grid}")
    for p in (ddr3, race):
        print(f"  {p.name:14s} {float(p.seconds_per_job) * 1e3:8.2f} ms/inference  {float(p.energy_per_job_j):.4f} J"
              f"  idle {p.idle_w} W  embodied {p.embodied_energy_j / J_PER_KWH:.2f} kWh, "
              f"{p.embodied_carbon_g / 1e3:.2f} kg")

    print("\nClaim 1: break-even of Racetrack PIM replacing PIM-enabled DDR3 (years; inf = never)")
    print("  activity  " + "  ".join(f"{a:6.2f}" for a in ACTIVITIES))
    for basis in ("energy", "carbon"):
        payback = breakeven_years(ddr3, race, np.array(ACTIVITIES), basis, grid)
        print(f"  {basis:8s}  " + "  ".join(f"{y:6.2f}" for y in payback))
    fine = np.linspace(0, 1, 1001)
    energy_years = breakeven_years(ddr3, race, fine, "energy", grid)
    finite = np.isfinite(energy_years)
    print(f"  pays back at all for activity in {_ranges(fine, finite)}; within 1 year for activity in "
          f"{_ranges(fine, energy_years <= 1.0)}")

    print(f"\nClaim 2: indifference activity ratio, new mobile GPU vs new Racetrack PIM over {years:g} years "
          f"(activity = busy fraction of the GPU; Racetrack provisioned as enough units for the same demand)")
    for gpu in known_gpus():
        g = job_profile(load_platform(gpu), workload, act)
        t_ref = reference_seconds([g, race])
        for basis in ("energy", "carbon"):
            roots = indifference_activity(g, race, years, basis, grid)
            key = "energy_j" if basis == "energy" else "carbon_g"
            low, high = ([fleet_lifetime(p, a, years, t_ref, grid)[key] for p in (g, race)] for a in (0.0, 1.0))
            winner = lambda pair: gpu if pair[0] < pair[1] else race.name  # noqa: E731
            print(f"  {gpu:12s} {basis:6s} a* = {', '.join(f'{r:.4f}' for r in roots) or 'none':24s} "
                  f"cheaper at a=0: {winner(low):14s} at a=1: {winner(high)}")


# ---- sensitivity -----------------------------------------------------------------------------------------------
def _entry(data: dict, key: str) -> dict:
    """The `{value, source}` entry at a dotted source key such as `embodied.dies[0].area_mm2`."""
    node = data
    for part in key.split("."):
        name, index = re.fullmatch(r"([^\[]+)(?:\[(\d+)\])?", part).groups()
        node = node[name] if index is None else node[name][int(index)]
    return node


def _scaled_file(path: Path, key: str, factor: float, folder: Path) -> Path:
    """A copy of hardware file `path` with the value at `key` scaled by `factor` (fractions capped at 1)."""
    data = yaml.safe_load(path.read_text())
    entry = _entry(data, key)
    value = entry["value"] * factor
    entry["value"] = min(value, 1.0) if "efficiency" in key else value
    out = folder / path.name
    out.write_text(yaml.safe_dump(data))
    return out


def _platform(kind: str, path: Path) -> Platform:
    return gpu_platform(load_gpu_file(path)) if kind == "gpu" else pim_platform(load_pim_file(path))


def _estimates(kind: str, name: str) -> tuple[Path, list[str]]:
    """The device file and its estimated inputs (only the default power mode's keys matter here)."""
    path = accelerators(kind, f"{name}.yaml")
    platform = _platform(kind, path)
    default = load_gpu_file(path).default_mode if kind == "gpu" else None
    keys = [k for k in platform.estimates if not k.startswith("power_modes.") or f".{default}." in k]
    return path, keys


def _variants(kind: str, name: str, workload, act, folder: Path):
    """(input label, base value, {scale: profile}) for each estimated input of a device."""
    path, keys = _estimates(kind, name)
    data = yaml.safe_load(path.read_text())
    for key in keys:
        profs = {s: job_profile(_platform(kind, _scaled_file(path, key, s, folder)), workload, act) for s in SCALES}
        yield f"{name} {key}", _entry(data, key)["value"], profs


def _fmt(x: float) -> str:
    return "never" if not np.isfinite(x) else f"{x:.2f}"


def _reach(incumbent, replacement) -> str:
    """Largest demand (0..1, step 0.001) at which the replacement pays back at all."""
    finite = np.isfinite(breakeven_years(incumbent, replacement, FINE))
    return f"{FINE[finite].max():.3f}" if finite.any() else "none"


def _roots(x, y, years: float) -> str:
    return ", ".join(f"{r:.3f}" for r in indifference_activity(x, y, years)) or "none"


def sensitivity(workload, act, years: float, name: str) -> None:
    """Markdown tables: payback years and GPU-vs-racetrack indifference activity, each estimated input at -50%/+50%."""
    ddr3, race = (job_profile(load_platform(n), workload, act) for n in ("ddr3-pim", "racetrack-pim"))
    cols = " | ".join(f"a = {a:g}: -50% / +50%" for a in PAYBACK_ACTIVITIES)
    cols += " | pays back up to a = (-50% / +50%)"
    base = " / ".join(_fmt(breakeven_years(ddr3, race, a)) for a in PAYBACK_ACTIVITIES)
    print(f"Payback of racetrack-pim replacing ddr3-pim ({name} int8 inference, energy basis, years; base "
          f"{base} at a = {', '.join(f'{a:g}' for a in PAYBACK_ACTIVITIES)}; pays back up to "
          f"a = {_reach(ddr3, race)})\n")
    print(f"| input | base value | {cols} |")
    print("|---|---|" + "---|" * (len(PAYBACK_ACTIVITIES) + 1))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for dev, kind in (("ddr3-pim", "pim"), ("racetrack-pim", "pim")):
            for label, value, profs in _variants(kind, dev, workload, act, folder):
                pair = (profs, {s: race for s in SCALES}) if dev == "ddr3-pim" else ({s: ddr3 for s in SCALES}, profs)
                cells = [" / ".join(_fmt(breakeven_years(pair[0][s], pair[1][s], a)) for s in SCALES)
                         for a in PAYBACK_ACTIVITIES] + [" / ".join(_reach(pair[0][s], pair[1][s]) for s in SCALES)]
                print(f"| {label} | {value:g} | " + " | ".join(cells) + " |")
        for state, watts in DDR3_IDLE_STATES.items():
            path = accelerators("pim", "ddr3-pim.yaml")
            idle = _scaled_file(path, "idle_w", watts / ddr3.idle_w, folder)
            alt = job_profile(_platform("pim", idle), workload, act)
            cells = [_fmt(breakeven_years(alt, race, a)) for a in PAYBACK_ACTIVITIES] + [_reach(alt, race)]
            print(f"| ddr3-pim idle state: {state} | {watts:g} W | " + " | ".join(cells) + " |")

        print(f"\nIndifference activity a* of each GPU vs racetrack-pim ({name} inference, {years:g} years, energy "
              f"basis; 'none' = one platform is cheaper at every demand)\n")
        print("| GPU | input | base value | a* at -50% | a* at +50% |")
        print("|---|---|---|---|---|")
        race_variants = list(_variants("pim", "racetrack-pim", workload, act, folder))
        for gpu in known_gpus():
            g = job_profile(load_platform(gpu), workload, act)
            base = _roots(g, race, years)
            print(f"| {gpu} | none scaled | | {base} | {base} |")
            for label, value, profs in _variants("gpu", gpu, workload, act, folder):
                print(f"| {gpu} | {label} | {value:g} | {_roots(profs[0.5], race, years)} | "
                      f"{_roots(profs[1.5], race, years)} |")
            for label, value, profs in race_variants:
                print(f"| {gpu} | {label} | {value:g} | {_roots(g, profs[0.5], years)} | "
                      f"{_roots(g, profs[1.5], years)} |")


def _ranges(x: np.ndarray, mask: np.ndarray) -> str:
    """Intervals of x where mask holds, as text."""
    if not mask.any():
        return "no activity"
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(int), [0]])))
    return ", ".join(f"[{x[s]:.3f}, {x[e - 1]:.3f}]" for s, e in zip(edges[::2], edges[1::2]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", default="alexnet")
    parser.add_argument("--lifetime-years", type=float, default=5.0)
    parser.add_argument("--grid", default="world")
    parser.add_argument("--sensitivity", action="store_true", help="print the Markdown sensitivity tables")
    args = parser.parse_args()
    act = load_act()
    workload = build(args.workload)
    if args.sensitivity:
        sensitivity(workload, act, args.lifetime_years, args.workload)
    else:
        claims(workload, act, act.grid(args.grid), args.lifetime_years, args.workload)


if __name__ == "__main__":
    main()
