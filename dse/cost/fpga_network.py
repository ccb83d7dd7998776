"""Networks in EF-Train's layer form [M, N, R, C, K, S]: conv and FC layers in execution order, each with the
ReLU, max-pool and batch-norm that follow it (those run fused into the conv engine's load/store path or, for BN,
in a separate unit).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np

from dse.errors import InputError
from dse.inputs import MAX_BATCH, Range, whole
from dse.identifiers import to_identifier
from dse.workload.graph import Workload
from dse.workload.layer import Layer, Op
from dse.workload.source import Shapes, kind_of, load_workload


@dataclass(frozen=True)
class ConvSpec:
    """One conv (or FC as a 1x1 conv on a 1x1 map) with what follows it; R, C are OUTPUT rows and columns."""

    name: str
    M: int
    N: int
    R: int
    C: int
    K: int
    S: int
    P: int
    relu: bool
    pool: int  # max-pool window after the layer, 0 for none
    bn: bool


def workload(name: str, batch: int, input_shapes: Shapes | None = None, where: str = "--network") -> Workload:
    """A network by zoo name, ONNX file or workload file, with the batch checked."""
    whole(batch, f"network {name!r}: field batch", Range(1, MAX_BATCH))
    return load_workload(name, batch=batch, input_shapes=input_shapes, where=where)


def network_id(name: str) -> str:
    """The C identifier a network goes by in tiling records and HLS code: a zoo name, or a file's stem made one."""
    return name if kind_of(name) == "zoo" else to_identifier(Path(name).stem)


def conv_specs(graph: Workload, conv_only: bool = False) -> list[ConvSpec]:
    """Conv/FC layers in execution order with the ReLU, max-pool and BN that follow each one; `conv_only` drops
    the FC layers (EF-Train's AlexNet figures, Tables 3-8, cover its five conv layers: docs/fpga.md)."""
    order = list(nx.topological_sort(graph))
    specs: list[ConvSpec] = []
    for idx, node in enumerate(order):
        layer = graph.layer(node)
        if layer.op is Op.FC and conv_only:
            continue
        if layer.op not in (Op.CONV, Op.FC):
            if layer.is_compute:
                raise InputError(f"network {graph.model_name!r}: layer {node!r} ({layer.op.value}) has no EF-Train mapping")
            continue
        if layer.groups != 1:
            raise InputError(f"network {graph.model_name!r}: layer {node!r} is grouped; EF-Train runs dense convs only")
        relu = bn = False
        pool = 0
        for follower in order[idx + 1:]:
            nxt = graph.layer(follower)
            if nxt.op in (Op.CONV, Op.FC):
                break
            if nxt.op is Op.ACTIVATION and nxt.function == "relu":
                relu = True
            elif nxt.op is Op.BATCHNORM:
                bn = True
            elif nxt.op is Op.MAXPOOL:
                pool = nxt.R
        specs.append(layer_spec(layer, graph.model_name, relu, pool, bn))
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise InputError(f"network {graph.model_name!r}: two layers share the C name {max(names, key=names.count)!r}")
    if not specs:
        raise InputError(f"network {graph.model_name!r}: no conv or fc layers to run on EF-Train")
    return specs


def layer_spec(layer: Layer, network: str = "", relu: bool = False, pool: int = 0, bn: bool = False) -> ConvSpec:
    """EF-Train's [M, N, R, C, K, S] of one dense conv or FC layer (an FC is a 1x1 conv on a 1x1 map)."""
    name = to_identifier(layer.name)  # it names arrays in the generated HLS code
    if layer.op is Op.FC:
        return ConvSpec(name, layer.K, layer.C * layer.Y * layer.X, 1, 1, 1, 1, 0, relu, pool, bn)
    if layer.op is not Op.CONV or layer.groups != 1:
        raise InputError(f"network {network!r}: layer {layer.name!r} ({layer.op.value}, groups {layer.groups}) has "
                         "no EF-Train mapping; EF-Train runs dense convs and FC layers")
    if layer.stride_y != layer.stride_x or layer.R != layer.S or layer.pad_y != layer.pad_x:
        raise InputError(f"network {network!r}: layer {layer.name!r} is not square; EF-Train needs K x K")
    return ConvSpec(name, layer.K, layer.C, layer.Y_out, layer.X_out, layer.R, layer.stride_y, layer.pad_y,
                    relu, pool, bn)


def network_specs(name: str, batch: int, conv_only: bool = False, input_shapes: Shapes | None = None,
                  where: str = "--network") -> list[ConvSpec]:
    return conv_specs(workload(name, batch, input_shapes, where), conv_only)


def training_flops(specs: list[ConvSpec], batch: int) -> int:
    """EF-Train's training FLOPs per batch: 2(3 sum_i M N R C K^2 - M1 N1 R1 C1 K1^2) x B (layer 1 has no BP)."""
    macs = [s.M * s.N * s.R * s.C * s.K ** 2 for s in specs]
    return 2 * (3 * sum(macs) - macs[0]) * batch


def dims(specs: list[ConvSpec]) -> dict[str, np.ndarray]:
    """Per-layer dimension arrays, shape (layers,), for vectorized evaluation."""
    return {k: np.array([getattr(s, k) for s in specs], dtype=np.int64) for k in ("M", "N", "R", "C", "K", "S")}
