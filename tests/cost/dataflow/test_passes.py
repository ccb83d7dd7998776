"""Training passes and non-conv MAC ops as MAESTRO problems: dimension renaming on small cases worked by hand, and
the `dse workload export --maestro` round trip through the reader."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from dse.cli import main
from dse.cost.dataflow.model import evaluate
from dse.cost.dataflow.problem import problem
from dse.hw.dataflow import load_accelerator
from dse.hw.maestro_io import read_mapping
from dse.workload import build
from dse.workload.layer import Layer, Op, Pass
from dse.workload.maestro_export import maestro_dims


def _conv(**changes) -> Layer:
    base = dict(name="c", op=Op.CONV, N=1, K=8, C=4, Y=5, X=5, R=3, S=3, pad_y=1, pad_x=1, stride_y=2, stride_x=2)
    return Layer(**(base | changes))


def _macs(dims: dict[str, int], stride: int = 1) -> int:
    """MAESTRO's CONV MAC count: N K C R S Y' X' with Y' = (Y - R) // stride + 1."""
    out = ((dims["Y"] - dims["R"]) // stride + 1) * ((dims["X"] - dims["S"]) // stride + 1)
    return dims["N"] * dims["K"] * dims["C"] * dims["R"] * dims["S"] * out


def test_backward_data_of_strided_conv() -> None:
    """Forward 5x5, pad 1, 3x3, stride 2 -> 3x3 output. dI: the 3x3 gradient with one zero between rows/columns
    is (3-1)*2+1 = 5, padded by R-1-pad = 1 on both sides -> 7; a 3x3 stride-1 conv on 7 gives 5 = Y. K'=C=4,
    C'=K=8. Issued MACs 4*8*5*5*9 = 7200; useful (the forward's) 8*4*3*3*9 = 2592."""
    layer = _conv().with_pass(Pass.BACKWARD_DATA, "c.bd")
    p = problem(layer)
    assert dict(p.dims) == dict(N=1, K=4, C=8, R=3, S=3, Y=7, X=7) and (p.stride_y, p.stride_x) == (1, 1)
    assert _macs(dict(p.dims)) == 7200 and layer.macs == 2592
    cost = evaluate(layer, load_accelerator("nvdla"))
    assert cost.extra["num_macs"] == 7200 and cost.macs == 2592


def test_backward_data_covers_rows_the_forward_skipped() -> None:
    """Y = 6: (6+2-3) // 2 + 1 = 3 outputs, and (6+2-3) mod 2 = 1 input row is never read; the gradient map is
    5 + 2 + 1 = 8 rows so the stride-1 conv yields all 6 input rows."""
    p = dict(problem(_conv(Y=6).with_pass(Pass.BACKWARD_DATA, "c.bd")).dims)
    assert p["Y"] == 8 and p["Y"] - p["R"] + 1 == 6 and p["X"] == 7


def test_weight_gradient_is_a_reduction_over_batch_and_pixels() -> None:
    """N=2, stride 1: output 5x5. dW[k, c, r, s] sums 2*5*5 = 50 products: K'=8, C'=50 (reduction), Y'=C=4
    rows, X'=R*S=9 taps, 1x1. MACs 8*50*4*9 = 14400 = 2*8*4*5*5*9."""
    layer = _conv(N=2, stride_y=1, stride_x=1).with_pass(Pass.WEIGHT_GRADIENT, "c.wg")
    p = dict(problem(layer).dims)
    assert p == dict(N=1, K=8, C=50, R=1, S=1, Y=4, X=9)
    assert _macs(p) == layer.macs == 14400


def test_weight_gradient_of_strided_grouped_conv() -> None:
    """groups=2, stride 2: per group K'=4, C/g=2 rows, reduction over 3x3 outputs = 9 -> N'=2 groups."""
    layer = _conv(groups=2).with_pass(Pass.WEIGHT_GRADIENT, "c.wg")
    p = dict(problem(layer).dims)
    assert p == dict(N=2, K=4, C=9, R=1, S=1, Y=2, X=9)
    assert _macs(p) == layer.macs == 8 * 2 * 9 * 9


def test_depthwise_passes() -> None:
    """Depthwise 4 channels, 3x3, stride 1, pad 1 on 5x5: forward DSCONV on the padded 7x7; backward-data the same
    shape (flipped filter); weight gradient: 4 groups of 1 output, reduction over 25 pixels, 9 taps."""
    layer = Layer("dw", Op.DWCONV, K=4, C=4, groups=4, Y=5, X=5, R=3, S=3, pad_y=1, pad_x=1)
    assert (problem(layer).type, dict(problem(layer).dims)["Y"]) == ("DSCONV", 7)
    bd = problem(layer.with_pass(Pass.BACKWARD_DATA, "dw.bd"))
    assert bd.type == "DSCONV" and dict(bd.dims) == dict(problem(layer).dims)
    wg = dict(problem(layer.with_pass(Pass.WEIGHT_GRADIENT, "dw.wg")).dims)
    assert wg == dict(N=4, K=1, C=25, R=1, S=1, Y=1, X=9) and _macs(wg) == layer.macs == 4 * 25 * 9


def test_attention_matmul_passes() -> None:
    """QK^T-style matmul, 2 heads, 6 rows, inner 8 per head, 5 output columns per head: forward N'=2 (batch x
    heads), K'=5, C'=8, rows on Y. dA = dO B^T: K'=8, C'=5. dB = A^T dO: K'=5, reduction over the 6 rows, 8 rows
    of output. All 2*5*8*6 = 480 MACs."""
    layer = Layer("mm", Op.MATMUL, N=1, C=16, K=10, X=6, groups=2)
    fwd = dict(problem(layer).dims)
    assert (fwd["N"], fwd["K"], fwd["C"], fwd["Y"]) == (2, 5, 8, 6)
    bd = dict(problem(layer.with_pass(Pass.BACKWARD_DATA, "mm.bd")).dims)
    assert (bd["N"], bd["K"], bd["C"], bd["Y"]) == (2, 8, 5, 6)
    wg = dict(problem(layer.with_pass(Pass.WEIGHT_GRADIENT, "mm.wg")).dims)
    assert (wg["N"], wg["K"], wg["C"], wg["Y"]) == (2, 5, 6, 8)
    assert _macs(fwd) == _macs(bd) == _macs(wg) == layer.macs == 480


def test_lstm_gate_gemms() -> None:
    """LSTM, 2 inputs, 3 hidden, 5 steps, batch 2: the four gate GEMMs of all steps are K'=12 outputs from
    C'=2+3=5 on 5 step rows: 2*12*5*5 = 600 MACs; weight gradient reduces over batch x steps = 10."""
    layer = Layer("lstm", Op.LSTM, N=2, C=2, K=3, X=5)
    fwd = dict(problem(layer).dims)
    assert (fwd["N"], fwd["K"], fwd["C"], fwd["Y"]) == (2, 12, 5, 5) and _macs(fwd) == layer.macs == 600
    wg = dict(problem(layer.with_pass(Pass.WEIGHT_GRADIENT, "lstm.wg")).dims)
    assert (wg["N"], wg["K"], wg["C"], wg["Y"]) == (1, 12, 10, 5) and _macs(wg) == 600


def test_resnet50_export_round_trip(tmp_path: Path) -> None:
    """`dse workload export resnet50 --maestro F.m` read back: same dims per compute layer and the same MACs."""
    flow = tmp_path / "flow.txt"
    flow.write_text("SpatialMap(1,1) K\nTemporalMap(Sz(R),1) Y\nTemporalMap(Sz(S),1) X\n")
    out = tmp_path / "r50.m"
    assert main(["workload", "export", "resnet50", "--maestro", str(out), "--dataflow", str(flow)]) == 0
    _, read = read_mapping(out)
    compute = [l for l in build("resnet50").layers() if l.is_compute]
    assert len(read) == len(compute) == 54
    for mine, layer in zip(read, compute):
        kind, dims, strides = maestro_dims(layer)
        assert (mine.type, mine.dim, (mine.stride_y, mine.stride_x)) == (kind, dims, strides)
        out_y = (mine.dim["Y"] - mine.dim["R"]) // mine.stride_y + 1
        out_x = (mine.dim["X"] - mine.dim["S"]) // mine.stride_x + 1
        assert math.prod(mine.dim[d] for d in "NKCRS") * out_y * out_x == layer.macs
    assert [str(d) for d in read[0].dataflow] == ["SpatialMap(1,1) K", "TemporalMap(7,1) Y", "TemporalMap(7,1) X"]


@pytest.mark.parametrize("op", [Op.CONV, Op.FC])
def test_backward_data_of_unit_stride_keeps_shape(op: Op) -> None:
    """Stride 1: the gradient map Y'+2(R-1-pad) = (5+2-3+1) + 2 = 7 = padded input, so dI has the forward's
    problem shape with K and C swapped (FC: 1x1, just swapped)."""
    layer = _conv(op=op, stride_y=1, stride_x=1) if op is Op.CONV else Layer("fc", Op.FC, K=8, C=4)
    fwd, bd = dict(problem(layer).dims), dict(problem(layer.with_pass(Pass.BACKWARD_DATA, "x.bd")).dims)
    assert bd == fwd | {"K": fwd["C"], "C": fwd["K"]}
