"""The EF-Train sub-accelerator kind is the EF-Train cycle model in forward mode."""

import math

from dse.cost.fpga import bn_cycles, pass_cycles
from dse.cost.fpga_network import layer_spec
from dse.cost.fpga_schedule import ef_train_schedule
from dse.hw.fpga import load_board
from dse.hw.system import load_system
from dse.mapping.accelerators import model_of
from dse.workload import Layer, Op


def ef_zcu102():
    return model_of(next(a for a in load_system("h2h").accelerators if a.name == "ef_zcu102").design)


def test_forward_seconds_are_fp_cycles_over_the_clock():
    layer = Layer("c", Op.CONV, N=2, K=64, C=32, Y=28, X=28, R=3, S=3, pad_y=1, pad_x=1)
    board = load_board("zcu102")
    spec = layer_spec(layer)
    tiling = ef_train_schedule([spec], 2, board)
    cycles = pass_cycles([spec], tiling.candidates(), 2, board)["fp"].sum() + bn_cycles([spec], 2, board)["fp"].sum()
    assert ef_zcu102().compute_seconds(layer) == cycles / 100e6
    # never faster than the MAC array: 2*64*32*28*28*9 MACs on 16 x 16 MACs per cycle at 100 MHz
    assert ef_zcu102().compute_seconds(layer) >= 2 * 64 * 32 * 28 * 28 * 9 / 256 / 100e6


def test_a_layer_whose_weights_cannot_fit_is_not_runnable_there():
    huge_fc = Layer("fc", Op.FC, K=4096, C=2048 * 7 * 7 * 4)
    assert math.isinf(ef_zcu102().compute_seconds(huge_fc))


def test_dataflow_kind_is_the_dataflow_model_and_herald_maps_an_mmmt_model():
    from dse.cost.dataflow.model import evaluate
    from dse.hw.dataflow import load_accelerator
    from dse.mapping.h2h import run_h2h
    from dse.mapping.problem import compile_problem
    from dse.workload import build

    system = load_system("herald", 0.125e9)
    layer = Layer("c", Op.CONV, N=1, K=32, C=16, Y=14, X=14, R=3, S=3, pad_y=1, pad_x=1)
    for acc in system.accelerators:
        expected = float(evaluate(layer, load_accelerator(acc.design.params["accelerator"])).seconds)
        assert model_of(acc.design).compute_seconds(layer) == expected
    result = run_h2h(compile_problem(build("cnn_lstm"), system))
    assert result.steps[4].makespan_s <= result.steps[2].makespan_s
