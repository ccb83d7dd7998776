"""H2H steps 1-4 on two-layer, two-accelerator graphs whose optimal schedules are worked out by hand."""

import itertools

import pytest

from dse.errors import InputError
from dse.mapping.h2h import greedy, host_seconds, run_h2h
from dse.mapping.problem import compile_problem
from dse.mapping.schedule import Mapping, simulate
from dse.workload.layer import Layer, Op

from .conftest import chain, design, fc, make_system

MS = 1e-3


def test_steps_on_a_chain_that_stays_on_one_accelerator(tmp_path):
    # X: 1 GFLOP/s, Y: 0.5 GFLOP/s, links 1 GB/s; reserve 0.5 x 1.2 MB = 600 kB fits b's 0.5 MB weights, not a's 2 MB
    system = make_system(tmp_path, {"X": design(1e9, 10.0, dram=1.2e6), "Y": design(0.5e9, 20.0, dram=1.2e6)})
    prob = compile_problem(chain(fc("a", 1000, 500), fc("b", 500, 250)), system)
    result = run_h2h(prob)
    # step 1 (all via host): a on X = 2.004 + 1 + 0.002 = 3.006 ms (on Y 4.006); then b on X: 0.502 + 0.25 + 0.001
    # = 0.753 ms -> 3.759 ms (on Y: 0.502 + 0.5 + 0.001 -> 4.009). Brute force over the 4 assignments agrees.
    s1 = result.steps[1]
    assert s1.mapping.order == ((0, 1), ())
    assert s1.makespan_s == pytest.approx(3.759 * MS)
    brute = min(simulate(prob, Mapping(tuple(tuple(g for g in (0, 1) if pick[g] == a) for a in (0, 1)))).makespan_s
                for pick in itertools.product((0, 1), repeat=2))
    assert s1.makespan_s == pytest.approx(brute)
    # step 2: b pinned, its 0.5 ms weight read vanishes: 3.006 + 0.002 + 0.25 + 0.001
    assert result.steps[2].mapping.pinned == frozenset({1})
    assert result.steps[2].makespan_s == pytest.approx(3.259 * MS)
    # step 3: a -> b fused: a skips its 0.002 ms store, b its 0.002 ms load
    assert result.steps[3].makespan_s == pytest.approx(3.255 * MS)
    assert result.steps[3].energy_j == pytest.approx(10 * 3.255e-3)
    # step 4: nothing to move
    assert result.steps[4].makespan_s == pytest.approx(3.255 * MS) and not result.moves


def test_step4_pulls_the_consumer_next_to_its_producer(tmp_path):
    # a: 1x1 conv 1 -> 2 channels on 500x500 (1 MB in, 2 MB out, 1 MFLOP); only X runs conv.
    # b: fc 500000 -> 2 (4 MB weights, 2 MFLOP): 2 ms on X (1 GFLOP/s), 1 ms on Y (2 GFLOP/s).
    system = make_system(tmp_path, {"X": design(1e9, 10.0, ops=("conv", "fc")), "Y": design(2e9, 10.0)})
    a = Layer("a", Op.CONV, C=1, K=2, Y=500, X=500, bias=False)
    b = Layer("b", Op.FC, C=500_000, K=2, bias=False)
    prob = compile_problem(chain(a, b), system)
    result = run_h2h(prob)
    # step 1: a on X ends at 1 + 1 + 2 = 4 ms (+8 B of weights); b on Y: 6 MB load + 1 ms, faster than X's 2 ms
    assert result.steps[1].acc.tolist() == [0, 1]
    assert result.steps[1].makespan_s == pytest.approx((4 + 6 + 1) * MS + 16e-9)
    # step 2: everything pinned: a = 1 + 1 + 2 = 4 ms; b = 2 ms IFM + 1 ms (+8 B output)
    assert result.steps[2].makespan_s == pytest.approx(7 * MS + 8e-9)
    # step 3: a and b on different accelerators, nothing to fuse
    assert result.steps[3].makespan_s == pytest.approx(result.steps[2].makespan_s)
    # step 4: b moves to X behind a: a = 1 + 1 (no 2 MB store), b = 2 ms compute (+8 B) -> 4 ms, the optimum
    assert result.steps[4].acc.tolist() == [0, 0]
    assert result.steps[4].makespan_s == pytest.approx(4 * MS + 8e-9)
    assert result.moves == [("b", "Y", "X")]
    assert result.steps[4].energy_j == pytest.approx(10 * (4 * MS + 8e-9))


def test_h2h_never_worse_than_step2_on_a_branchy_graph(tmp_path):
    system = make_system(tmp_path, {"X": design(1e9, 10.0, ops=("conv", "fc"), dram=4e6),
                                    "Y": design(3e9, 30.0, ops=("conv",), dram=2e6),
                                    "Z": design(2e9, 5.0, ops=("fc",), dram=1e6)}, bw=0.2e9)
    from dse.workload.builder import Builder

    bld = Builder("branchy", input_shape=(3, 32, 32))
    for m in range(3):
        bld.input(f"in{m}", (3, 32, 32))
        bld.conv(f"m{m}c1", 16, 3)
        bld.act(f"m{m}r1")
        bld.conv(f"m{m}c2", 32, 3, stride=2)
        bld.fc(f"m{m}fc", 64)
    bld.concat("cat", ["m0fc", "m1fc", "m2fc"])
    bld.fc("head", 10)
    prob = compile_problem(bld.build(), system)
    for bw in (0.05e9, 0.2e9, 2e9):
        prob = compile_problem(bld.build(), system.with_bandwidth(bw))
        result = run_h2h(prob)
        s = result.steps
        assert s[4].makespan_s <= s[2].makespan_s + 1e-15
        assert s[3].makespan_s <= s[2].makespan_s + 1e-15  # no shared port: removing transfers never delays
        assert s[2].makespan_s <= s[1].makespan_s + 1e-15


def test_greedy_times_match_the_simulator(tmp_path):
    system = make_system(tmp_path, {"X": design(1e9, 1.0), "Y": design(0.7e9, 1.0), "Z": design(0.3e9, 1.0)})
    prob = compile_problem(chain(*(fc(f"l{i}", 200 + 10 * i, 210 + 10 * i) for i in range(6))), system)
    order, end = greedy(prob, host_seconds(prob))
    assert simulate(prob, Mapping(order)).end == pytest.approx(end)


def test_layer_no_accelerator_runs_is_a_one_line_error(tmp_path):
    system = make_system(tmp_path, {"X": design(1e9, 1.0, ops=("conv",))})
    w = chain(Layer("seq", Op.LSTM, C=8, K=16, X=5))
    with pytest.raises(InputError, match=r"layer 'seq' \(op lstm\) can run on no accelerator of system 'toy'"):
        compile_problem(w, system)
