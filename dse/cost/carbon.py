"""Embodied and operational energy and carbon of an edge device over its life (ACT + papers.md §3.3).

Embodied (ACT, Gupta et al. ISCA'22): each logic die costs area x (CI_fab x EPA + GPA + MPA) / yield, DRAM and
flash cost a footprint per GB, every IC adds packaging. Embodied *energy* is the fab electricity: area x EPA /
yield for logic dies, and for DRAM and flash (which ACT gives only as carbon per GB) the carbon divided by the fab
grid's intensity, i.e. the electricity that would emit it. Packaging, gases and materials are carbon only.

Operational ([ASSUMPTION] of papers.md §3.3): a device busy a fraction `a` of the wall clock draws
P = a x P_active + (1 - a) x P_idle on average, with P_active = energy per job / seconds per job.

Devices compared on the *same* work serve the same demand, given as the busy fraction `a` of one reference device:
the fastest device compared in `dse compare`, a named reference platform in explore's `platform-compare`. Both go
through `fleet_lifetime`, the one lifetime definition. A slower device d is provisioned as a fleet of
n_d = max(1, ceil(a t_d / t_ref)) units (an edge server holds whole devices), drawing
n_d P_idle + a (t_d / t_ref)(P_active - P_idle) and embodying n_d devices. With one unit this is exactly §3.3's
formula at the device's own busy fraction a t_d / t_ref; the break-even and indifference closed forms below hold
piece by piece between the demands where a fleet grows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from dse.cost.record import Cost, Number
from dse.errors import InputError
from dse.hw.embodied import Embodied, Memory
from dse.hw.values import load_yaml, mapping, number
from dse.inputs import FRACTION, LIFETIME_YEARS, real, text
from dse.resources import accelerators

SECONDS_PER_YEAR = 365 * 24 * 3600.0
J_PER_KWH = 3.6e6
BASES = ("energy", "carbon")


@dataclass(frozen=True)
class ACT:
    """ACT's per-node and per-GB constants (accelerators/carbon/act.yaml)."""

    epa_kwh_per_cm2: dict[str, float]
    gpa_g_per_cm2: dict[str, float]
    mpa_g_per_cm2: float
    fab_yield: float
    packaging_g_per_ic: float
    fab_grid: str
    dram_g_per_gb: dict[str, float]
    flash_g_per_gb: dict[str, float]
    grid_g_per_kwh: dict[str, float]
    sources: dict[str, str] = field(default_factory=dict, compare=False)
    #: The file the constants came from: a name a device needs and the file lacks is an error naming it.
    path: str = field(default="", compare=False)

    @property
    def fab_ci_g_per_kwh(self) -> float:
        return self.grid_g_per_kwh[self.fab_grid]

    def grid(self, name: str) -> float:
        """Carbon intensity (g/kWh) of a named grid."""
        return self.entry("grid_g_per_kwh", name, "grid")

    def entry(self, table: str, name: str, kind: str) -> float:
        """`name`'s value in one of the per-name tables; a name the file does not list is an InputError naming
        the file and the table (a user's ACT file may lack a node, memory or grid a device uses)."""
        values: dict[str, float] = getattr(self, table)
        if name not in values:
            raise InputError(f"{self.path}: {table}: unknown {kind} {name!r}; known: {', '.join(sorted(values))}")
        return values[name]


def load_act(path: Path | None = None) -> ACT:
    """ACT constants from YAML, every value with a source."""
    path = path or accelerators("carbon", "act.yaml")
    data = load_yaml(path)
    sources: dict[str, str] = {}

    def table(key: str) -> dict[str, float]:
        entries = mapping(path, data, key)
        return {name: number(path, entries, name, sources, strict=True) for name in entries}

    tables = {k: table(k) for k in ("epa_kwh_per_cm2", "gpa_g_per_cm2", "dram_g_per_gb", "flash_g_per_gb",
                                    "grid_g_per_kwh")}
    missing = set(tables["epa_kwh_per_cm2"]) ^ set(tables["gpa_g_per_cm2"])
    if missing:
        raise InputError(f"{path}: nodes {sorted(missing)} appear in only one of epa_kwh_per_cm2, gpa_g_per_cm2")
    fab_yield = number(path, data, "fab_yield", sources, strict=True)
    if fab_yield > 1:
        raise InputError(f"{path}: field fab_yield.value must be <= 1, got {fab_yield!r}")
    fab_grid = text(mapping(path, data, "fab_grid").get("value"), f"{path}: field fab_grid.value")
    if fab_grid not in tables["grid_g_per_kwh"]:
        raise InputError(f"{path}: field fab_grid.value {fab_grid!r} is not a grid in grid_g_per_kwh")
    return ACT(mpa_g_per_cm2=number(path, data, "mpa_g_per_cm2", sources), fab_yield=fab_yield,
               packaging_g_per_ic=number(path, data, "packaging_g_per_ic", sources), fab_grid=fab_grid,
               sources=sources, path=str(path), **tables)


