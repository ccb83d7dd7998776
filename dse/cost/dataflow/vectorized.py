"""The case analysis of many layers at once: one numpy pass per group of layers that share a dataflow structure.

Layers share a structure when they have the same type, dimension names and directive kinds/dimensions/order, and
differ only in dimension sizes, tile sizes/offsets, cluster sizes and strides (a network's layers under one
template, or a mapping search's candidates), on machines that differ only in MACHINE_NUMBERS (a sweep over PE
counts and bandwidths). Such a group is stacked into one MaestroLayer and one Hardware whose numbers are arrays and
run through the same Engine and metrics code as a single layer (dse.cost.dataflow.analysis), which masks the
iteration cases a row does not have. Groups too small to pay numpy's per-call overhead, and any group the vector
pass rejects, are evaluated one layer at a time, which gives the same numbers.

A group's rows are a matrix of numbers (split()'s order). MaestroLayers given one by one are split into rows
(`metrics_many`); a table of mappings of one layer fills the rows directly from its template resolved with
placeholders (`fill`), so N mappings cost numpy work, not N MaestroLayers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import dataclasses
from dataclasses import dataclass

import numpy as np

from dse.cost.dataflow.analysis import Engine, distinct_rows
from dse.cost.dataflow.metrics import METRICS, layer_metrics, metrics_of
from dse.errors import InputError
from dse.hw.dataflow import Placeholder
from dse.hw.directives import CLUSTER, Directive, EnergyTable, Hardware, MaestroLayer

#: Smallest group worth a vector pass (below it the scalar path is faster; see benchmarks/dataflow_speed.py).
MIN_GROUP = 16
#: The machine's numbers the analysis reads; a vector pass may vary them per row (l1/l2 sizes do not enter it).
MACHINE_NUMBERS = ("num_pes", "noc_bw", "offchip_bw", "noc_hops", "simd_lanes")
#: Those that enter only delays (NoC and off-chip time), never which iteration cases exist or what data moves:
#: machines differing only in these share one analysis of the data movement, with the machines as a second axis.
DELAY_NUMBERS = ("noc_bw", "offchip_bw", "noc_hops", "step_offchip_bound")


def stack_machines(machines: Sequence[Hardware]) -> Hardware:
    """Machines as one Hardware whose numbers are arrays over the rows (int64, the off-chip bound flag bool)."""
    columns = {name: np.array([getattr(hw, name) for hw in machines], dtype=np.int64) for name in MACHINE_NUMBERS}
    return Hardware(**columns, step_offchip_bound=np.array([hw.step_offchip_bound for hw in machines]))


def machine_axis(machines: Sequence[Hardware]) -> Hardware | None:
    """Machines that differ only in DELAY_NUMBERS as one Hardware whose delay numbers are (machines, 1) arrays, a
    machine axis in front of the rows (dse.cost.dataflow.elementwise); None if they differ in anything else."""
    first = machines[0]
    if any(getattr(hw, name) != getattr(first, name) for hw in machines[1:] for name in MACHINE_NUMBERS
           if name not in DELAY_NUMBERS):
        return None
    return dataclasses.replace(first, **{name: np.array([getattr(hw, name) for hw in machines])[:, None]
                                         for name in DELAY_NUMBERS})


def split(layer: MaestroLayer) -> tuple[tuple, tuple[int, ...]]:
    """(structure, numbers): what must be equal for two layers to share one vector pass (type, dimension names,
    directive kinds/dimensions/order) and what may differ (sizes, tile sizes/offsets, cluster sizes, strides)."""
    shape, numbers = [layer.type], [v for _, v in layer.dims]
    shape.extend(name for name, _ in layer.dims)
    for d in layer.dataflow:
        if d.kind == CLUSTER:
            shape.append(d.kind)
            numbers.append(d.size)
        else:
            shape.append((d.kind, d.dim))
            numbers.append(d.size)
            numbers.append(d.offset)
    numbers.append(layer.stride_y)
    numbers.append(layer.stride_x)
    return tuple(shape), tuple(numbers)


def stack(layers: Sequence[MaestroLayer], numbers: Sequence[Sequence[int]] | np.ndarray | None = None) -> MaestroLayer:
    """Layers of one structure as one layer whose sizes, offsets and strides are int64 arrays over the batch rows
    (`numbers`, split() order; by default the layers' own)."""
    first = layers[0]
    if numbers is None:
        numbers = [split(l)[1] for l in layers]
    cols = iter(np.asarray(numbers, dtype=np.int64).T)
    return _with_numbers(first, cols, name=f"{len(numbers)} layers")


def unstack(layer: MaestroLayer, row: Sequence[int]) -> MaestroLayer:
    """One row of numbers (split() order) as a layer of `layer`'s structure, name and source."""
    return _with_numbers(layer, iter(np.asarray(row).tolist()), name=layer.name)


def _with_numbers(layer: MaestroLayer, values, name: str) -> MaestroLayer:
    dims = tuple((dim, next(values)) for dim, _ in layer.dims)
    flow = tuple(Directive(CLUSTER, next(values)) if d.kind == CLUSTER
                 else Directive(d.kind, next(values), next(values), d.dim) for d in layer.dataflow)
    return MaestroLayer(name=name, type=layer.type, dims=dims, dataflow=flow, stride_y=next(values),
                        stride_x=next(values), source=layer.source)


def fill(layer: MaestroLayer, columns: Mapping[str, np.ndarray], rows: int) -> np.ndarray:
    """The numbers (split() order) of `rows` mappings of a layer whose directive sizes/offsets may be Placeholders
    (dse.hw.dataflow.resolve_symbolic), each filled from the parameter's column."""
    values = [v for _, v in layer.dims]
    for d in layer.dataflow:
        values += [d.size] if d.kind == CLUSTER else [d.size, d.offset]
    values += [layer.stride_y, layer.stride_x]
    numbers = np.empty((rows, len(values)), dtype=np.int64)
    for j, v in enumerate(values):
        numbers[:, j] = columns[v.name] if isinstance(v, Placeholder) else v
    return numbers


@dataclass
class Part:
    """Rows of one structure: a layer of that structure (its name and source name the rows in error messages
    unless `layers` gives each row's own layer), the rows' numbers (split() order), their output positions, and the
    machine they run on: `hw`, or with `which` (row -> index) one of the machines `hw` lists. Row i's numbers are
    numbers[i % len(numbers)]: the same mappings on several machines give them once, not once per machine."""

    layer: MaestroLayer
    hw: Hardware | Sequence[Hardware]
    numbers: np.ndarray
    rows: np.ndarray
    layers: Sequence[MaestroLayer] | None = None
    which: np.ndarray | None = None

    def row_layer(self, i: int) -> MaestroLayer:
        return self.layers[i] if self.layers is not None else unstack(self.layer, self.numbers[i % len(self.numbers)])

    def machines(self) -> tuple[list[Hardware], np.ndarray]:
        """(machines, each row's index among them)."""
        if self.which is None:
            return [self.hw], np.zeros(len(self.rows), dtype=np.int64)
        return list(self.hw), self.which


def group_metrics(layers: Sequence[MaestroLayer], hw: Hardware, compat: str = "fixed",
                  energy: EnergyTable = EnergyTable(),
                  numbers: Sequence[Sequence[int]] | np.ndarray | None = None) -> dict[str, np.ndarray]:
    """METRICS of layers sharing one structure (split()[0]), as arrays: row i = layer_metrics(layers[i], hw, ...);
    with `numbers`, row i is layers[0]'s structure with numbers[i]. `hw` may hold arrays over the rows
    (stack_machines)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        stacked = stack(layers, numbers)
        n = len(stacked.stride_y)
        top, inner = Engine(stacked, hw, batch=n).run()
        m = metrics_of(stacked, hw, top, inner, compat, energy)
    shape = np.broadcast_shapes(*(np.shape(m[k]) for k in METRICS), (n,))  # (machines, n) with a machine axis
    return {k: np.broadcast_to(m[k], shape) for k in METRICS}


def vector_pass(layer: MaestroLayer, machines: Sequence[Hardware], kinds: np.ndarray, kind: np.ndarray,
                which: np.ndarray, first: np.ndarray, inverse: np.ndarray, compat: str,
                energy: EnergyTable) -> tuple[dict[str, np.ndarray], np.ndarray | tuple[np.ndarray, np.ndarray]]:
    """(values, pick): METRICS of rows of one structure from one vector pass, values[k][pick] being row i's, where
    row i is the numbers kinds[kind[i]] on machines[which[i]] and `first`/`inverse` are the distinct (kind, which)
    pairs. When the machines differ only in DELAY_NUMBERS (a sweep of NoC or off-chip bandwidths), every distinct
    numbers row is analysed once with the machines as a second axis, which pays if most rows meet most machines (a
    sweep's cross product: the data movement is worked out once, not once per machine)."""
    axis = machine_axis(machines) if len(machines) > 1 else None
    if axis is not None and len(kinds) * len(machines) <= 2 * len(first):
        return group_metrics([layer], axis, compat, energy, kinds), (which, kind)
    hw = stack_machines([machines[i] for i in which[first].tolist()])
    return group_metrics([layer], hw, compat, energy, kinds[kind[first]]), inverse


def metrics_many(layers: Sequence[MaestroLayer], machines: Sequence[Hardware], compat: str = "fixed",
                 energy: EnergyTable = EnergyTable(), min_group: int = MIN_GROUP) -> dict[str, np.ndarray]:
    """METRICS of every (layer, machine) pair as arrays, equal to layer_metrics one at a time. Identical pairs
    are analysed once; layers sharing a structure and machine kind, in groups of at least `min_group`, in one pass."""
    groups: dict[tuple, tuple[list[int], list[tuple[int, ...]]]] = {}  # (structure, machine) -> rows, numbers
    for i, (layer, hw) in enumerate(zip(layers, machines)):
        shape, numbers = split(layer)
        rows, values = groups.setdefault((shape, hw), ([], []))
        rows.append(i)
        values.append(numbers)
    parts = [Part(layers[rows[0]], hw, np.array(values, dtype=np.int64), np.array(rows),
                  [layers[i] for i in rows]) for (_, hw), (rows, values) in groups.items()]
    return metrics_parts(parts, len(layers), compat, energy, min_group)


def metrics_parts(parts: Sequence[Part], n: int, compat: str = "fixed", energy: EnergyTable = EnergyTable(),
                  min_group: int = MIN_GROUP, keys: Sequence[str] = METRICS) -> dict[str, np.ndarray]:
    """The METRICS `keys` at the parts' output positions (arrays of length n). Parts of one structure are merged
    (their machines' numbers become columns of the rows) and their distinct rows analysed once; errors name the
    layer of the first row, in output order, that has one."""
    groups: dict[tuple, list[Part]] = {}
    for part in parts:
        groups.setdefault(split(part.layer)[0], []).append(part)
    results = []
    for members in groups.values():
        rows = np.concatenate([p.rows for p in members])
        order = np.argsort(rows, kind="stable")
        index: dict[Hardware, int] = {}
        which = []
        for part in members:
            machines, local_which = part.machines()
            ids = np.array([index.setdefault(hw, len(index)) for hw in machines], dtype=np.int64)
            which.append(ids[local_which])
        machines = list(index)
        which = np.concatenate(which)[order]
        numbers = np.concatenate([p.numbers for p in members])
        given = np.array([len(p.numbers) for p in members])
        owner = np.repeat(np.arange(len(members)), [len(p.rows) for p in members])[order]
        local = np.concatenate([np.arange(len(p.rows)) for p in members])[order]
        kinds, number_kind = distinct_rows(list(numbers.T))  # distinct numbers rows
        kind = number_kind[(np.cumsum(given) - given)[owner] + local % given[owner]]
        first, inverse = distinct_rows([kind, which])  # distinct (numbers, machine) rows
        values = None
        if len(first) >= min_group:
            try:
                values, pick = vector_pass(members[0].layer, machines, numbers[kinds], kind, which, first, inverse,
                                           compat, energy)
            except InputError:
                values = None  # some row is rejected: the scalar path raises the error naming its layer
        if values is None:
            singles = [layer_metrics(members[owner[i]].row_layer(local[i]), machines[which[i]], compat=compat,
                                     energy=energy) for i in first.tolist()]
            values, pick = {k: np.array([s[k] for s in singles]) for k in METRICS}, inverse
        results.append((rows[order], pick, values))
    out = {}
    for k in keys:
        col = np.zeros(n, dtype=np.result_type(np.int64, *[values[k] for _, _, values in results]))
        for where, pick, values in results:
            col[where] = values[k][pick]
        out[k] = col
    return out

