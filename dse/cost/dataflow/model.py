"""dse's dataflow cost model on `Layer` records: `evaluate(layer, accelerator, mapping)` -> `Cost`.

MAC layers (conv, depthwise, FC, matmul, LSTM, in forward, backward-data and weight-gradient passes) become a
MAESTRO problem (dse.cost.dataflow.problem), get the accelerator's dataflow template resolved on their dimensions
and run through the MAESTRO analysis (compat="fixed"). On top of MAESTRO:
- off-chip traffic = each input/weight tensor filled into L2 once + each output drained once (MAESTRO's L2 write
  counts of input and filter and its L2 read count of the output), costed at the file's DRAM J/byte;
- runtime = max(the analysis' cycles, off-chip traffic / off-chip bytes per cycle) (dse.cost.dataflow.offchip);
  the analysis keeps MAESTRO's per-step bound (each step's whole L2 working set read off chip) only for
  accelerators with `offchip_bound: step`, and the library's `layer` machines charge the traffic here alone;
- `macs` are the layer's useful MACs; the MACs the dataflow issues (edge tiles, inserted zeros) are in
  extra["num_macs"] and are what the MAC energy counts.

Other ops (pooling, element-wise, norms, softmax, concat, weight update) move no MACs: they stream their operands
from DRAM through L2 and L1 to the PEs and back, one operation per PE per cycle (see `stream_cost`).

Batches (`evaluate_batch`, `evaluate_mappings`, `evaluate_sweep`) give the same numbers column-wise: one template
resolution and one table of mappings per layer (dse.cost.dataflow.mappings), one vector pass per dataflow structure
(dse.cost.dataflow.vectorized), and the Cost formulas below applied to whole columns.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from dse.cost.dataflow.mappings import Table, resolve_table, table_rows
from dse.cost.dataflow.metrics import METRICS, layer_metrics
from dse.cost.dataflow.offchip import offchip_elements, roofline
from dse.cost.dataflow.problem import Problem, has_mac_form, problem
from dse.cost.dataflow.vectorized import Part, fill, metrics_parts
from dse.cost.record import Cost, checked, checked_frame
from dse.errors import InputError
from dse.hw.dataflow import DataflowAccelerator
from dse.hw.directives import Directive, MaestroLayer
from dse.workload.layer import Layer

Mapping = dict[str, int]


def maestro_layer(prob: Problem, acc: DataflowAccelerator, mapping: Mapping | None = None,
                  name: str = "layer") -> MaestroLayer:
    """The problem as a MAESTRO layer under the accelerator's template (parameters from `mapping` or defaults)."""
    return _as_maestro(prob, acc, acc.dataflow(prob.type, dict(prob.dims), mapping), name)


def _as_maestro(prob: Problem, acc: DataflowAccelerator, flow: tuple[Directive, ...], name: str) -> MaestroLayer:
    return MaestroLayer(name=name, type=prob.type, dims=prob.dims, dataflow=flow, stride_y=prob.stride_y,
                        stride_x=prob.stride_x, source=f"{acc.path}: layer {name}")


def analyse(prob: Problem, acc: DataflowAccelerator, elem_bytes: int, mapping: Mapping | None = None,
            name: str = "layer") -> dict[str, float]:
    """MAESTRO metrics of one problem under the accelerator's template (parameters from `mapping` or defaults)."""
    return layer_metrics(maestro_layer(prob, acc, mapping, name), acc.machine(elem_bytes), compat="fixed",
                         energy=acc.energy)


#: The MAESTRO metrics `mac_cost` reads; the others only ride along in Cost.extra.
COST_METRICS = ("runtime_cycles", "input_l2_write", "filter_l2_write", "output_l2_read", "mac_energy_macunits",
                "total_l1_read_energy_macunits", "total_l1_write_energy_macunits", "total_l2_read_energy_macunits",
                "total_l2_write_energy_macunits", "l1_size_req", "l2_size_req", "noc_bw_req_elems_per_cycle",
                "offchip_bw_req_elems_per_cycle")