# ---- embodied -------------------------------------------------------------------------------------------------
def die_carbon_g(area_mm2: Number, node: str, act: ACT, fab_ci_g_per_kwh: float | None = None) -> Number:
    """ACT's E_SoC = area x (CI_fab x EPA + GPA + MPA) / yield, in g CO2e (area in mm^2, vectorized)."""
    epa = act.entry("epa_kwh_per_cm2", node, "process node")
    ci = act.fab_ci_g_per_kwh if fab_ci_g_per_kwh is None else fab_ci_g_per_kwh
    per_cm2 = ci * epa + act.gpa_g_per_cm2[node] + act.mpa_g_per_cm2
    return np.asarray(area_mm2) / 100.0 * per_cm2 / act.fab_yield


def _memory_g(parts: tuple[Memory, ...], act: ACT, table: str, kind: str) -> float:
    return sum((act.entry(table, part.technology, f"{kind} technology") * part.capacity_gb for part in parts), 0.0)


def embodied_carbon_g(emb: Embodied, act: ACT) -> dict[str, float]:
    """Embodied carbon by part (logic, dram, flash, packaging) and its total, g CO2e."""
    parts = {
        "logic": float(sum(d.count * die_carbon_g(d.area_mm2, d.node, act) for d in emb.dies)),
        "dram": _memory_g(emb.dram, act, "dram_g_per_gb", "DRAM"),
        "flash": _memory_g(emb.flash, act, "flash_g_per_gb", "flash"),
        "packaging": emb.ics * act.packaging_g_per_ic,
    }
    parts["total"] = sum(parts.values())
    return parts


def embodied_energy_j(emb: Embodied, act: ACT) -> float:
    """Fab electricity of the device (see module docstring), joules."""
    logic_kwh = sum(d.count * d.area_mm2 / 100.0 * act.entry("epa_kwh_per_cm2", d.node, "process node") for d in emb.dies) / act.fab_yield
    memory_g = _memory_g(emb.dram, act, "dram_g_per_gb", "DRAM") + _memory_g(emb.flash, act, "flash_g_per_gb", "flash")
    return (logic_kwh + memory_g / act.fab_ci_g_per_kwh) * J_PER_KWH


# ---- operational ----------------------------------------------------------------------------------------------
class Device(Protocol):
    """Anything carbon can be charged to: a name, an idle power and a bill of materials."""

    name: str
    idle_w: float
    embodied: Embodied


@dataclass(frozen=True)
class Profile:
    """A device running one kind of job: what carbon accounting needs (vectorized fields allowed)."""

    name: str
    seconds_per_job: Number
    energy_per_job_j: Number
    idle_w: float
    embodied_energy_j: float
    embodied_carbon_g: float

    @property
    def active_w(self) -> Number:
        return np.asarray(self.energy_per_job_j) / np.asarray(self.seconds_per_job)


def profile(cost: Cost, device: Device, act: ACT) -> Profile:
    """The carbon view of a Cost (one job: an inference or a training step) on `device`."""
    seconds = np.asarray(cost.seconds, dtype=float)
    if np.any(seconds <= 0):
        raise InputError(f"device {device.name!r}: a job must take positive time, got seconds={cost.seconds!r}")
    return Profile(device.name, seconds, np.asarray(cost.energy_j, dtype=float), device.idle_w,
                   embodied_energy_j(device.embodied, act), embodied_carbon_g(device.embodied, act)["total"])


def check_activity(activity: Number) -> np.ndarray:
    a = np.asarray(activity, dtype=float)
    for value in a.flat:
        real(float(value), "field activity", FRACTION)
    return a


def check_years(years: Number) -> np.ndarray:
    y = np.asarray(years, dtype=float)
    for value in y.flat:
        real(float(value), "field lifetime_years", LIFETIME_YEARS)
    return y


def lifetime_carbon_g(cost: Cost, device: Device, activity: Number, years: Number, grid: str = "world",
                      act: ACT | None = None, reference_seconds: Number | None = None) -> Number:
    """Carbon as a search objective: embodied + operational g CO2e of the fleet of `device` that serves, for `years`
    on grid `grid`, a demand keeping one reference device busy a fraction `activity` (`fleet_lifetime`, the one
    definition `dse compare` uses too). `reference_seconds` is the reference device's job time; None makes `device`
    its own reference (one unit at busy fraction `activity`). Vectorized over Cost arrays."""
    act = act or load_act()
    p = profile(cost, device, act)
    t_ref = p.seconds_per_job if reference_seconds is None else reference_seconds
    return fleet_lifetime(p, activity, years, t_ref, act.grid(grid))["carbon_g"]


# ---- devices provisioned for the same demand -------------------------------------------------------------------
def reference_seconds(profiles: list[Profile]) -> float:
    """Job time of the fastest device: the demand is given as that device's busy fraction."""
    return min(float(np.min(p.seconds_per_job)) for p in profiles)


