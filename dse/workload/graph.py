"""`Workload`: a networkx DiGraph of `Layer`s whose edges carry the bytes of the tensor that flows.

Nodes are keyed by layer name and hold the record under the attribute ``layer``. Edge attributes:
``bytes`` (tensor size) and ``kind``: ``data`` (an activation flowing forward), ``stash`` (a forward activation kept
for the backward passes), ``grad`` (a gradient flowing backward) or ``order`` (a pure ordering dependency).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import networkx as nx

from dse.errors import InputError
from dse.workload.layer import Layer, Op, Pass

if TYPE_CHECKING:
    import pandas as pd

TOTAL_FIELDS = ("macs", "flops", "params", "input_bytes", "weight_bytes", "output_bytes")


class Workload(nx.DiGraph):
    """A layer graph. ``graph['name']`` names the model; ``graph['training']`` is set by `training()`."""

    def __init__(self, incoming_graph_data=None, name: str = "", **attr) -> None:
        super().__init__(incoming_graph_data, **attr)
        if name:
            self.graph["name"] = name

    @property
    def model_name(self) -> str:
        return self.graph.get("name", "")

    def add_layer(self, layer: Layer, inputs: Iterable[str] = (), kind: str = "data") -> Layer:
        """Add `layer` fed by the named producers; each edge carries the producer's output bytes."""
        if layer.name in self:
            raise InputError(f"workload {self.model_name!r}: duplicate layer name {layer.name!r}")
        self.add_node(layer.name, layer=layer)
        for src in inputs:
            if src not in self:
                raise InputError(f"workload {self.model_name!r}: layer {layer.name!r} reads unknown layer {src!r}")
            self.add_edge(src, layer.name, bytes=self.layer(src).output_bytes, kind=kind)
        return layer

    def layer(self, name: str) -> Layer:
        return self.nodes[name]["layer"]

    def layers(self) -> list[Layer]:
        """Layers in a deterministic topological order (insertion order breaks ties)."""
        check_acyclic(self)
        order = {n: i for i, n in enumerate(self.nodes)}
        return [self.layer(n) for n in nx.lexicographical_topological_sort(self, key=order.__getitem__)]

    def compute_layers(self, pass_: Pass | None = Pass.FORWARD) -> list[Layer]:
        """Conv, fully-connected/matmul and LSTM layers (of one pass, or all passes with None)."""
        return [l for l in self.layers() if l.is_compute and (pass_ is None or l.pass_ is pass_)]

    def totals(self) -> dict[str, int]:
        """Sums of MACs, FLOPs, parameters and bytes over every layer (parameters over forward layers only)."""
        rows = self.layers()
        out = {f: sum(getattr(l, f) for l in rows) for f in TOTAL_FIELDS}
        out["params"] = sum(l.params for l in rows if l.pass_ is Pass.FORWARD)
        return out

    def table(self) -> pd.DataFrame:
        """One row per layer, in topological order."""
        import pandas as pd  # only tables need it; the zoo and the command line start without

        return pd.DataFrame([l.as_row() for l in self.layers()])


def rebatch(workload: Workload, batch: int, base: int, where: str) -> Workload:
    """The same graph at batch `batch` instead of `base`: every layer's N (a batch, or a batch times heads or other
    folded leading dims) scales by batch / base, and every edge's bytes with its producer's output."""
    from dataclasses import replace

    if batch == base:
        return workload
    for layer in workload.layers():
        if layer.N % base:
            raise InputError(f"{where}: cannot change the batch from {base} to {batch}: layer {layer.name!r} has "
                             f"N={layer.N}, not a multiple of {base}")
    out = Workload(name=workload.model_name)
    out.graph.update(workload.graph)
    for name, attrs in workload.nodes(data=True):
        layer = attrs["layer"]
        out.add_node(name, **{**attrs, "layer": replace(layer, N=layer.N // base * batch)})
    for src, dst, kind in workload.edges(data="kind"):
        out.add_edge(src, dst, bytes=out.layer(src).output_bytes, kind=kind)
    return out


def check_acyclic(graph: nx.DiGraph) -> None:
    """Raise `InputError` naming one cycle if the graph has any."""
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return
    path = " -> ".join([str(u) for u, _ in cycle] + [str(cycle[0][0])])
    raise InputError(f"workload {graph.graph.get('name', '')!r}: the layer graph has a cycle: {path}")


def validate(workload: Workload) -> Workload:
    """Check a forward graph: acyclic, and every data edge's tensor fits the consumer's input shape."""
    check_acyclic(workload)
    for name in workload.nodes:
        consumer = workload.layer(name)
        if consumer.pass_ is not Pass.FORWARD or consumer.op in (Op.EMBEDDING, Op.UNKNOWN):
            continue
        edges = [(u, workload.layer(u)) for u, _, k in workload.in_edges(name, data="kind") if k == "data"]
        if not edges:
            continue
        _check_inputs(workload.model_name, consumer, edges)
    return workload


def _check_inputs(model: str, consumer: Layer, producers: list[tuple[str, Layer]]) -> None:
    want = consumer.input_elements
    if consumer.op in (Op.ADD, Op.MUL):
        for src, producer in producers:
            if producer.output_elements != want:
                raise InputError(_mismatch(model, src, consumer, producer.output_elements, want))
        return
    if consumer.op is Op.MATMUL:
        allowed = {want, consumer.weight_elements}
        for src, producer in producers:
            if producer.output_elements not in allowed:
                raise InputError(_mismatch(model, src, consumer, producer.output_elements, want))
        return
    got = sum(p.output_elements for _, p in producers)  # several producers into one op: an implicit concat
    if got != want:
        src = " + ".join(s for s, _ in producers)
        raise InputError(_mismatch(model, src, consumer, got, want))


def _mismatch(model: str, src: str, consumer: Layer, got: int, want: int) -> str:
    return (
        f"workload {model!r}: shape mismatch on edge {src} -> {consumer.name}: producer output has {got} elements, "
        f"consumer input N*C*Y*X = {consumer.N}*{consumer.C}*{consumer.Y}*{consumer.X} = {want}"
    )
