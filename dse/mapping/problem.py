"""A workload compiled against a system: the mappable layers, the tensors between them, and per-accelerator times.

Mappable layers are the compute layers (conv, fc, matmul, LSTM; `Workload.compute_layers`). Every other op rides
along with a compute layer and costs no time of its own (H2H's layer tables hold only compute layers):
- an op with compute ancestors joins the latest group among its producers' groups (a residual add runs where the
  later branch ends, so the earlier branch's tensor travels to it);
- an op with none (input preprocessing) joins the group of its earliest consumer.
A tensor crossing groups is one edge between groups, keyed by the node that produced it so a tensor read by two
ops of one group moves once. Graph sources read their input from host memory; graph sinks write theirs back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dse.errors import Infeasible, InputError
from dse.hw.system import System
from dse.mapping.accelerators import model_of
from dse.workload.graph import Workload
from dse.workload.layer import Layer


@dataclass(frozen=True)
class Problem:
    """Everything the scheduler and the mappers read, indexed by group number (topological order)."""

    workload: Workload
    system: System
    layers: list[Layer]  # the compute layer heading each group
    members: list[list[str]]  # node names of each group, head first
    backbone: list[str]  # modality of each group's head ("" when the workload has none)
    preds: list[list[tuple[int, float]]]  # (producer group, bytes it sends here)
    succs: list[list[tuple[int, int, float]]]  # (consumer group, tensor id, tensor bytes)
    input_bytes: np.ndarray  # model inputs each group reads from host
    sink_bytes: np.ndarray  # model outputs each group writes to host
    weight_bytes: np.ndarray
    compute_s: np.ndarray  # (groups, accelerators); inf where the accelerator cannot run the layer

    @property
    def n(self) -> int:
        return len(self.layers)

    @property
    def n_acc(self) -> int:
        return len(self.system.accelerators)

    def index(self, name: str) -> int:
        return next(i for i, layer in enumerate(self.layers) if layer.name == name)


def _groups(workload: Workload) -> tuple[list[str], dict[str, int]]:
    nodes = [l.name for l in workload.layers()]
    heads = [n for n in nodes if workload.layer(n).is_compute]
    if not heads:
        raise InputError(f"workload {workload.model_name!r}: no conv, fc, matmul or LSTM layer to map")
    group = {h: i for i, h in enumerate(heads)}
    for n in nodes:
        if n in group:
            continue
        producers = [group[p] for p in workload.predecessors(n) if p in group]
        if producers:
            group[n] = max(producers)  # after every producer's group: the latest group, not the latest node
    for n in reversed(nodes):
        if n not in group:
            consumers = [group[s] for s in workload.successors(n) if s in group]
            if consumers:
                group[n] = min(consumers)
    return heads, group


def compile_problem(workload: Workload, system: System) -> Problem:
    """Group the graph, size the tensors between groups and cost every layer on every accelerator."""
    heads, group = _groups(workload)
    n = len(heads)
    members: list[list[str]] = [[] for _ in range(n)]
    for node in workload.nodes:
        if node in group:
            members[group[node]].append(node)
    for i, h in enumerate(heads):
        members[i].remove(h)
        members[i].insert(0, h)
    tensor_ids = {node: i for i, node in enumerate(workload.nodes)}
    edge_tensors: dict[tuple[int, int], dict[str, float]] = {}
    input_bytes, sink_bytes = np.zeros(n), np.zeros(n)
    for node, g in group.items():
        layer = workload.layer(node)
        if workload.in_degree(node) == 0:
            input_bytes[g] += layer.input_bytes
        if workload.out_degree(node) == 0:
            sink_bytes[g] += layer.output_bytes
        for _, succ, data in workload.out_edges(node, data=True):
            if succ in group and group[succ] != g:
                moved = 0.0 if data.get("kind") == "order" else float(data.get("bytes", layer.output_bytes))
                edge_tensors.setdefault((g, group[succ]), {})[node] = moved
    preds: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    succs: list[list[tuple[int, int, float]]] = [[] for _ in range(n)]
    for (g, h), tensors in sorted(edge_tensors.items()):
        preds[h].append((g, sum(tensors.values())))
        succs[g].extend((h, tensor_ids[t], b) for t, b in tensors.items())
    layers = [workload.layer(h) for h in heads]
    accs = system.accelerators
    compute = np.full((n, len(accs)), np.inf)
    for a, acc in enumerate(accs):
        model = model_of(acc.design)
        for i, layer in enumerate(layers):
            if layer.op in acc.design.ops:
                compute[i, a] = model.compute_seconds(layer)
    unsupported = np.isinf(compute).all(axis=1)
    if unsupported.any():
        bad = layers[int(np.argmax(unsupported))]
        kinds = "; ".join(f"{a.name}: {', '.join(sorted(o.value for o in a.design.ops))}" for a in accs)
        raise Infeasible(f"{system.path + ': ' if system.path else ''}workload {workload.model_name!r}: layer {bad.name!r} (op {bad.op.value}) can run on no "
                         f"accelerator of system {system.name!r} ({kinds})")
    backbone = [str(workload.nodes[h].get("backbone", "")) for h in heads]
    return Problem(workload, system, layers, members, backbone, preds, succs, input_bytes, sink_bytes,
                   np.array([l.weight_bytes for l in layers], dtype=float), compute)
