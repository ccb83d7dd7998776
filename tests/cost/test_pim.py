"""PIM models: one 8-bit multiply on racetrack and on DDR3 by hand, an FC layer mapped by hand, PIRM's bulk-bitwise
ratio, invariants and bad input."""

import numpy as np
import pytest

from dse.cost.pim import add, bulk_and_bits_per_s, evaluate, layer_costs, multiply
from dse.cost.platform import load_platform
from dse.errors import InputError
from dse.hw.pim import load_pim
from dse.workload import build, training
from dse.workload.graph import Workload
from dse.workload.layer import Layer, Op

NS, PJ = 1e-9, 1e-12


def test_racetrack_8bit_multiply_by_hand():
    # racetrack-pim.yaml (RTSim/DESTINY per nanowire): TR 1.61338 ns / 2.503 pJ, write 4.84522 ns / 3.406 pJ,
    # shift 2.14192 ns / 0.609 pJ, TRD 5.
    tr, wr, sh = 1.61338, 4.84522, 2.14192
    e_tr, e_wr, e_sh = 2.503, 3.406, 0.609
    # Partial products: 8 steps, each a TR + write on 8 nanowires after 2 shifts of the 8-wire word.
    pp_latency = 8 * (tr + wr + 2 * sh) * NS
    pp_energy = 8 * (8 * (e_tr + e_wr) + 2 * 8 * e_sh) * PJ
    # Reduction: ceil(7 / 4) = 2 five-operand adds of 16 bits: 16 + ceil(log2 5) = 19 steps on one nanowire per
    # word, after 5 shifts of the 19-wire result word.
    add_latency = (19 * (tr + wr) + 5 * sh) * NS
    add_energy = (19 * (e_tr + e_wr) + 5 * 19 * e_sh) * PJ
    op = multiply(load_pim("racetrack-pim"), 8)
    assert op.latency_s == pytest.approx(pp_latency + 2 * add_latency, rel=1e-12)  # 352.8 ns
    assert op.energy_j == pytest.approx(pp_energy + 2 * add_energy, rel=1e-12)  # 796.4 pJ
    assert op.latency_s == pytest.approx(352.786 * NS, rel=1e-5)


def test_ddr3_8bit_multiply_by_hand():
    # Per multiplier bit: 8 ANDs (4 AAP each) + an 8-bit ripple add (8 full adders of MAJ 4 + 2 XOR 7 = 18 AAP).
    row_ops = 8 * (8 * 4 + 8 * 18)
    op = multiply(load_pim("ddr3-pim"), 8)
    assert op.latency_s == pytest.approx(row_ops * 49e-9, rel=1e-12)
    assert op.energy_j == pytest.approx(row_ops * 6.4e-9 / 65536, rel=1e-12)


def test_regression_bulk_and_ratio_that_pim_dbcs_is_calibrated_to():
    """Regression check, not validation: pim_dbcs is calibrated so that this ratio is PIRM's 1.6x (its reported
    speedup over the leading DRAM PIM on bulk-bitwise work), so it only catches a change of the model or the files."""
    ratio = bulk_and_bits_per_s(load_pim("racetrack-pim")) / bulk_and_bits_per_s(load_pim("ddr3-pim"))
    assert ratio == pytest.approx(1.6, rel=0.02)


def test_fc_layer_mapping_by_hand_on_ddr3():
    w = Workload(name="fc")
    w.add_layer(Layer("fc", Op.FC, N=1, K=10, C=100))
    # 10 outputs, reductions of 100 on 524,288 lanes: split 100 ways, one wave of one MAC step, then a
    # ceil(log2 100) = 7-level tree of 32-bit adds (576 AAP) each with a 32-row copy (32 AAP).
    mac_rows = 1408 + 32 * 18 + 2 * 8  # int8 multiply + int32 add + two int8 operand copies
    tree_rows = 32 * 18 + 32
    seconds = (mac_rows + 7 * tree_rows) * 49e-9
    lane_energy = 6.4e-9 / 65536
    dynamic = (1000 * mac_rows + 10 * 99 * tree_rows) * lane_energy
    cost = evaluate(w, load_pim("ddr3-pim"))
    assert cost.seconds == pytest.approx(seconds, rel=1e-12)
    assert cost.energy_j == pytest.approx(dynamic + 0.144 * seconds, rel=1e-12)  # self-refresh idle power


@pytest.mark.parametrize("name", ["ddr3-pim", "racetrack-pim"])
def test_latency_never_beats_the_lane_bound(name):
    dev = load_pim(name)
    for workload in (build("alexnet"), build("mobilenet_v2"), training(build("lenet10", batch=4))):
        cost = evaluate(workload, dev)
        bound = cost.macs * cost.extra["mac_latency_s"] / cost.extra["lanes"]
        assert cost.seconds >= bound
        assert 0 < cost.utilization <= 1
        per_layer = layer_costs(workload, dev)
        assert np.all(per_layer.energy_j >= per_layer.energy_static_j)


def test_training_runs_16_bit_fixed_point_and_costs_more():
    dev = load_pim("racetrack-pim")
    infer = evaluate(build("lenet10", batch=4), dev)
    train = evaluate(training(build("lenet10", batch=4)), dev)
    assert (infer.extra["operand_bits"], train.extra["operand_bits"]) == (8, 16)
    assert train.seconds > 3 * infer.seconds  # three MAC passes, each at 16-bit multiply cost
    assert multiply(dev, 16).latency_s > multiply(dev, 8).latency_s
    assert add(dev, 8, 5).latency_s > add(dev, 8, 2).latency_s


def test_bad_input():
    with pytest.raises(InputError, match="precision 'fp16' is not supported"):
        load_platform("ddr3-pim", precision="fp16")
    with pytest.raises(InputError, match="unknown pim device"):
        load_pim("sram-pim")
    with pytest.raises(InputError, match="at most trd=5 operands"):
        add(load_pim("racetrack-pim"), 8, 6)