def mac_cost(m: dict, macs, flops, elem_bytes, acc: DataflowAccelerator) -> Cost:
    """The Cost of MAC layers from their MAESTRO metrics (units converted with the element size in bytes),
    elementwise: numpy arrays over a batch, or one layer's numbers (`cost_from_metrics`). Cost.extra holds the
    metrics given: every one of METRICS, or at least COST_METRICS."""
    eb, mac_j = elem_bytes, acc.energy.mac_j
    dram_bytes = offchip_elements(m) * eb
    cycles, dram_cycles = roofline(m["runtime_cycles"], dram_bytes, acc.offchip_bw_bytes_per_s, acc.clock_hz)
    parts = {"energy_mac_j": m["mac_energy_macunits"] * mac_j,
             "energy_l1_j": (m["total_l1_read_energy_macunits"] + m["total_l1_write_energy_macunits"]) * mac_j,
             "energy_l2_j": (m["total_l2_read_energy_macunits"] + m["total_l2_write_energy_macunits"]) * mac_j,
             "energy_dram_j": dram_bytes * acc.energy.dram_j_per_byte}
    extra = {k: m[k] for k in METRICS if k in m}
    extra["dram_bound_cycles"] = dram_cycles
    return Cost(cycles=cycles, seconds=cycles / acc.clock_hz, energy_j=sum(parts.values()), **parts,
                macs=macs, flops=flops, dram_bytes=dram_bytes, utilization=_per_cycle(macs, cycles * acc.num_pes),
                l1_bytes=m["l1_size_req"] * eb, l2_bytes=m["l2_size_req"] * eb,
                noc_bw_bytes_per_cycle=m["noc_bw_req_elems_per_cycle"] * eb,
                offchip_bw_bytes_per_cycle=m["offchip_bw_req_elems_per_cycle"] * eb, extra=extra)


def stream_cost(flops, moved, elem_bytes, acc: DataflowAccelerator) -> Cost:
    """Traffic-bound model of ops without MACs, elementwise like `mac_cost`. Their operands (input + weight bytes)
    are filled from DRAM into L2 and read out to the PEs (2 L2 accesses, 1 L1 access per element); their results
    go back the same way (1 L1 access, L2 write and read back to DRAM); `moved` bytes in all. Each of the `flops`
    costs one MAC's energy and takes one PE-cycle. Runtime is the slowest of compute, NoC and off-chip.
    Buffers: every PE double-buffers one operand and one result element; L2 double-buffers one such wave."""
    eb = elem_bytes
    elements = moved / eb
    cycles = np.maximum(np.maximum(np.ceil(flops / acc.num_pes), np.ceil(moved / acc.noc_bw_bytes_per_cycle)),
                        np.ceil(moved * acc.clock_hz / acc.offchip_bw_bytes_per_s)).astype(np.int64)
    e = acc.energy
    parts = {"energy_mac_j": flops * e.mac_macunits * e.mac_j,
             "energy_l1_j": elements * e.l1_macunits * e.mac_j,
             "energy_l2_j": 2 * elements * e.l2_macunits * e.mac_j,
             "energy_dram_j": moved * e.dram_j_per_byte}
    return Cost(cycles=cycles, seconds=cycles / acc.clock_hz, energy_j=sum(parts.values()), **parts,
                macs=0, flops=flops, dram_bytes=moved, utilization=_per_cycle(flops, cycles * acc.num_pes),
                l1_bytes=2 * 2 * eb, l2_bytes=2 * 2 * eb * acc.num_pes,
                noc_bw_bytes_per_cycle=_per_cycle(moved, cycles), offchip_bw_bytes_per_cycle=_per_cycle(moved, cycles))


def _per_cycle(amount, cycles):
    """amount / cycles, 0.0 where cycles is 0."""
    return np.divide(amount, cycles, out=np.zeros(np.shape(cycles)), where=cycles != 0)


