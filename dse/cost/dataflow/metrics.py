"""One layer's MAESTRO metrics (the names of the reference metrics.csv) from the engine's level results."""

from __future__ import annotations

import math

from dse.cost.dataflow.analysis import Engine, LevelResult
from dse.cost.dataflow.elementwise import _ratio
from dse.cost.dataflow.energy import energy_terms
from dse.cost.dataflow.levels import INPUT, OUTPUT, WEIGHT
from dse.hw.directives import EnergyTable, Hardware, MaestroLayer
from dse.hw.maestro_io import COMPAT

TENSORS = (INPUT, WEIGHT, OUTPUT)
COUNT_NAMES = [f"{t}_{lv}_{k}" for t in TENSORS for lv in ("l2", "l1") for k in ("read", "write")]
#: Metrics `dse maestro` writes, in order (all reference metrics except the CSV's buggy energy column).
METRICS = (["runtime_cycles", "num_macs", "throughput_macs_per_cycle", "avg_utilized_pes", "pe_utilization",
            "total_energy_macunits_exact", "total_energy_nJ", "total_l2_read_energy_macunits",
            "total_l2_write_energy_macunits", "total_l1_read_energy_macunits", "total_l1_write_energy_macunits",
            "mac_energy_macunits", "energy_nJ_csv_fixed"] + COUNT_NAMES
           + ["l1_size_req", "l2_size_req"] + [f"{t}_{lv}_size_req" for t in TENSORS for lv in ("l2", "l1")]
           + ["noc_bw_req_elems_per_cycle", "noc_bw_req_avg_elems_per_cycle", "offchip_bw_req_elems_per_cycle",
              "input_reuse_factor", "filter_reuse_factor", "output_reuse_factor", "multicast_factor_input",
              "multicast_factor_weight", "arithmetic_intensity", "compute_delay_avg_cycles",
              "ingress_delay_avg_cycles", "egress_delay_avg_cycles"])


def layer_metrics(layer: MaestroLayer, hw: Hardware, compat: str = "fixed",
                  energy: EnergyTable = EnergyTable()) -> dict[str, float]:
    """Evaluate one layer. compat="maestro" reproduces MAESTRO's known bugs; "fixed" (default) corrects them."""
    if compat not in COMPAT:
        raise ValueError(f"compat must be one of {COMPAT}, got {compat!r}")
    top, inner = Engine(layer, hw).run()
    return metrics_of(layer, hw, top, inner, compat, energy)


def metrics_of(layer: MaestroLayer, hw: Hardware, top: LevelResult, inner: LevelResult, compat: str,
               energy: EnergyTable) -> dict[str, float]:
    """The metrics from the engine's results (ints/floats for one layer, arrays for a batch)."""
    counts = dict(top.counts)
    if compat == "fixed":
        dims = layer.dim
        if layer.type in ("CONV", "DSCONV"):
            out_y = (dims["Y"] - dims.get("R", 1)) // layer.stride_y + 1
            out_x = (dims["X"] - dims.get("S", 1)) // layer.stride_x + 1
            channels = dims.get("C" if layer.type == "DSCONV" else "K", 1)
            counts[("l2", "read", OUTPUT)] = dims.get("N", 1) * channels * out_y * out_x
    m: dict[str, float] = {"runtime_cycles": top.runtime, "num_macs": top.macs}
    m["throughput_macs_per_cycle"] = _ratio(top.macs, top.runtime, 0.0)
    m["avg_utilized_pes"] = top.avg_active
    m["pe_utilization"] = m["throughput_macs_per_cycle"] / hw.num_pes
    m.update(energy_terms(counts, top.macs, energy))
    m["total_energy_nJ"] = m["total_energy_macunits_exact"] * energy.mac_j * 1e9
    for t in TENSORS:
        for lv in ("l2", "l1"):
            for k in ("read", "write"):
                m[f"{t}_{lv}_{k}"] = counts.get((lv, k, t), 0)
    l2_fixed = energy.l2_macunits * (m["input_l2_read"] + m["filter_l2_read"] + m["input_l2_write"]
                                     + m["filter_l2_write"] + m["output_l2_write"])
    l1_all = energy.l1_macunits * sum(m[f"{t}_l1_{k}"] for t in TENSORS for k in ("read", "write"))
    m["energy_nJ_csv_fixed"] = (l2_fixed + l1_all) * energy.mac_j * 1e9
    for t in TENSORS:
        m[f"{t}_l2_size_req"] = top.size_req.get(("l2", t), 0)
        m[f"{t}_l1_size_req"] = inner.size_req.get(("l1", t), 0)
    m["l2_size_req"] = sum(m[f"{t}_l2_size_req"] for t in TENSORS)
    m["l1_size_req"] = sum(m[f"{t}_l1_size_req"] for t in TENSORS)
    m["noc_bw_req_elems_per_cycle"] = top.peak_bw
    m["noc_bw_req_avg_elems_per_cycle"] = top.avg_bw
    m["offchip_bw_req_elems_per_cycle"] = top.offchip_bw
    for t in TENSORS:
        wr = m[f"{t}_l1_write"]
        m[f"{t}_reuse_factor"] = _ratio(m[f"{t}_l1_read"], wr, math.nan)
    for t, name in ((INPUT, "input"), (WEIGHT, "weight")):
        rd = m[f"{t}_l2_read"]
        m[f"multicast_factor_{name}"] = _ratio(m[f"{t}_l1_write"], rd, math.nan)
    m["arithmetic_intensity"] = top.arithmetic_intensity
    m["compute_delay_avg_cycles"] = top.delay_avg.get("compute", 0.0)
    m["ingress_delay_avg_cycles"] = top.delay_avg.get("ingress", 0.0)
    m["egress_delay_avg_cycles"] = top.delay_avg.get("egress", 0.0)
    return m
