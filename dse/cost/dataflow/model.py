"""dse's dataflow cost model on `Layer` records: `evaluate(layer, accelerator, mapping)` -> `Cost`.

MAC layers (conv, depthwise, FC, matmul, LSTM, in forward, backward-data and weight-gradient passes) become a
MAESTRO problem (dse.cost.dataflow.problem), get the accelerator's dataflow template resolved on their dimensions
and run through the MAESTRO analysis (compat="fixed"). On top of MAESTRO:
- off-chip traffic = each input/weight tensor filled into L2 once + each output drained once (MAESTRO's L2 write
  counts of input and filter and its L2 read count of the output), costed at the file's DRAM J/byte;
- runtime = max(MAESTRO's cycles, off-chip traffic / off-chip bytes per cycle): MAESTRO bounds each case by its
  own L2 fill only and rounds the off-chip bandwidth to whole elements per cycle;
- `macs` are the layer's useful MACs; the MACs the dataflow issues (edge tiles, inserted zeros) are in
  extra["num_macs"] and are what the MAC energy counts.

Other ops (pooling, element-wise, norms, softmax, concat, weight update) move no MACs: they stream their operands
from DRAM through L2 and L1 to the PEs and back, one operation per PE per cycle (see `_streamed`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import pandas as pd

from dse.cost.dataflow.directives import MaestroLayer
from dse.cost.dataflow.metrics import METRICS, layer_metrics
from dse.cost.dataflow.problem import Problem, has_mac_form, problem
from dse.cost.dataflow.vectorized import metrics_many
from dse.cost.record import Cost
from dse.hw.dataflow import DataflowAccelerator
from dse.workload.layer import Layer

Mapping = dict[str, int]


def maestro_layer(prob: Problem, acc: DataflowAccelerator, mapping: Mapping | None = None,
                  name: str = "layer") -> MaestroLayer:
    """The problem as a MAESTRO layer under the accelerator's template (parameters from `mapping` or defaults)."""
    flow = acc.dataflow(prob.type, dict(prob.dims), mapping)
    return MaestroLayer(name=name, type=prob.type, dims=prob.dims, dataflow=flow, stride_y=prob.stride_y,
                        stride_x=prob.stride_x, source=f"{acc.path}: layer {name}")


def analyse(prob: Problem, acc: DataflowAccelerator, elem_bytes: int, mapping: Mapping | None = None,
            name: str = "layer") -> dict[str, float]:
    """MAESTRO metrics of one problem under the accelerator's template (parameters from `mapping` or defaults)."""
    return layer_metrics(maestro_layer(prob, acc, mapping, name), acc.machine(elem_bytes), compat="fixed",
                         energy=acc.energy)


def cost_from_metrics(layer: Layer, acc: DataflowAccelerator, m: dict[str, float]) -> Cost:
    """The Cost record of a MAC layer from its MAESTRO metrics (units converted with the layer's element size)."""
    eb, mac_j = layer.elem_bytes, acc.energy.mac_j
    dram_bytes = (m["input_l2_write"] + m["filter_l2_write"] + m["output_l2_read"]) * eb
    dram_cycles = math.ceil(dram_bytes * acc.clock_hz / acc.offchip_bw_bytes_per_s)
    cycles = max(m["runtime_cycles"], dram_cycles)
    parts = {"energy_mac_j": m["mac_energy_macunits"] * mac_j,
             "energy_l1_j": (m["total_l1_read_energy_macunits"] + m["total_l1_write_energy_macunits"]) * mac_j,
             "energy_l2_j": (m["total_l2_read_energy_macunits"] + m["total_l2_write_energy_macunits"]) * mac_j,
             "energy_dram_j": dram_bytes * acc.energy.dram_j_per_byte}
    extra = {k: m[k] for k in METRICS}
    extra["dram_bound_cycles"] = dram_cycles
    return Cost(cycles=cycles, seconds=cycles / acc.clock_hz, energy_j=sum(parts.values()), **parts,
                macs=layer.macs, flops=layer.flops, dram_bytes=dram_bytes,
                utilization=layer.macs / (cycles * acc.num_pes) if cycles else 0.0,
                l1_bytes=m["l1_size_req"] * eb, l2_bytes=m["l2_size_req"] * eb,
                noc_bw_bytes_per_cycle=m["noc_bw_req_elems_per_cycle"] * eb,
                offchip_bw_bytes_per_cycle=m["offchip_bw_req_elems_per_cycle"] * eb, extra=extra)


