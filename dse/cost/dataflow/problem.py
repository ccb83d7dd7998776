"""A dse `Layer` in any pass as the MAESTRO problem the dataflow analysis runs on (type, dimensions, strides).

Forward MAC layers use `dse.workload.maestro_export.maestro_dims` (padded input, depthwise as DSCONV, matmul and
LSTM as 1x1 convolutions). The training passes of a MAC layer rename those dimensions (docs/dataflow.md):

- backward-data: dI = conv(dO dilated by the stride, flipped and transposed weights). Output channels K' = C,
  input channels C' = K, same R x S; the input is the output-gradient map with (stride - 1) zeros inserted between
  rows/columns, padded by R-1-pad (S-1-pad) on both sides plus the rows (Y+2pad-R) mod stride the forward
  skipped at the end; stride 1. Its output is exactly the forward input Y x X. For stride > 1 the dataflow also
  multiplies the inserted zeros: those MACs are issued (they cost time and energy) but not useful.
- weight-gradient: dW[k, c, r, s] = sum over n, y', x' of dO[n, k, y', x'] * I[n, c, y'*stride + r, x'*stride + s],
  a GEMM whose reduction runs over N x Y' x X'. As a MAESTRO CONV: N' = groups (or batch x heads for a matmul),
  K' = K / groups, C' = N * Y' * X' (the reduction), Y' x X' positions = (C / groups) x (R * S), R = S = 1. The
  input operand is the im2col view of I (each input element once per filter tap that touches it).
"""

from __future__ import annotations

from dataclasses import dataclass

from dse.workload.layer import COMPUTE_OPS, Layer, Op, Pass
from dse.workload.maestro_export import maestro_dims


@dataclass(frozen=True)
class Problem:
    """MAESTRO type, dimensions (input extent Y, X) and strides."""

    type: str
    dims: tuple[tuple[str, int], ...]
    stride_y: int = 1
    stride_x: int = 1


def has_mac_form(layer: Layer) -> bool:
    """MAC ops in forward, backward-data and weight-gradient passes run on the dataflow; the rest are traffic-bound."""
    return layer.op in COMPUTE_OPS and layer.pass_ is not Pass.WEIGHT_UPDATE and layer.macs > 0


def problem(layer: Layer) -> Problem:
    """The MAESTRO problem of a MAC layer in its pass (see the module docstring for the renaming)."""
    kind, dims, (sy, sx) = _forward(layer)
    if layer.pass_ is Pass.FORWARD:
        return Problem(kind, tuple(dims.items()), sy, sx)
    if layer.pass_ is Pass.BACKWARD_DATA:
        return _backward_data(layer, kind, dims)
    if layer.pass_ is Pass.WEIGHT_GRADIENT:
        return _weight_gradient(layer, dims)
    raise ValueError(f"layer {layer.name!r}: pass {layer.pass_.value} has no MAC form")


def _forward(layer: Layer) -> tuple[str, dict[str, int], tuple[int, int]]:
    kind, dims, strides = maestro_dims(layer)
    if layer.op is Op.DWCONV and layer.K != layer.C:
        dims["C"] = layer.K  # channel multiplier m: each of the K = m x C outputs reads its own input copy
    return kind, dims, strides


def _backward_data(layer: Layer, kind: str, dims: dict[str, int]) -> Problem:
    if layer.op not in (Op.CONV, Op.DWCONV):  # FC, matmul, LSTM: 1x1, stride 1 -> swap K and C
        swapped = dict(dims, K=dims["C"], C=dims["K"])
        return Problem(kind, tuple(swapped.items()))
    grad = dict(dims)
    for axis, out, filt, pad, stride, extent in (("Y", layer.Y_out, layer.R, layer.pad_y, layer.stride_y, layer.Y),
                                                 ("X", layer.X_out, layer.S, layer.pad_x, layer.stride_x, layer.X)):
        skipped = (extent + 2 * pad - filt) % stride
        grad[axis] = (out - 1) * stride + 1 + 2 * (filt - 1 - pad) + skipped
    if kind == "CONV":
        grad["K"], grad["C"] = dims["C"], dims["K"]
    return Problem(kind, tuple(grad.items()))


def _weight_gradient(layer: Layer, dims: dict[str, int]) -> Problem:
    positions = 1
    if layer.op is Op.MATMUL:  # gradient of the second operand: per batch x head, reduce over the rows
        batch, k_out, reduce, rows = dims["N"], dims["K"], dims["Y"] * dims["X"], dims["C"]
    elif layer.op is Op.LSTM:  # gate weights: reduce over batch x time steps
        batch, k_out, reduce, rows = 1, dims["K"], layer.N * layer.X * layer.Y, dims["C"]
    else:  # conv, depthwise, FC: per group, reduce over batch x output pixels; filter taps on X
        batch, k_out = layer.groups, layer.K // layer.groups
        reduce, rows, positions = layer.N * layer.Y_out * layer.X_out, layer.C // layer.groups, layer.R * layer.S
    return Problem("CONV", tuple(dict(N=batch, K=k_out, C=reduce, R=1, S=1, Y=rows, X=positions).items()))
