"""The case analysis of many layers at once: one numpy pass per group of layers that share a dataflow structure.

Layers share a structure when they have the same type, dimension names, directive kinds/dimensions/order and
cluster sizes, and differ only in dimension sizes, tile sizes/offsets and strides (a network's layers under one
template, or a mapping search's candidates). Such a group is stacked into one MaestroLayer whose numbers are arrays
and run through the same Engine and metrics code as a single layer (dse.cost.dataflow.analysis); the engine splits
the rows further wherever the set of iteration cases differs. Groups too small to pay numpy's per-call overhead,
and any group the vector pass rejects, are evaluated one layer at a time, which gives the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dse.cost.dataflow.analysis import Engine
from dse.cost.dataflow.directives import CLUSTER, Directive, Hardware, MaestroLayer
from dse.cost.dataflow.energy import EnergyTable
from dse.cost.dataflow.metrics import METRICS, layer_metrics, metrics_of
from dse.errors import InputError

#: Smallest group worth a vector pass (below it the scalar path is faster; see benchmarks/dataflow_speed.py).
MIN_GROUP = 64


def split(layer: MaestroLayer) -> tuple[tuple, tuple[int, ...]]:
    """(structure, numbers): what must be equal for two layers to share one vector pass (type, dimension names,
    directive kinds/dimensions/order, cluster sizes) and what may differ (sizes, tile sizes/offsets, strides)."""
    shape, numbers = [layer.type], [v for _, v in layer.dims]
    shape.extend(name for name, _ in layer.dims)
    for d in layer.dataflow:
        if d.kind == CLUSTER:
            shape.append((d.kind, d.size))
        else:
            shape.append((d.kind, d.dim))
            numbers.append(d.size)
            numbers.append(d.offset)
    numbers.append(layer.stride_y)
    numbers.append(layer.stride_x)
    return tuple(shape), tuple(numbers)


def stack(layers: Sequence[MaestroLayer], numbers: Sequence[Sequence[int]] | None = None) -> MaestroLayer:
    """Layers of one structure as one layer whose sizes, offsets and strides are int64 arrays over the batch."""
    first = layers[0]
    if numbers is None:
        numbers = [split(l)[1] for l in layers]
    cols = iter(np.array(numbers, dtype=np.int64).T)
    dims = tuple((name, next(cols)) for name, _ in first.dims)
    flow = []
    for d in first.dataflow:
        flow.append(d if d.kind == CLUSTER else Directive(d.kind, next(cols), next(cols), d.dim))
    return MaestroLayer(name=f"{len(layers)} layers", type=first.type, dims=dims, dataflow=tuple(flow),
                        stride_y=next(cols), stride_x=next(cols), source=first.source)


def group_metrics(layers: Sequence[MaestroLayer], hw: Hardware, compat: str = "fixed",
                  energy: EnergyTable = EnergyTable(),
                  numbers: Sequence[Sequence[int]] | None = None) -> dict[str, np.ndarray]:
    """METRICS of layers sharing one structure (split()[0]), as arrays: row i = layer_metrics(layers[i], hw, ...)."""
    n = len(layers)
    with np.errstate(divide="ignore", invalid="ignore"):
        stacked = stack(layers, numbers)
        top, inner = Engine(stacked, hw, batch=n).run()
        m = metrics_of(stacked, hw, top, inner, compat, energy)
    return {k: np.broadcast_to(m[k], (n,)) for k in METRICS}


def metrics_many(layers: Sequence[MaestroLayer], machines: Sequence[Hardware], compat: str = "fixed",
                 energy: EnergyTable = EnergyTable(), min_group: int = MIN_GROUP) -> dict[str, np.ndarray]:
    """METRICS of every (layer, machine) pair as arrays, equal to layer_metrics one at a time. Identical layers
    are analysed once; layers sharing a structure and machine, in groups of at least `min_group`, in one pass."""
    groups: dict[tuple, dict[tuple, list[int]]] = {}  # (structure, machine) -> numbers -> rows
    for i, (layer, hw) in enumerate(zip(layers, machines)):
        shape, numbers = split(layer)
        groups.setdefault((shape, hw), {}).setdefault(numbers, []).append(i)
    parts: list[tuple[list[list[int]], dict]] = []
    for (_, hw), same in groups.items():
        members = [rows[0] for rows in same.values()]
        values = None
        if len(members) >= min_group:
            try:
                values = group_metrics([layers[i] for i in members], hw, compat, energy, list(same))
            except InputError:
                values = None  # some layer is rejected: the scalar path raises the error naming it
        if values is None:
            singles = [layer_metrics(layers[i], hw, compat=compat, energy=energy) for i in members]
            values = {k: np.array([s[k] for s in singles]) for k in METRICS}
        parts.append((list(same.values()), values))
    spread = [(np.fromiter((i for r in rows for i in r), dtype=np.int64), np.array([len(r) for r in rows]))
              for rows, _ in parts]
    out = {}
    for k in METRICS:
        col = np.zeros(len(layers), dtype=np.result_type(np.int64, *[values[k] for _, values in parts]))
        for (where, repeats), (_, values) in zip(spread, parts):
            col[where] = np.repeat(values[k], repeats)
        out[k] = col
    return out
