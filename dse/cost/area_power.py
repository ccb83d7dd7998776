"""Area and leakage power of a spatial accelerator from its components, priced by a technology table.

    area = PEs x (MAC(precision) + L1 bytes x register-file area per byte + per-PE overhead)
         + L2 bytes x SRAM area per byte
         + NoC bytes/cycle x 8 x PEs x area per delivered bit and PE
         + off-chip bytes/s x DRAM-interface area per byte/s
    leakage power = area x leakage per m^2

Dynamic power is what the dataflow model's energy gives over its runtime; `with_area_power` adds leakage energy
(leakage power x seconds) to a network's cost so `power_w` is their sum. Every function is elementwise: the
accelerator's numbers may be numpy arrays over a batch of designs (as `evaluate_designs` builds them).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from dse.cost.record import Cost, Number, checked
from dse.hw.dataflow import DataflowAccelerator
from dse.hw.tech import TechNode

#: The area parts, in the order the breakdown lists them.
PARTS = ("mac", "pe_overhead", "l1", "l2", "noc", "dram_interface")


def area_breakdown(tech: TechNode, precision: str, num_pes: Number, l1_bytes: Number, l2_bytes: Number,
                   noc_bw_bytes_per_cycle: Number, offchip_bw_bytes_per_s: Number) -> dict[str, Number]:
    """Area in m^2 of each part (keys `area_<part>_m2`); `l1_bytes` is per PE."""
    parts = {
        "mac": num_pes * tech.mac_area(precision),
        "pe_overhead": num_pes * tech.pe_overhead_area_m2,
        "l1": num_pes * l1_bytes * tech.register_file_area_m2_per_byte,
        "l2": l2_bytes * tech.sram_area_m2_per_byte,
        "noc": noc_bw_bytes_per_cycle * 8 * num_pes * tech.noc_area_m2_per_bit_per_pe,
        "dram_interface": offchip_bw_bytes_per_s * tech.dram_interface_area_m2_per_bytes_per_s,
    }
    return {f"area_{k}_m2": parts[k] for k in PARTS}


def area_power(acc: DataflowAccelerator, tech: TechNode, precision: str) -> Cost:
    """A Cost holding only the accelerator's area (m^2), its leakage power (W) and the area parts in `extra`."""
    parts = area_breakdown(tech, precision, acc.num_pes, acc.l1_bytes, acc.l2_bytes, acc.noc_bw_bytes_per_cycle,
                           acc.offchip_bw_bytes_per_s)
    area = sum(parts.values())
    return checked(Cost(area_m2=area, leakage_power_w=area * tech.leakage_w_per_m2, extra=parts),
                   f"area and power of {acc.name}", ["the whole accelerator"])


def with_area_power(cost: Cost, acc: DataflowAccelerator, tech: TechNode, precision: str) -> Cost:
    """`cost` (a network run on `acc`) with area, leakage power, and leakage energy over its seconds added to
    energy_static_j and energy_j; the area parts join `extra`."""
    hw = area_power(acc, tech, precision)
    static = hw.leakage_power_w * np.asarray(cost.seconds, dtype=float)
    return dataclasses.replace(cost, area_m2=hw.area_m2, leakage_power_w=hw.leakage_power_w,
                               energy_static_j=cost.energy_static_j + static, energy_j=cost.energy_j + static,
                               extra={**cost.extra, **hw.extra})
