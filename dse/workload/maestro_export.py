"""Write a workload in MAESTRO's `.m` model format, so any layer can be cross-checked in MAESTRO itself.

MAESTRO knows no padding: its Y and X are the input extent and the output is floor((Y - R) / stride) + 1. The export
therefore writes the padded input size. Only MAC layers exist for MAESTRO:
- conv and fully-connected (C inputs, K outputs on a 1x1 map) -> ``CONV``; a grouped conv is written as one CONV of
  C/groups input channels, which keeps its MAC count and tensor sizes per group;
- depthwise conv -> ``DSCONV`` with K = 1 (MAESTRO's convention) and C channels;
- matmul of two activations -> ``CONV`` over the second operand: per batch-and-head, rows on Y, inner on C,
  output columns on K; N carries batch x heads;
- LSTM -> one ``CONV`` for the four gate GEMMs of every time step: C = input + hidden, K = 4 x hidden,
  time steps on Y.
Other ops (pooling, element-wise, norms) move no MACs and are left out; `export_maestro` returns their names.
An optional dataflow (the lines of a MAESTRO ``Dataflow { ... }`` block) is written into every CONV layer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from dse.workload.graph import Workload
from dse.workload.layer import Layer, Op, Pass

_MAESTRO_NAME = re.compile(r"[^A-Za-z0-9_]")


def maestro_dims(layer: Layer) -> tuple[str, dict[str, int], tuple[int, int]]:
    """MAESTRO's (Type, Dimensions, (stride Y, stride X)) for one forward MAC layer."""
    if layer.op is Op.DWCONV:
        dims = dict(N=layer.N, K=1, C=layer.C, R=layer.R, S=layer.S,
                    Y=layer.Y + 2 * layer.pad_y, X=layer.X + 2 * layer.pad_x)
        return "DSCONV", dims, (layer.stride_y, layer.stride_x)
    if layer.op in (Op.CONV, Op.FC):
        dims = dict(N=layer.N, K=layer.K, C=layer.C // layer.groups, R=layer.R, S=layer.S,
                    Y=layer.Y + 2 * layer.pad_y, X=layer.X + 2 * layer.pad_x)
        return "CONV", dims, (layer.stride_y, layer.stride_x)
    if layer.op is Op.MATMUL:
        dims = dict(N=layer.N * layer.groups, K=layer.K // layer.groups, C=layer.C // layer.groups, R=1, S=1,
                    Y=layer.X * layer.Y, X=1)
        return "CONV", dims, (1, 1)
    if layer.op is Op.LSTM:
        dims = dict(N=layer.N, K=4 * layer.K, C=layer.C + layer.K, R=1, S=1, Y=layer.X * layer.Y, X=1)
        return "CONV", dims, (1, 1)
    raise ValueError(f"layer {layer.name!r}: op {layer.op.value} has no MAESTRO form")


def export_maestro(workload: Workload, dataflow: Sequence[str] = ()) -> tuple[str, list[str]]:
    """The `.m` text of the forward MAC layers, and the names of the layers left out."""
    lines = [f"Network {_identifier(workload.model_name or 'network')} {{"]
    skipped = []
    for layer in workload.layers():
        if layer.pass_ is not Pass.FORWARD or not layer.is_compute:
            skipped.append(layer.name)
            continue
        kind, dims, (sy, sx) = maestro_dims(layer)
        lines.append(f"Layer {_identifier(layer.name)} {{")
        lines.append(f"Type: {kind}")
        lines.append(f"Stride {{ X: {sx}, Y: {sy} }}")
        lines.append("Dimensions { " + ", ".join(f"{d}: {v}" for d, v in dims.items()) + " }")
        if dataflow:
            lines.append("Dataflow {")
            lines.extend(f"        {d.strip().rstrip(';')};" for d in dataflow)
            lines.append("}")
        lines.append("}")
    lines.append("}")
    return "\n".join(lines) + "\n", skipped


def _identifier(name: str) -> str:
    """MAESTRO's parser splits on punctuation: keep letters, digits and underscores."""
    cleaned = _MAESTRO_NAME.sub("_", name)
    return cleaned if cleaned[:1].isalpha() or cleaned[:1] == "_" else f"L_{cleaned}"
