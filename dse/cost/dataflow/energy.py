"""Per-access energies in units of one MAC's energy, and MAESTRO's energy sum over access counts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EnergyTable:
    """MAESTRO's default table (cost-model constants): an L2 access costs 18.61 MACs, an L1 access 1.68, a MAC 1,
    and a MAC is 0.23 pJ. DRAM energy per byte of off-chip traffic is kept apart (MAESTRO has none: 0 by default)."""

    l2_macunits: float = 18.61
    l1_macunits: float = 1.68
    mac_macunits: float = 1.0
    mac_j: float = 0.23e-12
    dram_j_per_byte: float = 0.0


def energy_terms(counts: dict, macs: float, table: EnergyTable) -> dict[str, float]:
    """Energy in MAC units per buffer level and access kind, from counts keyed (level, 'read'/'write', tensor)."""
    out = {}
    for level, unit in (("l2", table.l2_macunits), ("l1", table.l1_macunits)):
        for kind in ("read", "write"):
            out[f"total_{level}_{kind}_energy_macunits"] = unit * sum(
                v for (lv, k, _), v in counts.items() if lv == level and k == kind)
    out["mac_energy_macunits"] = table.mac_macunits * macs
    out["total_energy_macunits_exact"] = sum(out.values())
    return out