def _scalar(cost: Cost) -> Cost:
    """A one-layer Cost with numpy scalars turned into Python numbers."""
    values = {f.name: getattr(cost, f.name) for f in dataclasses.fields(cost)}
    values["extra"] = dict(cost.extra)
    for table in (values, values["extra"]):
        for k, v in table.items():
            if isinstance(v, _NUMPY):
                table[k] = v.item()
    return Cost(**values)


_NUMPY = (np.generic, np.ndarray)
#: The Cost fields of a frame's columns, checked finite and non-negative as every Cost is.
COST_COLUMNS = tuple(f.name for f in dataclasses.fields(Cost) if f.name != "extra")


def cost_from_metrics(layer: Layer, acc: DataflowAccelerator, m: dict[str, float]) -> Cost:
    """The Cost record of a MAC layer from its MAESTRO metrics (units converted with the layer's element size)."""
    return _scalar(mac_cost(m, layer.macs, layer.flops, layer.elem_bytes, acc))


def _streamed(layer: Layer, acc: DataflowAccelerator) -> Cost:
    return _scalar(stream_cost(layer.flops, _moved(layer), layer.elem_bytes, acc))


def _moved(layer: Layer) -> int:
    return layer.input_bytes + layer.weight_bytes + layer.output_bytes


def evaluate(layer: Layer, accelerator: DataflowAccelerator, mapping: Mapping | None = None) -> Cost:
    """Cost of one layer (any op, any pass) on a dataflow accelerator; `mapping` overrides template parameters."""
    if not has_mac_form(layer):
        return checked(_streamed(layer, accelerator), f"dataflow {accelerator.name}", [layer.name])
    return checked(cost_from_metrics(layer, accelerator, analyse(problem(layer), accelerator, layer.elem_bytes,
                                                                 mapping, layer.name)),
                   f"dataflow {accelerator.name}", [layer.name])


def evaluate_batch(layers: Iterable[Layer], accelerator: DataflowAccelerator,
                   mappings: Sequence[Mapping | None] | None = None) -> pd.DataFrame:
    """One row per layer (column `layer` + the Cost fields + MAESTRO metrics), equal to one-at-a-time `evaluate`.
    Rows of one Layer object become one table of mappings (see evaluate_sweep)."""
    layers = list(layers)
    return _evaluate(_tables(layers, accelerator, mappings), [accelerator], len(layers))


def _tables(layers: list[Layer], accelerator: DataflowAccelerator,
            mappings: Sequence[Mapping | None] | None) -> list[tuple[Layer, Table, np.ndarray]]:
    """(layer, table of its mappings, its rows) per distinct Layer object."""
    mappings = list(mappings) if mappings is not None else [None] * len(layers)
    if len(mappings) != len(layers):
        raise ValueError(f"{len(layers)} layers but {len(mappings)} mappings")
    rows: dict[int, list[int]] = {}
    for i, layer in enumerate(layers):
        rows.setdefault(id(layer), []).append(i)
    items = []
    for where in rows.values():
        layer, maps = layers[where[0]], [mappings[i] or {} for i in where]
        names = dict.fromkeys(name for m in maps for name in m)
        table = {}
        if names and has_mac_form(layer):
            sizes = dict(problem(layer).dims)
            fallback = {p.name: accelerator.default(p, sizes) for p in accelerator.parameters.values()}
            table = {name: [m.get(name, fallback.get(name)) for m in maps] for name in names}
        items.append((layer, table, np.array(where)))
    return items


def evaluate_mappings(layer: Layer, accelerator: DataflowAccelerator, table: Table) -> pd.DataFrame:
    """One row per mapping of one layer, the columns of evaluate_batch and the same numbers as `evaluate(layer,
    accelerator, mapping)` row by row. `table`: template parameter -> one int per mapping (array, list or
    DataFrame column); parameters left out take their defaults. The template is resolved once and the table fills
    the batch's arrays, so the Python work does not grow with the number of mappings."""
    return evaluate_sweep([(layer, table)], accelerator)


def evaluate_sweep(sweep: Iterable[tuple[Layer, Table]], accelerator: DataflowAccelerator) -> pd.DataFrame:
    """evaluate_mappings of many layers as one DataFrame, rows layer after layer: a network x mappings sweep, one
    vector pass per dataflow structure. Layers without MACs ignore their table (one streamed row per mapping)."""
    items, n = _sweep_items(sweep, accelerator)
    return _evaluate(items, [accelerator], n)


