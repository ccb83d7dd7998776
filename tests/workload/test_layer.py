"""Layer arithmetic against hand calculations."""

import pytest

from dse.errors import InputError
from dse.workload.layer import Layer, Op, Pass


def test_conv_shapes_macs_and_bytes_by_hand():
    # 2 images, 8->16 channels, 10x10 input, 3x3 filter, stride 2, pad 1: out (10+2-3)//2+1 = 5
    layer = Layer("c", Op.CONV, N=2, K=16, C=8, Y=10, X=10, R=3, S=3, stride_y=2, stride_x=2, pad_y=1, pad_x=1)
    assert (layer.Y_out, layer.X_out) == (5, 5)
    assert layer.macs == 2 * 16 * 8 * 5 * 5 * 3 * 3 == 57600
    assert layer.flops == 115200
    assert layer.params == 16 * 8 * 9 + 16
    assert layer.input_bytes == 2 * 8 * 10 * 10 * 4
    assert layer.output_bytes == 2 * 16 * 25 * 4


def test_grouped_and_depthwise_macs():
    grouped = Layer("g", Op.CONV, K=8, C=8, Y=4, X=4, R=3, S=3, pad_y=1, pad_x=1, groups=4)
    assert grouped.macs == 8 * 2 * 16 * 9
    dw = Layer("d", Op.DWCONV, K=8, C=8, Y=4, X=4, R=3, S=3, pad_y=1, pad_x=1, groups=8, bias=False)
    assert dw.macs == 8 * 1 * 16 * 9 and dw.params == 72


def test_attention_matmul_as_grouped_gemm():
    # QK^T for 4 heads of dim 16 over 10 query and 10 key tokens: 4*10*10*16 MACs, K^T operand per head 16x10
    qk = Layer("qk", Op.MATMUL, N=1, K=4 * 10, C=4 * 16, X=10, groups=4)
    assert qk.macs == 4 * 10 * 10 * 16
    assert qk.weight_elements == 4 * 16 * 10 and qk.params == 0


def test_lstm_and_pool_and_eltwise():
    lstm = Layer("l", Op.LSTM, N=1, K=32, C=16, X=5)
    assert lstm.macs == 5 * 4 * 32 * (16 + 32)
    assert lstm.params == 4 * 32 * 48 + 8 * 32
    pool = Layer("p", Op.MAXPOOL, C=4, K=4, Y=8, X=8, R=2, S=2, stride_y=2, stride_x=2)
    assert (pool.Y_out, pool.macs, pool.flops) == (4, 0, 4 * 16 * 4)
    add = Layer("a", Op.ADD, C=4, K=4, Y=2, X=2)
    assert add.flops == 16


def test_passes_change_traffic_and_update_flops():
    fc = Layer("f", Op.FC, N=4, K=10, C=20)
    wg = fc.with_pass(Pass.WEIGHT_GRADIENT, "f.wg")
    assert wg.macs == fc.macs and wg.output_bytes == fc.params * 4 and wg.source == "f"
    wu = fc.with_pass(Pass.WEIGHT_UPDATE, "f.wu", optimizer="adam")
    assert wu.macs == 0 and wu.flops == 12 * 210
    assert wu.weight_bytes == 210 * 3 * 4  # weight + two Adam moments


@pytest.mark.parametrize("field,value", [("K", 0), ("Y", -3), ("groups", 3)])
def test_bad_dimensions_name_the_field(field, value):
    dims = dict(K=8, C=8, Y=4, X=4)
    dims[field] = value
    with pytest.raises(InputError, match=field):
        Layer("bad", Op.CONV, **dims)


def test_filter_larger_than_input_is_rejected():
    with pytest.raises(InputError, match="does not fit"):
        Layer("big", Op.CONV, K=1, C=1, Y=2, X=2, R=5, S=5)
