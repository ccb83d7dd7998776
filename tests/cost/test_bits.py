"""Bit widths: stored formats worked by hand, which peak applies, refusals, and memory that must fit."""

import pytest

from dse.cost.bits import Bits, layer_bytes, matrix_bytes, memory_need
from dse.cost.gpu import evaluate
from dse.cost.platform import load_platform
from dse.errors import InputError
from dse.hw.gpu import load_gpu
from dse.workload import build
from dse.workload.layer import Layer, Op

OPENLLAMA_PARAMS = 3_426_473_600


def test_int4_groups_of_128_with_fp16_scale_and_zero_are_4_25_bits():
    # 4096 x 4096: 8,388,608 B of nibbles + 4096 rows x 32 groups x 4 B of scale and zero
    assert matrix_bytes(4096, 4096, 4) == 8_388_608 + 524_288
    assert matrix_bytes(4096, 4096, 4) * 8 / 4096 ** 2 == 4.25
    assert matrix_bytes(10, 200, 4) == 10 * 100 + 10 * 2 * 4  # a partial group still carries a scale and a zero
    assert matrix_bytes(10, 200, 8) == 2000 + 10 * 2  # int8 with one fp16 scale per row
    assert matrix_bytes(10, 200, 16) == 4000


def test_linear_layer_bytes_in_w4a16_by_hand():
    fc = Layer("fc", Op.FC, N=1, K=256, C=512, X=3, bias=True)
    weight, act, kv = layer_bytes(fc, Bits(4, 16, 16), training=False)
    assert weight == 256 * 512 / 2 + 256 * 4 * 4 + 256 * 2  # nibbles, 4 groups per row of scale+zero, fp16 bias
    assert act == (512 * 3 + 256 * 3) * 2 and kv == 0


def test_openllama_weights_by_hand_at_16_and_4_bits():
    w = build("openllama_3b_decode", seq_len=512)
    assert memory_need(w, Bits(16, 16, 16)).weights == 2 * OPENLLAMA_PARAMS
    # per decoder layer: q, k, v, o (3200 x 3200): 5,120,000 + 3200 x 25 groups x 4 B = 5,440,000 each;
    # gate, up (8640 x 3200): 13,824,000 + 864,000; down (3200 x 8640, 68 groups per row): 13,824,000 + 870,400;
    # two fp16 norms 12,800 -> 65,843,200. Embedding and LM head 51,200,000 + 3,200,000 each, final norm 6,400.
    assert memory_need(w, Bits(4, 16, 16)).weights == 26 * 65_843_200 + 2 * 54_400_000 + 6_400


def test_kv_cache_at_the_context_and_its_bits():
    w = build("openllama_3b_decode", seq_len=512)  # 512 cached tokens + the new one, 26 layers, K and V of 3200
    assert memory_need(w, Bits(16, 16, 16)).kv_cache == 513 * 26 * 2 * 3200 * 2
    assert memory_need(w, Bits(16, 16, 8)).kv_cache == 513 * 26 * 2 * 3200


def test_the_wider_of_weights_and_activations_picks_the_peak():
    assert Bits(4, 16, 16).compute == "fp16" and Bits(8, 8, 8).compute == "int8" and Bits(4, 8, 4).compute == "int8"
    w = build("openllama_3b", seq_len=256)
    orin = load_gpu("orin-nano")
    fp16, int8 = evaluate(w, orin, Bits(8, 16, 16)), evaluate(w, orin, Bits(8, 8, 8))
    assert fp16.extra["precision"] == "fp16" and int8.extra["precision"] == "int8"
    assert int8.seconds < fp16.seconds  # a compute-bound prefill at the int8 peak


def test_unsupported_widths_are_refused_with_what_the_platform_runs():
    with pytest.raises(InputError, match="precision 'int8' is not supported; it runs fp32, fp16"):
        load_platform("jetson-nano", weight_bits=8, act_bits=8)
    with pytest.raises(InputError, match="weight_bits 4 is not supported for inference; it runs 8-bit"):
        load_platform("ddr3-pim", weight_bits=4)
    with pytest.raises(InputError, match="field weight_bits must be one of 32, 16, 8, 4, got 3"):
        Bits(3, 16, 16)
    assert load_platform("jetson-nano", weight_bits=4).bits == Bits(4, 16, 16)  # weight-only: fp16 kernels


def test_openllama_fp16_does_not_fit_a_4gb_nano_and_4bit_fits_and_is_faster():
    w = build("openllama_3b_decode", seq_len=512)
    fp16, int4 = load_platform("jetson-nano"), load_platform("jetson-nano", weight_bits=4)
    assert fp16.memory_bytes == 4 * 2 ** 30
    assert not fp16.fits(fp16.memory(w)) and fp16.memory(w).total > 6.85e9
    assert int4.fits(int4.memory(w))
    assert int4.evaluate(w).seconds < fp16.evaluate(w).seconds / 3  # decode moves ~3.8x fewer weight bytes


def test_training_memory_counts_gradients_optimizer_state_and_stashed_activations():
    w = build("lenet10", batch=2)
    plain = memory_need(w, Bits(32, 32, 32))
    from dse.workload import training

    step = memory_need(training(w, optimizer="adam"), Bits(32, 32, 32))
    params = w.totals()["params"]
    assert step.weights == pytest.approx(plain.weights + params * 3 * 4)  # gradient + two Adam moments, fp32
    assert step.activations == sum(l.output_bytes for l in w.layers())