def _streamed(layer: Layer, acc: DataflowAccelerator) -> Cost:
    """Traffic-bound model of an op without MACs. Its operands (layer.input_bytes + weight_bytes) are filled from
    DRAM into L2 and read out to the PEs (2 L2 accesses, 1 L1 access per element); its results (output_bytes) go
    back the same way (1 L1 access, L2 write and read back to DRAM). Each of its
    `flops` costs one MAC's energy and takes one PE-cycle. Runtime is the slowest of compute, NoC and off-chip.
    Buffers: every PE double-buffers one operand and one result element; L2 double-buffers one such wave."""
    eb = layer.elem_bytes
    moved = layer.input_bytes + layer.weight_bytes + layer.output_bytes
    elements = moved / eb
    cycles = max(math.ceil(layer.flops / acc.num_pes), math.ceil(moved / acc.noc_bw_bytes_per_cycle),
                 math.ceil(moved * acc.clock_hz / acc.offchip_bw_bytes_per_s))
    e = acc.energy
    parts = {"energy_mac_j": layer.flops * e.mac_macunits * e.mac_j,
             "energy_l1_j": elements * e.l1_macunits * e.mac_j,
             "energy_l2_j": 2 * elements * e.l2_macunits * e.mac_j,
             "energy_dram_j": moved * e.dram_j_per_byte}
    return Cost(cycles=cycles, seconds=cycles / acc.clock_hz, energy_j=sum(parts.values()), **parts,
                macs=0, flops=layer.flops, dram_bytes=moved,
                utilization=layer.flops / (cycles * acc.num_pes) if cycles else 0.0,
                l1_bytes=2 * 2 * eb, l2_bytes=2 * 2 * eb * acc.num_pes,
                noc_bw_bytes_per_cycle=moved / cycles if cycles else 0.0,
                offchip_bw_bytes_per_cycle=moved / cycles if cycles else 0.0)


def evaluate(layer: Layer, accelerator: DataflowAccelerator, mapping: Mapping | None = None) -> Cost:
    """Cost of one layer (any op, any pass) on a dataflow accelerator; `mapping` overrides template parameters."""
    if not has_mac_form(layer):
        return _streamed(layer, accelerator)
    return cost_from_metrics(layer, accelerator, analyse(problem(layer), accelerator, layer.elem_bytes, mapping,
                                                         layer.name))


def evaluate_batch(layers: Iterable[Layer], accelerator: DataflowAccelerator,
                   mappings: Sequence[Mapping | None] | None = None) -> pd.DataFrame:
    """One row per layer (column `layer` + the Cost fields + MAESTRO metrics), equal to one-at-a-time `evaluate`.
    The MAC layers' MAESTRO metrics come from one vectorized pass (dse.cost.dataflow.vectorized)."""
    layers = list(layers)
    mappings = list(mappings) if mappings is not None else [None] * len(layers)
    if len(mappings) != len(layers):
        raise ValueError(f"{len(layers)} layers but {len(mappings)} mappings")
    mac = [i for i, layer in enumerate(layers) if has_mac_form(layer)]
    flows: dict[tuple, MaestroLayer] = {}
    maestro = []
    for i in mac:
        prob = problem(layers[i])
        key = (prob, tuple(sorted((mappings[i] or {}).items())))
        if key not in flows:
            flows[key] = maestro_layer(prob, accelerator, mappings[i], layers[i].name)
        maestro.append(flows[key])
    metrics = metrics_many(maestro, [accelerator.machine(layers[i].elem_bytes) for i in mac],
                           compat="fixed", energy=accelerator.energy)
    rows: list[dict | None] = [None] * len(layers)
    for j, i in enumerate(mac):
        cost = cost_from_metrics(layers[i], accelerator, {k: metrics[k][j].item() for k in METRICS})
        rows[i] = {"layer": layers[i].name, **cost.to_dict()}
    for i, layer in enumerate(layers):
        if rows[i] is None:
            rows[i] = {"layer": layer.name, **_streamed(layer, accelerator).to_dict()}
    return pd.DataFrame(rows)