def _sweep_items(sweep: Iterable[tuple[Layer, Table]],
                 accelerator: DataflowAccelerator) -> tuple[list[tuple[Layer, Table, np.ndarray]], int]:
    """(items, rows): each layer with its table and its rows, one after another."""
    items, n = [], 0
    for layer, table in sweep:
        rows = table_rows(accelerator, table)
        items.append((layer, table, np.arange(n, n + rows)))
        n += rows
    return items, n


#: What the designs of one sweep may differ in (evaluate_designs); the rest must be equal (one dataflow template,
#: one energy table).
DESIGN_NUMBERS = ("num_pes", "clock_hz", "l1_bytes", "l2_bytes", "noc_bw_bytes_per_cycle", "noc_hop_cycles",
                  "offchip_bw_bytes_per_s")
_DESIGN_FREE = (*DESIGN_NUMBERS, "offchip_bound", "name", "sources", "path")


def evaluate_designs(layers: Iterable[Layer], designs: Sequence[DataflowAccelerator],
                     mappings: Sequence[Mapping | None] | None = None, all_metrics: bool = True) -> pd.DataFrame:
    """Every layer on every design: a hardware sweep (PE count, buffers, NoC, off-chip bandwidth and bound, clock)
    over variants of one accelerator, e.g. dataclasses.replace(load_accelerator("nvdla"), num_pes=2048). Rows
    design after design, column `design` (the index in `designs`) then evaluate_batch's columns, each row equal to
    `evaluate(layer, designs[d], mapping)`; all designs' rows share their dataflow's vector passes. With
    all_metrics=False the MAESTRO metrics beyond COST_METRICS are left out (a sweep that reads only the Cost
    fields spares gathering and framing some fifty columns of every row)."""
    layers, designs = list(layers), _checked_designs(designs)
    return _on_designs(_tables(layers, designs[0], mappings), len(layers), designs, all_metrics)


def evaluate_sweep_designs(sweep: Iterable[tuple[Layer, Table]], designs: Sequence[DataflowAccelerator],
                           all_metrics: bool = True) -> pd.DataFrame:
    """evaluate_sweep on every design (as evaluate_designs): each layer with a table of its mappings, which spares
    a large sweep one mapping dict per row."""
    designs = _checked_designs(designs)
    items, n = _sweep_items(sweep, designs[0])
    return _on_designs(items, n, designs, all_metrics)


def _checked_designs(designs: Sequence[DataflowAccelerator]) -> list[DataflowAccelerator]:
    designs = list(designs)
    if not designs:
        raise InputError("evaluate_designs: no designs given")
    first = designs[0]
    for design in designs[1:]:
        for f in dataclasses.fields(DataflowAccelerator):
            if f.name not in _DESIGN_FREE and getattr(design, f.name) != getattr(first, f.name):
                raise InputError(f"{design.path or design.name}: {f.name} differs from {first.path or first.name}; "
                                 f"one design sweep varies only {', '.join(DESIGN_NUMBERS)} and offchip_bound")
    return designs


def _on_designs(items: list[tuple[Layer, Table, np.ndarray]], per_design: int, designs: list[DataflowAccelerator],
                all_metrics: bool) -> pd.DataFrame:
    frame = _evaluate(items, designs, per_design * len(designs), METRICS if all_metrics else COST_METRICS)
    frame.insert(1, "design", np.repeat(np.arange(len(designs)), per_design))
    return frame