def units(p: Profile, activity: Number, t_ref: Number) -> Number:
    """Devices needed to serve a demand that keeps one reference device busy a fraction `activity`
    (at least one: an edge server holds whole devices)."""
    a = check_activity(activity)
    return np.maximum(1.0, np.ceil(a * np.asarray(p.seconds_per_job) / t_ref - 1e-9))


def fleet_power_w(p: Profile, activity: Number, t_ref: Number) -> Number:
    """Average power of the fleet: n P_idle + a (t / t_ref)(P_active - P_idle). With n = 1 this is §3.3's
    a' P_active + (1 - a') P_idle at the device's own busy fraction a' = a t / t_ref."""
    a = check_activity(activity)
    load = a * np.asarray(p.seconds_per_job) / t_ref
    return units(p, a, t_ref) * p.idle_w + load * (p.active_w - p.idle_w)


def fleet_lifetime(p: Profile, activity: Number, years: Number, t_ref: Number, grid_g_per_kwh: float
                   ) -> dict[str, Number]:
    """Embodied + operational energy (J) and carbon (g) of the fleet serving the demand for `years`."""
    n = units(p, activity, t_ref)
    op_j = fleet_power_w(p, activity, t_ref) * check_years(years) * SECONDS_PER_YEAR
    op_g = op_j / J_PER_KWH * grid_g_per_kwh
    return {"units": n, "busy_per_unit": check_activity(activity) * np.asarray(p.seconds_per_job) / t_ref / n,
            "energy_j": n * p.embodied_energy_j + op_j, "carbon_g": n * p.embodied_carbon_g + op_g,
            "operational_energy_j": op_j, "operational_carbon_g": op_g}


def _scale(basis: str, grid_g_per_kwh: float) -> float:
    """Operational joules to the basis unit: J (energy) or g CO2e (carbon)."""
    if basis not in BASES:
        raise InputError(f"field basis must be one of {', '.join(BASES)}, got {basis!r}")
    return 1.0 if basis == "energy" else grid_g_per_kwh / J_PER_KWH


def _embodied(p: Profile, basis: str) -> float:
    return p.embodied_energy_j if basis == "energy" else p.embodied_carbon_g


def breakeven_years(incumbent: Profile, replacement: Profile, activity: Number, basis: str = "energy",
                    grid_g_per_kwh: float = 0.0) -> Number:
    """§3.3 break-even of replacing `incumbent` (its embodied share sunk) by `replacement` on the same demand:
    t* = n_B E_emb,B / (P_A - P_B) in years, with fleet powers; inf when the replacement does not draw less."""
    t_ref = reference_seconds([incumbent, replacement])
    saved_w = fleet_power_w(incumbent, activity, t_ref) - fleet_power_w(replacement, activity, t_ref)
    cost = units(replacement, activity, t_ref) * _embodied(replacement, basis)
    per_year = np.where(saved_w > 0, saved_w, 1.0) * SECONDS_PER_YEAR * _scale(basis, grid_g_per_kwh)
    years = np.where(saved_w > 0, cost / per_year, np.inf)
    return years if years.ndim else float(years)


def _breakpoints(p: Profile, t_ref: float) -> np.ndarray:
    """Demands in (0, 1) where the fleet of `p` grows by one device."""
    t = float(p.seconds_per_job)
    return np.arange(1, int(np.floor(t / t_ref)) + 1) * t_ref / t


def indifference_activity(x: Profile, y: Profile, years: float, basis: str = "energy",
                          grid_g_per_kwh: float = 0.0) -> list[float]:
    """§3.3 indifference: demands a* in [0, 1] at which buying fleet x or fleet y new costs the same over `years`.
    Between the demands where a fleet grows, each total is n E_emb + T Y (n P_idle + a (t / t_ref) dP), linear in
    a, so each piece has the closed-form root a* = -F(0) / F' of F = total_x - total_y; a jump of F across zero
    where a fleet grows is a crossover too. Empty when one fleet is cheaper at every demand."""
    T = float(check_years(years)) * SECONDS_PER_YEAR
    k = _scale(basis, grid_g_per_kwh)
    t_ref = reference_seconds([x, y])
    edges = np.unique(np.concatenate([[0.0, 1.0], _breakpoints(x, t_ref), _breakpoints(y, t_ref)]))
    edges = edges[edges <= 1.0]
    roots: list[float] = []
    previous_sign = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        mid = 0.5 * (lo + hi)
        parts = []
        for p in (x, y):
            n = float(units(p, mid, t_ref))
            slope = float(p.seconds_per_job) / t_ref * (float(p.active_w) - p.idle_w)
            parts.append((n * _embodied(p, basis) + T * k * n * p.idle_w, T * k * slope))
        offset, slope = parts[0][0] - parts[1][0], parts[0][1] - parts[1][1]
        start_sign = np.sign(offset + slope * lo)
        if previous_sign and start_sign and start_sign != previous_sign:
            roots.append(float(lo))
        if slope:
            root = -offset / slope
            if lo <= root <= hi and not (roots and np.isclose(roots[-1], root)):
                roots.append(float(root))
        previous_sign = np.sign(offset + slope * hi) or start_sign
    return roots
