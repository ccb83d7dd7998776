"""MAESTRO's energy sum over access counts, in units of one MAC's energy (the table is a hardware record,
`dse.hw.directives.EnergyTable`)."""

from __future__ import annotations

from dse.hw.directives import EnergyTable


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