def _evaluate(items: list[tuple[Layer, Table, np.ndarray]], designs: list[DataflowAccelerator],
              n: int, metrics: Sequence[str] = METRICS) -> pd.DataFrame:
    """The frame of n rows: each item is a layer, its table of mappings and the rows they fill on the first design;
    design d's rows follow at an offset of d x (n / len(designs)) (designs: variants of one accelerator, see
    evaluate_designs). A layer's template is resolved once for all designs."""
    names = np.empty(n, dtype=object)
    per_design = n // len(designs)
    offsets = per_design * np.arange(len(designs))[:, None]
    mac, streamed, parts, machines = [], [], [], {}
    done = 0  # MAC rows so far: the parts' positions in the MAC-row arrays
    for layer, table, rows in items:
        rows = offsets + rows  # (designs, mappings)
        names[rows] = layer.name
        if not rows.size:
            continue
        if not has_mac_form(layer):
            streamed.append((layer, rows))
            continue
        prob = problem(layer)
        flow, columns = resolve_table(designs[0], prob.type, dict(prob.dims), table, rows.shape[1])
        if layer.elem_bytes not in machines:
            machines[layer.elem_bytes] = [design.machine(layer.elem_bytes) for design in designs]
        prototype = _as_maestro(prob, designs[0], flow, layer.name)
        numbers = fill(prototype, columns, rows.shape[1])  # the same on every design (Part: row i % mappings)
        parts.append(Part(prototype, machines[layer.elem_bytes], numbers, np.arange(done, done + rows.size),
                          which=_design_of(rows)))
        mac.append((layer, rows))
        done += rows.size
    pieces = []
    if mac:
        values = metrics_parts(parts, done, energy=designs[0].energy, keys=metrics)
        rows = np.concatenate([r.ravel() for _, r in mac])
        per_row = {name: _spread(mac, lambda l: getattr(l, name)) for name in ("macs", "flops", "elem_bytes")}
        pieces.append((rows, mac_cost(values, per_row["macs"], per_row["flops"], per_row["elem_bytes"],
                                      _design_rows(designs, mac))))
    if streamed:
        rows = np.concatenate([r.ravel() for _, r in streamed])
        pieces.append((rows, stream_cost(_spread(streamed, lambda l: l.flops), _spread(streamed, _moved),
                                         _spread(streamed, lambda l: l.elem_bytes), _design_rows(designs, streamed))))
    return checked_frame(_frame(names, pieces), f"dataflow {designs[0].name}", COST_COLUMNS)


def _spread(items: list[tuple[Layer, np.ndarray]], value) -> np.ndarray:
    """value(layer) repeated over each layer's rows, in the items' order."""
    return np.repeat(np.array([value(layer) for layer, _ in items]), [rows.size for _, rows in items])


def _design_of(rows: np.ndarray) -> np.ndarray:
    """The design index of each of a layer's rows, raveled from their (designs, mappings) layout."""
    return np.repeat(np.arange(rows.shape[0]), rows.shape[1])


def _design_rows(designs: list[DataflowAccelerator], items: list[tuple[Layer, np.ndarray]]) -> DataflowAccelerator:
    """The design of every row, in the items' order (rows (designs, mappings), raveled): the one design, or its
    DESIGN_NUMBERS as arrays over rows."""
    if len(designs) == 1:
        return designs[0]
    which = np.concatenate([_design_of(rows) for _, rows in items])
    return dataclasses.replace(designs[0], **{f: np.array([getattr(x, f) for x in designs])[which]
                                              for f in DESIGN_NUMBERS})


def _frame(names: np.ndarray, pieces: list[tuple[np.ndarray, Cost]]) -> pd.DataFrame:
    """Column `layer` + each piece's Cost.to_dict() columns at its rows (NaN where a piece lacks a column)."""
    columns: dict[str, np.ndarray] = {"layer": names}
    dicts = [(rows, cost.to_dict()) for rows, cost in pieces]
    for key in dict.fromkeys(k for _, d in dicts for k in d):
        values = [(rows, np.asarray(d[key])) for rows, d in dicts if key in d]
        missing = sum(len(rows) for rows, _ in values) < len(names)
        dtype = np.result_type(*[v for _, v in values], *([np.nan] if missing else []))
        col = np.full(len(names), np.nan, dtype=dtype) if missing else np.empty(len(names), dtype=dtype)
        for rows, v in values:
            col[rows] = v
        columns[key] = col
    return pd.DataFrame(columns)
